package servercli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/volact/volact/internal/cmdutil"
)

// runVolactd runs volactd with args and returns the exit status, stdout
// and stderr.
func runVolactd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := cmdutil.TestStreams()
	f := cmdutil.NewFactory(ios)
	f.Getenv = func(string) string { return "" }
	code := MainWith(f, append([]string{"volactd"}, args...))
	return code, out.String(), errOut.String()
}

var outageScenario = filepath.Join("..", "..", "scripts", "sim", "host-outage.yaml")

func TestSimOutputs(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	code, out, errOut := runVolactd(t, "sim", outageScenario, "--json", "--html", page)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Days    []json.RawMessage `json:"days"`
		Answers []string          `json:"answers"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--json output: %v", err)
	}
	if len(doc.Days) != 120 || !strings.Contains(strings.Join(doc.Answers, "\n"), "39 suite-pro machines were in notification on day 30; the first on day 30.") {
		t.Errorf("--json: %d days, answers %q", len(doc.Days), doc.Answers)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", ";base64,", "39 suite-pro machines were in notification on day 30"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://"} {
		if strings.Contains(string(html), bad) {
			t.Errorf("the report holds %q: it must load nothing and run no script", bad)
		}
	}

	code, out, _ = runVolactd(t, "sim", outageScenario, "--csv")
	if code != 0 || !strings.HasPrefix(out, "day,date,workstation-ent licensed,") || strings.Count(out, "\n") != 121 {
		t.Errorf("--csv: exit %d, %d lines, starts %.40q", code, strings.Count(out, "\n"), out)
	}
	code, out, _ = runVolactd(t, "sim", outageScenario)
	if code != 0 || !strings.HasPrefix(out, "day\tdate\t") || !strings.Contains(out, "\n20 server-std machines were in notification on day 30; the first on day 30.\n") {
		t.Errorf("table: exit %d, output %.200q", code, out)
	}
}

// TestSimBadInput: one line naming the file, line and field; exit 3; the
// report is not written.
func TestSimBadInput(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(outageScenario)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown field", "    count: 400\n", "    count: 400\n    cuont: 3\n", `bad.yaml:19: unknown field "cuont"`},
		{"negative count", "count: 400", "count: -400", `bad.yaml:18: machines[0].count: -400 is negative`},
		{"outage ends before it starts", "from: 12, to: 22", "from: 22, to: 12", `bad.yaml:13: outages[0].to: the outage ends (day 12) before it starts (day 22)`},
		{"product not in the catalog", "sku: server-std", "sku: server-dc", `bad.yaml:31: machines[2].sku: product "server-dc" is not in the catalog`},
		{"fraction of a machine", "count: 300", "count: 30.5", `bad.yaml:26: machines[1].count: "30.5" is not a whole number`},
		{"day as text", "from: 12, to: 22", "from: twelve, to: 22", `bad.yaml:13: outages[0].from: "twelve" is not a whole number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.yaml")
			if err := os.WriteFile(path, []byte(strings.Replace(string(good), tc.from, tc.to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			page, old := filepath.Join(dir, "report.html"), filepath.Join(dir, "old.html")
			if err := os.WriteFile(old, []byte("an older report"), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, html := range []string{page, old} {
				code, out, errOut := runVolactd(t, "sim", path, "--html", html)
				if code != 3 {
					t.Errorf("exit %d, want 3", code)
				}
				if out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, filepath.Join(dir, tc.want)) {
					t.Errorf("stdout %q, stderr %q; want one line with %q", out, errOut, tc.want)
				}
			}
			if _, err := os.Stat(page); err == nil {
				t.Error("the report was written")
			}
			if b, err := os.ReadFile(old); err != nil || string(b) != "an older report" {
				t.Errorf("the older report was replaced or removed: %q %v", b, err)
			}
		})
	}
}
