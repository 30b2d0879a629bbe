package license

import "testing"

func TestDecideMAK(t *testing.T) {
	for _, tc := range []struct {
		name            string
		blocked, before bool
		used, limit     int
		want            MAKOutcome
	}{
		{"new installation spends one", false, false, 0, 5, MAKSpend},
		{"last activation is spent", false, false, 4, 5, MAKSpend},
		{"none left", false, false, 5, 5, MAKExhausted},
		{"reimage spends nothing", false, true, 2, 5, MAKAgain},
		{"reimage after the last one still activates", false, true, 5, 5, MAKAgain},
		{"blocked refuses a new installation", true, false, 0, 5, MAKBlocked},
		{"blocked refuses a reimage too", true, true, 1, 5, MAKBlocked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DecideMAK(tc.blocked, tc.before, tc.used, tc.limit); got != tc.want {
				t.Errorf("DecideMAK(%v, %v, %d, %d) = %d, want %d", tc.blocked, tc.before, tc.used, tc.limit, got, tc.want)
			}
		})
	}
}
