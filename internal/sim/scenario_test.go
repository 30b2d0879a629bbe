package sim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/volact/volact/internal/sim"
)

const good = `name: t
seed: 1
days: 60
hosts:
  - name: kms1
outages:
  - {of: host, host: kms1, from: 10, to: 20}
mak_keys:
  - {name: m, sku: suite-pro, activations: 5}
machines:
  - name: office
    sku: suite-pro
    channel: kms_client
    count: 10
    connect: daily
  - name: mak
    sku: suite-pro
    channel: mak
    mak_key: m
    count: 3
    connect: 4/month
`

// TestBadScenarios: every bad scenario gets one line naming the file, the
// line and the field.
func TestBadScenarios(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"unknown field", "    count: 10\n", "    count: 10\n    colour: blue\n", `s.yaml:15: unknown field "colour"`},
		{"unknown top-level field", "days: 60\n", "days: 60\nday: 3\n", `s.yaml:4: unknown field "day"`},
		{"negative count", "count: 10", "count: -5", `s.yaml:14: machines[0].count: -5 is negative`},
		{"outage ends before it starts", "from: 10, to: 20", "from: 20, to: 10", `s.yaml:7: outages[0].to: the outage ends (day 10) before it starts (day 20)`},
		{"product not in the catalog", "    sku: suite-pro\n    channel: kms_client", "    sku: office-pro\n    channel: kms_client",
			`s.yaml:12: machines[0].sku: product "office-pro" is not in the catalog (it has suite-pro, workstation-ent, server-std)`},
		{"negative MAK size", "activations: 5", "activations: -1", `s.yaml:9: mak_keys[0].activations: -1 is negative`},
		{"unknown host in an outage", "host: kms1, from", "host: kms9, from", `s.yaml:7: outages[0].host: "kms9" is not one of the hosts`},
		{"bad connect", "connect: 4/month", "connect: weekly", `s.yaml:21: machines[1].connect: "weekly" is not daily, never or N/month (N from 0 to 30)`},
		{"bad channel", "channel: kms_client", "channel: kms", `s.yaml:13: machines[0].channel: "kms" is not kms_client or mak`},
		{"wrong type", "days: 60", "days: sixty", `s.yaml:3: days: "sixty" is not a whole number`},
		{"fraction of a machine", "count: 10", "count: 2.5", `s.yaml:14: machines[0].count: "2.5" is not a whole number`},
		{"fraction of a day", "from: 10, to: 20", "from: 10, to: 19.5", `s.yaml:7: outages[0].to: "19.5" is not a whole number`},
		{"outage day as text", "from: 10, to: 20", "from: ten, to: 20", `s.yaml:7: outages[0].from: "ten" is not a whole number`},
		{"negative seed", "seed: 1", "seed: -1", `s.yaml:2: seed: -1 is negative`},
		{"groups not a list", "  - name: kms1\n", "  - name: kms1\n    groups: suite\n", `s.yaml:6: hosts[0].groups: "suite" is not a list`},
		{"machine not a mapping", "machines:\n", "machines:\n  - office\n", `s.yaml:11: machines[0]: "office" is not a mapping of fields`},
		{"name not a text", "name: t\n", "name: [a, b]\n", `s.yaml:1: name: a list is not a text`},
		{"outage after the last day", "from: 10, to: 20", "from: 60, to: 70", `s.yaml:7: outages[0].from: day 60 is after the scenario's last day (59)`},
		{"no days", "days: 60", "days: 0", `s.yaml:3: days: 0 is not a number of days from 1 to 3650`},
		{"MAK key of another product", "sku: suite-pro, activations", "sku: server-std, activations", `s.yaml:19: machines[1].mak_key: key "m" is for server-std, not suite-pro`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.from) {
				t.Fatalf("the test's scenario has no %q", tc.from)
			}
			_, err := sim.ParseScenario("s.yaml", []byte(strings.Replace(good, tc.from, tc.to, 1)), builtin())
			var ie *sim.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Error("the error is more than one line")
			}
		})
	}
	if _, err := sim.ParseScenario("s.yaml", []byte(good), builtin()); err != nil {
		t.Fatalf("the good scenario: %v", err)
	}
	if _, err := sim.ParseScenario("s.yaml", []byte("- a\n- b\n"), builtin()); err == nil || err.Error() != "s.yaml:1: the scenario is a list, not a mapping of fields (name, seed, days, ...)" {
		t.Errorf("a list for a scenario: %v", err)
	}
	if _, err := sim.ParseScenario("s.yaml", nil, builtin()); err == nil || err.Error() != "s.yaml: the scenario is empty" {
		t.Errorf("empty scenario: %v", err)
	}
}

// TestCSVMatchesJSON: the CSV rows are the JSON days.
func TestCSVMatchesJSON(t *testing.T) {
	sc, err := sim.ParseScenario("s.yaml", []byte(good), builtin())
	if err != nil {
		t.Fatal(err)
	}
	r, err := sim.New(sc, builtin()).Run(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(r.CSV())), "\n")
	if len(lines) != 61 {
		t.Fatalf("%d CSV lines, want a header and 60 days", len(lines))
	}
	if want := strings.Join(r.Row(41), ","); lines[42] != want {
		t.Errorf("CSV day 41 = %s, want %s", lines[42], want)
	}
	if got := lines[0]; !strings.HasPrefix(got, "day,date,suite-pro licensed,suite-pro oob_grace,suite-pro oot_grace,suite-pro notification") {
		t.Errorf("CSV header %s", got)
	}
}
