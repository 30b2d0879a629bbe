package servercli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/volact/volact/internal/cmdutil"
)

func TestProgressSilentWhenPipedOrQuiet(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tty   bool
		quiet bool
	}{
		{"piped", false, false},
		{"quiet on a terminal", true, true},
		{"piped and quiet", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, total := range []int64{10, -1} {
				ios, _, _, errOut := cmdutil.TestStreams()
				ios.SetStderrTTY(tc.tty)
				p := newProgress(ios, tc.quiet, total, "minting keys")
				p.Add(4)
				p.Describe("still minting")
				var sink strings.Builder
				if _, err := fmt.Fprint(p.Writer(&sink), "row\n"); err != nil {
					t.Fatal(err)
				}
				p.Finish()
				p.Stop()
				if errOut.Len() != 0 {
					t.Errorf("total %d: stderr = %q, want nothing", total, errOut)
				}
				if sink.String() != "row\n" {
					t.Errorf("total %d: writer passed %q, want %q", total, sink.String(), "row\n")
				}
			}
		})
	}
}

func TestProgressOnTerminal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		total  int64
		steps  int
		finish bool
		want   []string // in the final stderr
		absent []string
	}{
		{"bar filled", 200, 200, true, []string{"minting keys", "100%", "(200/200"}, nil},
		{"bar stopped half-way", 200, 80, false, []string{"minting keys"}, []string{"100%", "200/200"}},
		{"spinner finished", -1, 1536, true, []string{"minting keys", "(1536/-)"}, nil},
		{"spinner stopped", -1, 7, false, []string{"minting keys", "(7/-)"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, errOut := cmdutil.TestStreams()
			ios.SetStderrTTY(true)
			p := newProgress(ios, false, tc.total, "minting keys")
			p.Add(tc.steps)
			if tc.finish {
				p.Finish()
			} else {
				p.Stop()
			}
			p.Stop() // a second end adds nothing
			got := errOut.String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("stderr %q lacks %q", got, w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(got, a) {
					t.Errorf("stderr %q has %q", got, a)
				}
			}
			if !strings.HasSuffix(got, "\n") || strings.HasSuffix(got, "\n\n") {
				t.Errorf("stderr %q should end with exactly one newline, so later output starts on its own line", got)
			}
		})
	}
}

func TestByteProgressCountsWrites(t *testing.T) {
	ios, _, _, errOut := cmdutil.TestStreams()
	ios.SetStderrTTY(true)
	p := newByteProgress(ios, false, "exporting history")
	var sink strings.Builder
	w := p.Writer(&sink)
	for range 4 {
		fmt.Fprint(w, strings.Repeat("x", 512))
	}
	p.Finish()
	if sink.Len() != 2048 {
		t.Fatalf("writer passed %d bytes, want 2048", sink.Len())
	}
	if got := errOut.String(); !strings.Contains(got, "exporting history") || !strings.Contains(got, "2.0 kB") {
		t.Errorf("stderr %q should name the work and show 2.0 kB written", got)
	}
}
