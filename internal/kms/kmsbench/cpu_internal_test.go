package kmsbench

import (
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A real line of /proc/PID/stat (volactd), and variants of it.
	const line = "4242 (volactd) S 1 4242 4242 0 -1 4194560 1790 0 0 0 250 37 0 0 20 0 7 0 12345 1266692096 4032 18446744073709551615 1 1 0 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0\n"
	for _, tc := range []struct {
		name string
		line string
		hz   int64
		want time.Duration
		err  string
	}{
		{"user and system ticks", line, 100, 2870 * time.Millisecond, ""},
		{"1000 ticks a second", line, 1000, 287 * time.Millisecond, ""},
		{"command with spaces and parentheses", strings.Replace(line, "(volactd)", "(kms (bench) x)", 1), 100, 2870 * time.Millisecond, ""},
		{"idle process", strings.Replace(line, " 250 37 ", " 0 0 ", 1), 100, 0, ""},
		{"no command", "4242 volactd S 1", 100, 0, "not a /proc/PID/stat line"},
		{"truncated", "4242 (volactd) S 1 4242 4242 0 -1 4194560 1790 0 0 0 250", 100, 0, "at least 13"},
		{"not a number", strings.Replace(line, " 250 37 ", " 250 x ", 1), 100, 0, `"x" is not a number`},
		{"negative", strings.Replace(line, " 250 37 ", " -250 37 ", 1), 100, 0, "not a number"},
		{"no clock rate", line, 0, 0, "not a /proc/PID/stat line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(tc.line, tc.hz)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseStat = %v, %v; want an error containing %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseStat = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestClockTicks(t *testing.T) {
	if hz := clockTicks(); hz < 1 || hz > 10000 {
		t.Fatalf("clockTicks() = %d, want a rate such as 100", hz)
	}
}
