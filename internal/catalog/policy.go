package catalog

import (
	"slices"
	"strings"

	"github.com/volact/volact/internal/hresult"
)

// Overrides the vendor may allow in the signed catalog (design §4, §8):
// test and container knobs that change what the client trusts.
const (
	OverrideClock     = "clock"      // VOLACT_CLOCK_OFFSET moves the clock
	OverrideMachineID = "machine-id" // VOLACT_MACHINE_ID replaces the hardware id
)

// overrideVars maps each override to the environment variable that uses it,
// in the order the overrides are listed.
var overrideVars = []struct{ name, env string }{
	{OverrideClock, "VOLACT_CLOCK_OFFSET"},
	{OverrideMachineID, "VOLACT_MACHINE_ID"},
}

// Policy is what the vendor allows clients of the catalog. It is part of
// the signed catalog: nobody but the root's holder can change it. A
// catalog without a policy allows nothing.
type Policy struct {
	// AllowOverrides lists the overrides (OverrideClock, OverrideMachineID)
	// clients may honour.
	AllowOverrides []string `json:"allow_overrides,omitempty"`
}

// Overrides lists every override name this volact knows.
func Overrides() []string {
	out := make([]string, len(overrideVars))
	for i, o := range overrideVars {
		out[i] = o.name
	}
	return out
}

// OverrideVariable is the environment variable of override name
// (VOLACT_CLOCK_OFFSET for "clock"), or "" for an unknown name.
func OverrideVariable(name string) string {
	for _, o := range overrideVars {
		if o.name == name {
			return o.env
		}
	}
	return ""
}

// ParseOverrides reads a comma-separated list of override names, as
// `volactd mak init --allow-overrides clock,machine-id` takes it, and
// returns them without repeats in the order of [Overrides]. Empty input is
// an empty list. Failures are hresult.InvalidArg, exit 3.
func ParseOverrides(s string) ([]string, error) {
	var seen []string
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if OverrideVariable(f) == "" {
			return nil, hresult.Newf(hresult.InvalidArg, "%q is not an override (known: %s)", f, strings.Join(Overrides(), ", ")).
				WithExit(hresult.ExitInvalid)
		}
		seen = append(seen, f)
	}
	out := []string{}
	for _, o := range Overrides() {
		if slices.Contains(seen, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// AllowsOverride reports whether the catalog's signed policy allows the
// override name. A nil catalog allows nothing.
func (c *Catalog) AllowsOverride(name string) bool {
	return c != nil && slices.Contains(c.Policy.AllowOverrides, name)
}

// OverrideRefused is the error for an override that is in use although c
// does not allow it: one line naming the variable, the catalog's issuer
// and how the vendor allows it. Its code is hresult.InvalidArg, exit 3.
func (c *Catalog) OverrideRefused(name string) *hresult.Error {
	env, issuer := OverrideVariable(name), "this catalog"
	if env == "" {
		env = name
	}
	if c != nil {
		issuer = "the catalog of " + c.Issuer
	}
	return hresult.Newf(hresult.InvalidArg, "%s is set but %s does not allow the %s override (volactd mak init --allow-overrides %s)",
		env, issuer, name, name).WithExit(hresult.ExitInvalid)
}

// CheckOverride returns nil when c allows the override name, else
// [Catalog.OverrideRefused].
func (c *Catalog) CheckOverride(name string) error {
	if c.AllowsOverride(name) {
		return nil
	}
	return c.OverrideRefused(name)
}

// validate checks that the policy names only known overrides, once each.
func (p Policy) validate() error {
	for i, o := range p.AllowOverrides {
		switch {
		case OverrideVariable(o) == "":
			return invalid("catalog policy allows the override %q, which this volact does not know (known: %s)", o, strings.Join(Overrides(), ", "))
		case slices.Contains(p.AllowOverrides[:i], o):
			return invalid("catalog policy lists the override %q twice", o)
		}
	}
	return nil
}
