package license

import (
	"fmt"
	"time"
)

// Implausible says why p's unsigned state is one that no transition
// writes, or returns "" when it is plausible. highWater is the
// trusted-time high-water mark of the store that holds p (zero when the
// store keeps none: the grace start is then not checked).
//
//   - A negative rearm count: it would leave more rearms than the
//     product's limit.
//   - A grace start more than [RollbackTolerance] after highWater: every
//     transition starts a grace at the trusted time of its run, which the
//     high-water mark never falls behind ([Realign] moves both back
//     together), so a later one was written by hand to lengthen the grace.
//
// The store's checksum catches damage, not an administrator, who can
// still write plausible values (an earlier rearm count, a later grace
// start that is not in the future); the activation requests report those
// to the servers (state_reset).
func Implausible(p Product, highWater time.Time) string {
	switch {
	case p.RearmCount < 0:
		return fmt.Sprintf("rearm count %d is negative", p.RearmCount)
	case !highWater.IsZero() && p.GraceStart.After(highWater.Add(RollbackTolerance)):
		return fmt.Sprintf("grace start %s is after the trusted time %s",
			p.GraceStart.UTC().Format(time.RFC3339), highWater.UTC().Format(time.RFC3339))
	}
	return ""
}
