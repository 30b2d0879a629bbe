package trueup

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/volact/volact/internal/protocol"
)

// Window is the period over which a KMS host counts distinct clients.
const Window = 30 * 24 * time.Hour

// maxKeysShown bounds the keys a report lists: the last 5 characters
// are all a log knows of a key.
const maxKeysShown = 1000

// TrueUp is the true-up of one log.
type TrueUp struct {
	Groups  []GroupCount `json:"groups"`
	Keys    []KeyCount   `json:"keys"`
	Hosts   []HostCount  `json:"hosts"`
	Unknown int64        `json:"unknown_leaves,omitempty"` // leaves of no known kind
}

// GroupCount is one KMS counted group: the most distinct machines in any
// 30-day window (ending at WindowEnd), and the answers logged.
type GroupCount struct {
	Group       string    `json:"group"`
	MaxMachines int       `json:"max_machines_30d"`
	WindowEnd   time.Time `json:"window_end"`
	Grants      int64     `json:"grants"`
	Refusals    int64     `json:"refusals"`
}

// KeyCount is one MAK or retail key (by its last 5 characters, all a log
// holds): the distinct installations (hardware id, SKU and instance: a
// clone that kept the hardware id is another) granted, which is the
// activations spent.
type KeyCount struct {
	KeyLast5 string `json:"key_last5"`
	SKU      string `json:"sku"`
	Spent    int    `json:"activations_spent"`
	Grants   int64  `json:"grants"`
	Refusals int64  `json:"refusals"`
}

// HostCount is one KMS host key group certified by the service: the
// distinct hosts it certified.
type HostCount struct {
	Group string `json:"group"`
	Hosts int    `json:"hosts"`
}

// event is one machine seen at a time.
type event struct {
	at      time.Time
	machine string
}

// tally accumulates leaves.
type tally struct {
	groups   map[string]*GroupCount
	events   map[string][]event
	keys     map[string]*KeyCount
	installs map[string]map[string]bool
	hosts    map[string]map[string]bool
	unknown  int64
}

func newTally() *tally {
	return &tally{groups: map[string]*GroupCount{}, events: map[string][]event{}, keys: map[string]*KeyCount{},
		installs: map[string]map[string]bool{}, hosts: map[string]map[string]bool{}}
}

// leaf is the union of the leaf kinds' fields a true-up reads.
type leaf struct {
	Kind       string    `json:"kind"`
	SKU        string    `json:"sku"`
	HardwareID string    `json:"hardware_id"`
	CMID       string    `json:"cmid"`
	IssuedAt   time.Time `json:"issued_at"`
	Group      string    `json:"group"`
	KeyLast5   string    `json:"key_last5"`
	Time       time.Time `json:"time"`
	Machine    string    `json:"machine"`
	HostID     string    `json:"host_id"`
	Groups     []string  `json:"groups"`
	Instance   int       `json:"instance"` // MAK: machines sharing a hardware id
}

func (t *tally) add(data []byte) {
	var l leaf
	if json.Unmarshal(data, &l) != nil {
		t.unknown++
		return
	}
	switch {
	case l.Kind == protocol.KindKMS && l.Group != "":
		t.group(l.Group).Grants++
		t.events[l.Group] = append(t.events[l.Group], event{l.IssuedAt, protocol.MachineDigest(l.CMID)})
	case l.Kind == protocol.KindMAK:
		k := t.key(l.KeyLast5, l.SKU)
		k.Grants++
		id := k.KeyLast5 + "/" + k.SKU
		if t.installs[id] == nil {
			t.installs[id] = map[string]bool{}
		}
		t.installs[id][l.HardwareID+"/"+l.SKU+"#"+strconv.Itoa(l.Instance)] = true
	case l.Kind == protocol.KindRefusal && l.KeyLast5 != "":
		t.key(l.KeyLast5, l.SKU).Refusals++
	case l.Kind == protocol.KindRefusal && l.Group != "":
		t.group(l.Group).Refusals++
		t.events[l.Group] = append(t.events[l.Group], event{l.Time, l.Machine})
	case l.Kind == "" && l.HostID != "":
		for _, g := range l.Groups {
			if t.hosts[g] == nil {
				t.hosts[g] = map[string]bool{}
			}
			t.hosts[g][l.HostID] = true
		}
	default:
		t.unknown++
	}
}

func (t *tally) group(name string) *GroupCount {
	if t.groups[name] == nil {
		t.groups[name] = &GroupCount{Group: name}
	}
	return t.groups[name]
}

func (t *tally) key(last5, sku string) *KeyCount {
	id := last5 + "/" + sku
	if t.keys[id] == nil {
		t.keys[id] = &KeyCount{KeyLast5: last5, SKU: sku}
	}
	return t.keys[id]
}

// report computes the counts.
func (t *tally) report() TrueUp {
	out := TrueUp{Groups: []GroupCount{}, Keys: []KeyCount{}, Hosts: []HostCount{}, Unknown: t.unknown}
	for name, g := range t.groups {
		g.MaxMachines, g.WindowEnd = maxDistinct(t.events[name], Window)
		out.Groups = append(out.Groups, *g)
	}
	sort.Slice(out.Groups, func(i, j int) bool { return out.Groups[i].Group < out.Groups[j].Group })
	for id, k := range t.keys {
		k.Spent = len(t.installs[id])
		out.Keys = append(out.Keys, *k)
	}
	sort.Slice(out.Keys, func(i, j int) bool {
		a, b := out.Keys[i], out.Keys[j]
		return a.KeyLast5 < b.KeyLast5 || a.KeyLast5 == b.KeyLast5 && a.SKU < b.SKU
	})
	if len(out.Keys) > maxKeysShown {
		out.Keys = out.Keys[:maxKeysShown]
	}
	for g, hs := range t.hosts {
		out.Hosts = append(out.Hosts, HostCount{Group: g, Hosts: len(hs)})
	}
	sort.Slice(out.Hosts, func(i, j int) bool { return out.Hosts[i].Group < out.Hosts[j].Group })
	return out
}

// maxDistinct returns the most distinct machines among events within any
// window of length w (ending at an event), and where that window ends.
func maxDistinct(evs []event, w time.Duration) (int, time.Time) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	seen := map[string]int{}
	best, end, lo := 0, time.Time{}, 0
	for _, e := range evs {
		seen[e.machine]++
		for !evs[lo].at.After(e.at.Add(-w)) {
			if seen[evs[lo].machine]--; seen[evs[lo].machine] == 0 {
				delete(seen, evs[lo].machine)
			}
			lo++
		}
		if len(seen) > best {
			best, end = len(seen), e.at
		}
	}
	return best, end
}
