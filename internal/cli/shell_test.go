package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
)

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
	ios, _, _, _ := cmdutil.TestStreams()
	root := NewRootCmd(cmdutil.NewFactory(ios))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		_, err := os.Stat(filepath.Join(dir, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1"))
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
