package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/volact/volact/internal/catalog"
)

// validator collects the first error of a scenario, with the line of the
// field it names.
type validator struct {
	file string
	root *yaml.Node
	err  error
}

// failf records an error about the field at path (such as
// "machines", 2, "count") unless one is recorded already.
func (v *validator) failf(path []any, format string, args ...any) {
	if v.err != nil {
		return
	}
	v.err = &InputError{File: v.file, Line: lineOf(v.root, path), Msg: pathString(path) + ": " + fmt.Sprintf(format, args...)}
}

// lineOf is the line of the value at path in the document, or of the
// nearest existing parent.
func lineOf(n *yaml.Node, path []any) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						next = n.Content[i+1]
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
			}
		}
		if next == nil {
			return line
		}
		n, line = next, next.Line
	}
	return line
}

// pathString is path as "machines[2].count".
func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		case int:
			b.WriteString("[" + strconv.Itoa(k) + "]")
		}
	}
	return b.String()
}

func at(path ...any) []any { return path }

// check validates s against cat and fills the parsed fields.
func (s *Scenario) check(v *validator, cat *catalog.Catalog) {
	switch {
	case s.Days <= 0 || s.Days > MaxDays:
		v.failf(at("days"), "%d is not a number of days from 1 to %d", s.Days, MaxDays)
	case s.Start != "":
		if _, err := time.Parse(time.DateOnly, s.Start); err != nil {
			v.failf(at("start"), "%q is not a date such as 2030-01-01", s.Start)
		}
	}
	if len(s.Hosts) > MaxHosts {
		v.failf(at("hosts"), "%d hosts, at most %d", len(s.Hosts), MaxHosts)
	}
	hosts := map[string]bool{}
	for i, h := range s.Hosts {
		switch {
		case h.Name == "":
			v.failf(at("hosts", i, "name"), "a host needs a name")
		case hosts[h.Name]:
			v.failf(at("hosts", i, "name"), "host %q is named twice", h.Name)
		}
		hosts[h.Name] = true
		for j, g := range h.Groups {
			if _, ok := cat.Group(g); !ok {
				v.failf(at("hosts", i, "groups", j), "group %q is not in the catalog (%s)", g, groupNames(cat))
			}
		}
	}
	for i, o := range s.Outages {
		switch {
		case o.Of != "host" && o.Of != "dns" && o.Of != "service":
			v.failf(at("outages", i, "of"), "%q is not host, dns or service", o.Of)
		case o.Of == "host" && !hosts[o.Host]:
			v.failf(at("outages", i, "host"), "%q is not one of the hosts", o.Host)
		case o.Of != "host" && o.Host != "":
			v.failf(at("outages", i, "host"), "goes only with of: host")
		case o.From < 0:
			v.failf(at("outages", i, "from"), "day %d is negative", o.From)
		case o.To <= o.From:
			v.failf(at("outages", i, "to"), "the outage ends (day %d) before it starts (day %d)", o.To, o.From)
		case s.Days > 0 && o.From >= s.Days:
			v.failf(at("outages", i, "from"), "day %d is after the scenario's last day (%d)", o.From, s.Days-1)
		}
	}
	keys := map[string]*MAKKey{}
	for i := range s.MAKKeys {
		k := &s.MAKKeys[i]
		switch {
		case k.Name == "":
			v.failf(at("mak_keys", i, "name"), "a MAK key needs a name")
		case keys[k.Name] != nil:
			v.failf(at("mak_keys", i, "name"), "MAK key %q is named twice", k.Name)
		case k.Activations < 0:
			v.failf(at("mak_keys", i, "activations"), "%d is negative", k.Activations)
		}
		if _, ok := cat.Product(k.SKU); !ok {
			v.failf(at("mak_keys", i, "sku"), "product %q is not in the catalog (%s)", k.SKU, skuNames(cat))
		}
		keys[k.Name] = k
	}
	if len(s.Machines) == 0 {
		v.failf(at("machines"), "no machines to simulate")
	}
	total := 0
	for i := range s.Machines {
		s.Machines[i].check(v, i, cat, keys, len(s.Hosts) > 0)
		total += max(s.Machines[i].Count, 0)
	}
	if total > MaxMachines {
		v.failf(at("machines"), "%d machines, at most %d", total, MaxMachines)
	}
}

// check validates machine kind i.
func (m *Machine) check(v *validator, i int, cat *catalog.Catalog, keys map[string]*MAKKey, haveHosts bool) {
	f := func(name string) []any { return at("machines", i, name) }
	if _, ok := cat.Product(m.SKU); !ok {
		v.failf(f("sku"), "product %q is not in the catalog (%s)", m.SKU, skuNames(cat))
	}
	var ok bool
	if m.connectPerMon, ok = parseConnect(m.Connect); !ok {
		v.failf(f("connect"), "%q is not daily, never or N/month (N from 0 to 30)", m.Connect)
	}
	if m.At == "" {
		m.At = "09:00"
	}
	if m.atMinute, ok = parseAt(m.At); !ok {
		v.failf(f("at"), "%q is not a time of day such as 09:00", m.At)
	}
	switch {
	case m.Count < 0:
		v.failf(f("count"), "%d is negative", m.Count)
	case m.Spread < 0 || m.atMinute+m.Spread > 24*60:
		v.failf(f("spread_minutes"), "%d does not fit in the day after %s", m.Spread, m.At)
	case m.InstallDay < 0:
		v.failf(f("install_day"), "day %d is negative", m.InstallDay)
	case m.ReimageEvery < 0:
		v.failf(f("reimage_every_days"), "%d is negative", m.ReimageEvery)
	case m.RearmEvery < 0:
		v.failf(f("rearm_every_days"), "%d is negative", m.RearmEvery)
	}
	switch m.Channel {
	case ChannelKMS:
		if m.MAKKey != "" {
			v.failf(f("mak_key"), "a KMS client has no MAK key")
		}
		if !haveHosts && m.Count > 0 && m.connectPerMon > 0 {
			v.failf(f("channel"), "KMS clients need at least one host in hosts")
		}
	case ChannelMAK:
		k := keys[m.MAKKey]
		switch {
		case k == nil:
			v.failf(f("mak_key"), "%q is not one of mak_keys", m.MAKKey)
		case !strings.EqualFold(k.SKU, m.SKU):
			v.failf(f("mak_key"), "key %q is for %s, not %s", m.MAKKey, k.SKU, m.SKU)
		}
	default:
		v.failf(f("channel"), "%q is not kms_client or mak", m.Channel)
	}
}

func skuNames(cat *catalog.Catalog) string {
	var s []string
	for _, p := range cat.Products {
		s = append(s, p.SKU)
	}
	return "it has " + strings.Join(s, ", ")
}

func groupNames(cat *catalog.Catalog) string {
	var s []string
	for _, g := range cat.Groups {
		s = append(s, g.Name)
	}
	slices.Sort(s)
	return "it has " + strings.Join(s, ", ")
}
