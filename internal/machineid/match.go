package machineid

import "slices"

// SourceHardwareID is the name Match reports for an identity recorded
// without sources (before volact recorded them): only the hardware ids
// are compared.
const SourceHardwareID = "hardware-id"

// MatchResult is how well the current machine matches a recorded identity.
// The lists hold source names in the recorded order and are never nil.
type MatchResult struct {
	// OK is true when at least half of the recorded sources still match.
	OK bool `json:"ok"`
	// Matched are the recorded sources whose value is unchanged (for
	// "macs": at least one recorded MAC is still present).
	Matched []string `json:"matched"`
	// Changed are the recorded sources that now have another value.
	Changed []string `json:"changed"`
	// Missing are the recorded sources that cannot be read any more; they
	// count as not matching.
	Missing []string `json:"missing"`
}

// Match compares the current identity with the one recorded at
// activation (the receiver). Each recorded source matches when any of its
// recorded digests is among the current digests of the same name; the
// result is OK when matched sources are at least half of the recorded
// ones: a grant survives a replaced network card, disk or board as long
// as most of the machine stays, but a clone that keeps /etc/machine-id
// and gets a new DMI UUID and new MACs does not. Sources that exist now
// but were not recorded are ignored.
//
// A recorded identity without sources matches when the hardware ids are
// equal, and is reported as the single source "hardware-id".
func (recorded Identity) Match(current Identity) MatchResult {
	r := MatchResult{Matched: []string{}, Changed: []string{}, Missing: []string{}}
	if len(recorded.Sources) == 0 {
		if recorded.HardwareID != "" && recorded.HardwareID == current.HardwareID {
			r.Matched = append(r.Matched, SourceHardwareID)
		} else {
			r.Changed = append(r.Changed, SourceHardwareID)
		}
		r.OK = len(r.Matched) == 1
		return r
	}
	for _, rec := range recorded.Sources {
		i := slices.IndexFunc(current.Sources, func(s Source) bool { return s.Name == rec.Name })
		switch {
		case i < 0:
			r.Missing = append(r.Missing, rec.Name)
		case slices.ContainsFunc(rec.Digests, func(d string) bool { return slices.Contains(current.Sources[i].Digests, d) }):
			r.Matched = append(r.Matched, rec.Name)
		default:
			r.Changed = append(r.Changed, rec.Name)
		}
	}
	r.OK = 2*len(r.Matched) >= len(recorded.Sources)
	return r
}
