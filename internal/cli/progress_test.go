package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/volact/volact/internal/productkey"
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
				ios, _, _, errOut := TestStreams()
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
			ios, _, _, errOut := TestStreams()
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
	ios, _, _, errOut := TestStreams()
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

// TestProgressMintOut mints into a file in-process: the bar shows on a
// terminal stderr, never a key; -q and a pipe keep stderr empty.
func TestProgressMintOut(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		name    string
		tty     bool
		extra   []string
		wantOut string
		wantBar bool
	}{
		{"terminal", true, nil, "Minted 120 keys into ", true},
		{"terminal quiet", true, []string{"-q"}, "", false},
		{"piped", false, nil, "Minted 120 keys into ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.txt")
			f, out, errOut := testFactory(e.env)
			f.IO.SetStderrTTY(tc.tty)
			args := append([]string{"volact", "mak", "mint", "--dir", filepath.Join(e.dir, "auth"),
				"--type", "mak", "--sku", "suite-pro", "--count", "120", "--out", path}, tc.extra...)
			if code := MainWith(f, args); code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			keys, err := CheckKeyFile(path, 120)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), tc.wantOut) || (tc.wantOut == "" && out.Len() != 0) {
				t.Errorf("stdout = %q, want it to start with %q", out, tc.wantOut)
			}
			if got := strings.Contains(errOut.String(), "(120/120"); got != tc.wantBar {
				t.Errorf("stderr = %q, bar shown %v, want %v", errOut, got, tc.wantBar)
			}
			if !tc.wantBar && errOut.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", errOut)
			}
			for _, k := range keys {
				if strings.Contains(out.String()+errOut.String(), k) {
					t.Fatalf("a minted key (…%s) was printed", k[len(k)-5:])
				}
			}
		})
	}
}

// CheckKeyFile checks that path holds exactly n distinct valid product keys,
// one a line, and (on Unix) that only its owner can read it; it returns the
// keys. The end-to-end scripts use it too.
func CheckKeyFile(path string, n int) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		return nil, fmt.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keys := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(keys) != n {
		return nil, fmt.Errorf("%s has %d lines, want %d keys", path, len(keys), n)
	}
	seen := map[string]bool{}
	for i, k := range keys {
		pk, err := productkey.Parse(k)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, i+1, err)
		}
		if pk.String() != k {
			return nil, fmt.Errorf("%s line %d is not in canonical form", path, i+1)
		}
		if seen[k] {
			return nil, fmt.Errorf("%s line %d repeats an earlier key", path, i+1)
		}
		seen[k] = true
	}
	return keys, nil
}
