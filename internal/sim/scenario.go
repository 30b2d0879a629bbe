package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/volact/volact/internal/catalog"
)

// Scenario is a fleet to simulate, as read from YAML by [ParseScenario].
// Every field is documented in the package documentation.
type Scenario struct {
	Name     string    `yaml:"name" json:"name"`
	Seed     uint64    `yaml:"seed" json:"seed"`
	Days     int       `yaml:"days" json:"days"`
	Start    string    `yaml:"start,omitempty" json:"start"`
	Hosts    []Host    `yaml:"hosts,omitempty" json:"hosts"`
	Outages  []Outage  `yaml:"outages,omitempty" json:"outages"`
	MAKKeys  []MAKKey  `yaml:"mak_keys,omitempty" json:"mak_keys"`
	Machines []Machine `yaml:"machines" json:"machines"`
}

// Host is a KMS host. Hosts naming the same Count share one count (one
// PostgreSQL database); a host without one counts alone (its own SQLite).
type Host struct {
	Name   string   `yaml:"name" json:"name"`
	Count  string   `yaml:"count,omitempty" json:"count,omitempty"`
	Groups []string `yaml:"groups,omitempty" json:"groups,omitempty"` // served groups; none = every group
}

// Outage takes a KMS host, DNS or the activation service away from day
// From up to, not including, day To.
type Outage struct {
	Of   string `yaml:"of" json:"of"`                         // "host", "dns" or "service"
	Host string `yaml:"host,omitempty" json:"host,omitempty"` // with of: host
	From int    `yaml:"from" json:"from"`
	To   int    `yaml:"to" json:"to"`
}

// MAKKey is a MAK key with its number of activations.
type MAKKey struct {
	Name        string `yaml:"name" json:"name"`
	SKU         string `yaml:"sku" json:"sku"`
	Activations int    `yaml:"activations" json:"activations"`
}

// Machine is one kind of machine of the fleet: Count machines of one
// product and channel that behave alike.
type Machine struct {
	Name    string `yaml:"name" json:"name"`
	SKU     string `yaml:"sku" json:"sku"`
	Channel string `yaml:"channel" json:"channel"` // "kms_client" or "mak"
	Count   int    `yaml:"count" json:"count"`
	// Connect is "daily", "never" or "N/month" (N of 30 days, at random).
	Connect string `yaml:"connect" json:"connect"`
	// At is the time of day ("09:00") the machines connect, install their
	// key, rearm and are reimaged; Spread (minutes) spreads their requests
	// after At for the request-rate figures only.
	At            string `yaml:"at,omitempty" json:"at"`
	Spread        int    `yaml:"spread_minutes,omitempty" json:"spread_minutes"`
	InstallDay    int    `yaml:"install_day,omitempty" json:"install_day"`
	ReimageEvery  int    `yaml:"reimage_every_days,omitempty" json:"reimage_every_days"`
	RearmEvery    int    `yaml:"rearm_every_days,omitempty" json:"rearm_every_days"`
	MAKKey        string `yaml:"mak_key,omitempty" json:"mak_key,omitempty"`
	connectPerMon int    // 0 never .. 30 daily
	atMinute      int
}

// Limits on a scenario.
const (
	MaxDays     = 3650
	MaxMachines = 50_000_000
	MaxHosts    = 64
)

// Channels a machine kind may have.
const (
	ChannelKMS = "kms_client"
	ChannelMAK = "mak"
)

// InputError is a scenario that cannot be simulated: File:Line says where,
// Msg what, naming the field.
type InputError struct {
	File string
	Line int
	Msg  string
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)
var unknownField = regexp.MustCompile(`^field (\S+) not found in type`)

// ParseScenario reads a scenario in strict YAML (unknown fields are
// refused) and checks it against cat. name names the file in errors, which
// are *InputError and say the line and the field.
func ParseScenario(name string, data []byte, cat *catalog.Catalog) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	if err := typeError(name, &root, reflect.TypeFor[Scenario](), nil); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &InputError{File: name, Msg: "the scenario is empty"}
		}
		return nil, yamlError(name, err)
	}
	v := validator{file: name, root: &root}
	sc.check(&v, cat)
	if v.err != nil {
		return nil, v.err
	}
	return &sc, nil
}

// yamlError turns a yaml error into one line naming the line.
func yamlError(file string, err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.TrimSpace(strings.SplitN(msg, "\n", 2)[0])
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		text := m[2]
		if u := unknownField.FindStringSubmatch(text); u != nil {
			text = fmt.Sprintf("unknown field %q", u[1])
		}
		return &InputError{File: file, Line: line, Msg: text}
	}
	return &InputError{File: file, Msg: msg}
}

// StartTime is the instant day 0 begins (UTC midnight).
func (s *Scenario) StartTime() time.Time {
	t, err := time.Parse(time.DateOnly, s.Start)
	if err != nil {
		return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t
}

// TotalMachines is the number of machines of every kind.
func (s *Scenario) TotalMachines() int {
	n := 0
	for _, m := range s.Machines {
		n += m.Count
	}
	return n
}

// ConnectsPerMonth is how many days of 30 a kind connects (0 never, 30
// daily), from Connect.
func (m *Machine) ConnectsPerMonth() int { return m.connectPerMon }

// AtMinute is the minute of the day of At.
func (m *Machine) AtMinute() int { return m.atMinute }

// parseConnect reads "daily", "never" or "N/month".
func parseConnect(s string) (int, bool) {
	switch s {
	case "daily":
		return 30, true
	case "never":
		return 0, true
	}
	n, ok := strings.CutSuffix(s, "/month")
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(n)
	if err != nil || v < 0 || v > 30 {
		return 0, false
	}
	return v, true
}

// parseAt reads "HH:MM".
func parseAt(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}
