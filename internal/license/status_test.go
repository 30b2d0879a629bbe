package license

import (
	"errors"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
)

func TestStatusTexts(t *testing.T) {
	tests := []struct {
		s                 Status
		json, slmgr, ospp string
	}{
		{Unlicensed, "unlicensed", "Unlicensed", "UNLICENSED"},
		{Licensed, "licensed", "Licensed", "LICENSED"},
		{OOBGrace, "oob_grace", "Initial grace period", "OOB_GRACE"},
		{OOTGrace, "oot_grace", "Additional grace period (KMS license expired or hardware out of tolerance)", "OOT_GRACE"},
		{Notification, "notification", "Notification", "NOTIFICATIONS"},
		{Status(4), "status(4)", "Unknown", "UNKNOWN"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.json {
			t.Errorf("Status(%d).String() = %q, want %q", int(tt.s), got, tt.json)
		}
		if got := tt.s.SlmgrText(); got != tt.slmgr {
			t.Errorf("Status(%d).SlmgrText() = %q, want %q", int(tt.s), got, tt.slmgr)
		}
		if got := tt.s.OsppToken(); got != tt.ospp {
			t.Errorf("Status(%d).OsppToken() = %q, want %q", int(tt.s), got, tt.ospp)
		}
		if got, want := tt.s.Valid(), tt.s != 4; got != want {
			t.Errorf("Status(%d).Valid() = %v, want %v", int(tt.s), got, want)
		}
	}
	codes := map[Status]int{Unlicensed: 0, Licensed: 1, OOBGrace: 2, OOTGrace: 3, Notification: 5}
	for s, c := range codes {
		if int(s) != c {
			t.Errorf("%s has code %d, want %d", s, int(s), c)
		}
	}
}

func TestChannel(t *testing.T) {
	tests := []struct {
		c            Channel
		desc         string
		valid, volum bool
	}{
		{Retail, "RETAIL", true, false},
		{MAK, "VOLUME_MAK", true, true},
		{KMSClient, "VOLUME_KMSCLIENT", true, true},
		{"oem", "OEM", false, false},
	}
	for _, tt := range tests {
		if got := tt.c.Description(); got != tt.desc {
			t.Errorf("%q.Description() = %q, want %q", tt.c, got, tt.desc)
		}
		if got := tt.c.Valid(); got != tt.valid {
			t.Errorf("%q.Valid() = %v, want %v", tt.c, got, tt.valid)
		}
		if got := tt.c.Volume(); got != tt.volum {
			t.Errorf("%q.Volume() = %v, want %v", tt.c, got, tt.volum)
		}
	}
}

func TestPolicyWithDefaults(t *testing.T) {
	if got, want := (Policy{}).WithDefaults(), (Policy{30, 30, 180, 5}); got != want {
		t.Errorf("zero policy: got %+v, want %+v", got, want)
	}
	if got, want := (Policy{GraceDays: 10, OOTGraceDays: -1, RearmLimit: 2}).WithDefaults(), (Policy{10, 30, 180, 2}); got != want {
		t.Errorf("partial policy: got %+v, want %+v", got, want)
	}
}

func TestValidateInterval(t *testing.T) {
	tests := []struct {
		minutes int
		wantErr string
	}{
		{14, "activation interval 14 minutes is out of range 15..43200"},
		{15, ""},
		{120, ""},
		{43200, ""},
		{43201, "activation interval 43201 minutes is out of range 15..43200"},
		{0, "activation interval 0 minutes is out of range 15..43200"},
		{-5, "activation interval -5 minutes is out of range 15..43200"},
	}
	for _, tt := range tests {
		err := ValidateInterval("activation interval", tt.minutes)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%d minutes: unexpected error %v", tt.minutes, err)
			}
			continue
		}
		var he *hresult.Error
		if !errors.As(err, &he) {
			t.Fatalf("%d minutes: error %v is not an *hresult.Error", tt.minutes, err)
		}
		if he.Code != hresult.InvalidArg || he.Exit != hresult.ExitInvalid || he.Error() != tt.wantErr {
			t.Errorf("%d minutes: got code %s exit %d %q, want %s exit 3 %q",
				tt.minutes, he.Code, he.Exit, he.Error(), hresult.InvalidArg, tt.wantErr)
		}
	}
}

func TestDaysAndMinutes(t *testing.T) {
	tests := []struct {
		d                   time.Duration
		floor, ceil, minute int
	}{
		{-time.Hour, 0, 0, 0},
		{0, 0, 0, 0},
		{time.Nanosecond, 0, 1, 0},
		{time.Minute - 1, 0, 1, 0},
		{time.Minute, 0, 1, 1},
		{day - 1, 0, 1, 1439},
		{day, 1, 1, 1440},
		{day + 1, 1, 2, 1440},
		{29*day + 23*time.Hour, 29, 30, 43140},
		{30 * day, 30, 30, 43200},
	}
	for _, tt := range tests {
		if got := FloorDays(tt.d); got != tt.floor {
			t.Errorf("FloorDays(%v) = %d, want %d", tt.d, got, tt.floor)
		}
		if got := CeilDays(tt.d); got != tt.ceil {
			t.Errorf("CeilDays(%v) = %d, want %d", tt.d, got, tt.ceil)
		}
		if got := Minutes(tt.d); got != tt.minute {
			t.Errorf("Minutes(%v) = %d, want %d", tt.d, got, tt.minute)
		}
	}
}
