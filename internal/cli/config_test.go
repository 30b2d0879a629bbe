package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/volact/volact/internal/store"
)

// TestConfigPrecedence checks flag > VOLACT_* env > config file > default
// for the options every verb uses, without touching any store.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.yaml")
	cfg := filepath.Join(dir, "cfg.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("store: /from/file\nservice: http://file.example\ndns-server: 10.0.0.1:53\ncatalog: /file/catalog.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                      string
		env                       map[string]string
		flags                     []string
		store, service, dns, cata string
	}{
		{name: "default", env: map[string]string{"VOLACT_CONFIG": empty}, store: store.DefaultDir()},
		{name: "config file", env: map[string]string{"VOLACT_CONFIG": cfg},
			store: "/from/file", service: "http://file.example", dns: "10.0.0.1:53", cata: "/file/catalog.json"},
		{name: "--config flag", env: map[string]string{"VOLACT_CONFIG": empty}, flags: []string{"--config", cfg},
			store: "/from/file", service: "http://file.example", dns: "10.0.0.1:53", cata: "/file/catalog.json"},
		{name: "env beats file", env: map[string]string{"VOLACT_CONFIG": cfg, "VOLACT_STORE": "/from/env", "VOLACT_SERVICE": "http://env.example"},
			store: "/from/env", service: "http://env.example", dns: "10.0.0.1:53", cata: "/file/catalog.json"},
		{name: "flag beats env", env: map[string]string{"VOLACT_CONFIG": cfg, "VOLACT_STORE": "/from/env", "VOLACT_DNS_SERVER": "10.9.9.9:53"},
			flags: []string{"--store", "/from/flag", "--dns-server", "10.1.1.1:53", "--catalog", "/flag/c.json"},
			store: "/from/flag", service: "http://file.example", dns: "10.1.1.1:53", cata: "/flag/c.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(tt.env)
			if code := MainWith(f, append(append([]string{"volact"}, tt.flags...), "ddescr", "0xC004F074")); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			c, err := newClient(f)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.StoreDir(); got != tt.store {
				t.Errorf("store = %q, want %q", got, tt.store)
			}
			if f.Opts.Service != tt.service || f.Opts.DNSServer != tt.dns || f.Opts.Catalog != tt.cata {
				t.Errorf("service, dns, catalog = %q, %q, %q; want %q, %q, %q",
					f.Opts.Service, f.Opts.DNSServer, f.Opts.Catalog, tt.service, tt.dns, tt.cata)
			}
		})
	}
}

// TestColor checks that colour appears only on a terminal and never with
// --no-color.
func TestColor(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun(t, "inpkey", keySuiteMAK)
	for _, tt := range []struct {
		tty, noColor bool
		want         bool
	}{{false, false, false}, {true, false, true}, {true, true, false}} {
		f, out, _ := testFactory(e.env)
		f.IO.SetStdoutTTY(tt.tty)
		args := []string{"volact", "act"}
		if tt.noColor {
			args = append(args, "--no-color")
		}
		MainWith(f, args) // fails: no service; prints its table first
		if got := strings.Contains(out.String(), "\x1b["); got != tt.want {
			t.Errorf("tty=%v no-color=%v: colour escape present = %v, want %v\n%s", tt.tty, tt.noColor, got, tt.want, out)
		}
	}
}

// TestJSONOneDocument runs verbs with --json, good and bad, and checks that
// stdout holds exactly one JSON document, errors in the design §8 shape.
func TestJSONOneDocument(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun(t, "inpkey", keySuiteMAK)
	cases := []struct {
		args []string
		exit int
	}{
		{[]string{"dstatus"}, 0}, {[]string{"dstatus", "--all"}, 0}, {[]string{"dstatus", "--check"}, 6},
		{[]string{"dli"}, 0}, {[]string{"dlv", "all"}, 0}, {[]string{"xpr"}, 0},
		{[]string{"inpkey", keyWsRetail}, 0}, {[]string{"/ipk", keySuiteTypo}, 3},
		{[]string{"unpkey", "QWR6W"}, 0}, {[]string{"unpkey", "NONE5"}, 3},
		{[]string{"sethst", "kms.example.com"}, 0}, {[]string{"setprt", "0"}, 3}, {[]string{"remhst"}, 0},
		{[]string{"cachst", "false"}, 0}, {[]string{"setdomain", "corp.example.com"}, 0},
		{[]string{"rearm-status"}, 0}, {[]string{"rearm"}, 0}, {[]string{"dcmid"}, 0}, {[]string{"history"}, 0},
		{[]string{"ddescr"}, 0}, {[]string{"ddescr", "0x1"}, 3}, {[]string{"act"}, 4}, {[]string{"/ato"}, 4},
		{[]string{"catalog", "show"}, 0}, {[]string{"nosuchverb"}, 2}, {[]string{"/inpkey"}, 2}, {[]string{"dstatus", "x"}, 2},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, errOut, code := e.run(t, "volact", append([]string{"--json"}, c.args...)...)
			if code != c.exit {
				t.Errorf("exit %d, want %d", code, c.exit)
			}
			if errOut != "" {
				t.Errorf("stderr is not empty with --json: %q", errOut)
			}
			dec := json.NewDecoder(strings.NewReader(out))
			var doc map[string]json.RawMessage
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
			}
			if _, err := dec.Token(); err != io.EOF {
				t.Errorf("stdout holds more than one JSON document:\n%s", out)
			}
			raw, isErr := doc["error"]
			if isErr != (code != 0 && code != 6) {
				t.Errorf("exit %d but error present = %v:\n%s", code, isErr, out)
			}
			if isErr {
				var e struct {
					Code    *string `json:"code"`
					Message *string `json:"message"`
					Exit    *int    `json:"exit"`
				}
				if err := json.Unmarshal(raw, &e); err != nil || e.Code == nil || e.Message == nil || e.Exit == nil || *e.Exit != code {
					t.Errorf("error is not {code, message, exit=%d}: %s", code, raw)
				}
			}
			for _, k := range []string{keySuiteMAK, keyWsRetail, keySuiteTypo} {
				if bytes.Contains([]byte(out), []byte(k)) {
					t.Errorf("full key in output")
				}
			}
		})
	}
}
