package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/build"
)

// TestEveryVerbHasExample walks the command tree: every verb a user can run
// shows at least one example in its --help (issue 5).
func TestEveryVerbHasExample(t *testing.T) {
	ios, _, _, _ := TestStreams()
	root := NewRootCmd(NewFactory(ios))
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if c.Runnable() {
			n++
			if strings.TrimSpace(c.Example) == "" {
				t.Errorf("%q has no Example in its --help", c.CommandPath())
			} else if !strings.Contains(c.Example, "volact") {
				t.Errorf("%q: Example does not show a volact command line: %q", c.CommandPath(), c.Example)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if n < 20 {
		t.Fatalf("walked only %d runnable verbs: the tree is not the real one", n)
	}
}

// shellRun runs volact in-process with args and env; it returns the exit
// status, stdout and stderr.
func shellRun(env map[string]string, args ...string) (int, string, string) {
	f, out, errOut := testFactory(env)
	code := MainWith(f, append([]string{"volact"}, args...))
	return code, out.String(), errOut.String()
}

func TestCompletion(t *testing.T) {
	tests := []struct {
		shell string
		want  []string // every string is in the script
	}{
		{"bash", []string{"# bash completion V2 for volact", "__start_volact", "complete -o default -F __start_volact volact"}},
		{"zsh", []string{"#compdef volact", "compdef _volact volact"}},
		{"fish", []string{"complete -c volact", "__volact_perform_completion"}},
		{"powershell", []string{"Register-ArgumentCompleter", "-CommandName 'volact'"}},
		{"BASH", []string{"__start_volact"}}, // any case, like the old switches
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			code, out, errOut := shellRun(nil, "completion", tt.shell)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("script lacks %q", w)
				}
			}
		})
	}
	for _, bad := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if code, _, errOut := shellRun(nil, bad...); code != 2 {
			t.Errorf("%v: exit %d (stderr %q), want 2", bad, code, errOut)
		}
	}
}

func TestVersionInfo(t *testing.T) {
	setting := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name         string
		bi           *debug.BuildInfo
		ok           bool
		linked       string // build.Version
		wantVersion  string
		wantCommit   string
		wantModified bool
		wantGo       string
	}{
		{"no build info", nil, false, "1.2.3", "1.2.3", "", false, runtime.Version()},
		{"git checkout", &debug.BuildInfo{GoVersion: "go1.99.1", Settings: setting("vcs.revision", "abc123", "vcs.modified", "false")},
			true, "v1.0.0", "v1.0.0", "abc123", false, "go1.99.1"},
		{"local changes", &debug.BuildInfo{Settings: setting("vcs.revision", "abc123", "vcs.modified", "true")},
			true, "v1.0.0", "v1.0.0", "abc123", true, runtime.Version()},
		{"go install module@version", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}},
			true, "dev", "v0.4.0", "", false, runtime.Version()},
		{"go build without ldflags", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			true, "dev", "dev", "", false, runtime.Version()},
		{"ldflags win over module version", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}},
			true, "v0.5.0-rc1", "v0.5.0-rc1", "", false, runtime.Version()},
	}
	saved := build.Version
	t.Cleanup(func() { build.Version = saved })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build.Version = tt.linked
			v := versionInfo(tt.bi, tt.ok)
			if v.Version != tt.wantVersion || v.Commit != tt.wantCommit || v.Modified != tt.wantModified || v.GoVersion != tt.wantGo {
				t.Errorf("got %+v, want version %q commit %q modified %v go %q", v, tt.wantVersion, tt.wantCommit, tt.wantModified, tt.wantGo)
			}
			if v.OS != runtime.GOOS || v.Arch != runtime.GOARCH {
				t.Errorf("platform %s/%s, want %s/%s", v.OS, v.Arch, runtime.GOOS, runtime.GOARCH)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	code, out, _ := shellRun(nil, "version", "--json")
	if code != 0 {
		t.Fatalf("version --json: exit %d", code)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("version --json is not one JSON document: %v\n%s", err, out)
	}
	for _, k := range []string{"version", "commit", "go_version", "os", "arch"} {
		if _, ok := got[k]; !ok {
			t.Errorf("version --json lacks %q: %s", k, out)
		}
	}
	if got["go_version"] != runtime.Version() || got["os"] != runtime.GOOS || got["arch"] != runtime.GOARCH {
		t.Errorf("version --json = %s", out)
	}

	code, out, _ = shellRun(nil, "version")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "volact ") ||
		lines[3] != "platform: "+runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version: exit %d, output:\n%s", code, out)
	}
	if code, out, _ = shellRun(nil, "version", "-q"); code != 0 || out != "" {
		t.Errorf("version -q: exit %d, output %q", code, out)
	}
	if code, _, _ = shellRun(nil, "version", "extra"); code != 2 {
		t.Errorf("version extra: exit %d, want 2", code)
	}
}

func TestManPages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man1")
	code, out, errOut := shellRun(map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}, "man", dir)
	if code != 0 {
		t.Fatalf("man: exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(out, "Wrote ") {
		t.Errorf("man printed %q", out)
	}
	ios, _, _, _ := TestStreams()
	root := NewRootCmd(NewFactory(ios))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		_, err := os.Stat(filepath.Join(dir, manName(c)+".1"))
		switch {
		case c == root || c.IsAvailableCommand():
			if err != nil {
				t.Errorf("no man page for %q: %v", c.CommandPath(), err)
			}
		case err == nil:
			t.Errorf("man page for hidden %q", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)

	page, err := os.ReadFile(filepath.Join(dir, "volact-act.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`.TH "VOLACT-ACT" "1" "2023-11-14"`,
		".SH NAME\nvolact\\-act \\- ",
		`\fB\-\-if\-due\fR`,
		".SH EXAMPLES",
		"volact act \\-\\-if\\-due \\-q",
		".SH GLOBAL OPTIONS",
		".BR volact (1)",
	} {
		if !strings.Contains(string(page), w) {
			t.Errorf("volact-act.1 lacks %q", w)
		}
	}

	if code, _, errOut := shellRun(map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, "man", dir); code != 3 ||
		!strings.Contains(errOut, "SOURCE_DATE_EPOCH") {
		t.Errorf("bad SOURCE_DATE_EPOCH: exit %d, stderr %q", code, errOut)
	}
}

func TestManPageDateFromClock(t *testing.T) {
	f, _, _ := testFactory(map[string]string{"VOLACT_CLOCK_OFFSET": "48h"})
	got, err := manDate(f)
	if err != nil || !got.Equal(fixedNow.Add(48*time.Hour)) {
		t.Errorf("manDate = %v, %v; want the injected clock %v", got, err, fixedNow.Add(48*time.Hour))
	}
}

func TestRoffLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"--if-due", `\-\-if\-due`},
		{`C:\ProgramData\volact`, `C:\eProgramData\evolact`},
		{".hidden request", `\&.hidden request`},
		{"'quote request", `\&'quote request`},
		{"a.b 'c'", "a.b 'c'"},
	}
	for _, tt := range tests {
		if got := roffLine(tt.in); got != tt.want {
			t.Errorf("roffLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
