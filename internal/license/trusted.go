package license

import "time"

// RollbackTolerance is how far the clock may go back before [TrustedNow]
// treats it as rolled back.
const RollbackTolerance = 10 * time.Minute

// TrustedNow compares the system time now with the highest time seen so far
// (highWater, zero when none). If now is more than [RollbackTolerance] before
// highWater, the clock was rolled back: effective is highWater and
// rolledBack is true. Otherwise effective is now. newHighWater is the later
// of highWater and now; the caller stores it.
func TrustedNow(highWater, now time.Time) (effective, newHighWater time.Time, rolledBack bool) {
	newHighWater = highWater
	if now.After(highWater) {
		newHighWater = now
	}
	if now.Before(highWater.Add(-RollbackTolerance)) {
		return highWater, newHighWater, true
	}
	return now, newHighWater, false
}
