package license

import "time"

// RollbackTolerance is how far the clock may go back before [TrustedNow]
// treats it as rolled back.
const RollbackTolerance = 10 * time.Minute

// Clock is the trusted-time bookkeeping a store keeps between runs.
//
//   - HighWater is the highest trusted time seen (the high-water mark).
//   - Wall is the system time observed by the run that last saved the
//     clock (zero in stores written before it was kept: HighWater stands
//     in for it).
//
// # Behaviour
//
// The trusted time of a run is the system time, unless the system time is
// more than [RollbackTolerance] behind the trusted timeline: the
// high-water mark plus the system time elapsed since the last saved run
// (Wall). That is a
// rollback, whatever its cause: the clock was set back, or an earlier run
// saw a clock that was ahead (a high-water mark in the future). Locally
// the two cannot be told apart, so they are treated alike:
//
//   - The trusted time is never earlier than the high-water mark, so a
//     rollback never gives back grace that was counted.
//   - Time does not freeze: during a rollback the trusted time is that
//     timeline, so grace keeps counting down at the clock's pace; the
//     offset stays until the clock is moved forward again or a
//     successful activation realigns it. (Steps back within the
//     tolerance are forgiven.)
//   - The high-water mark only ever advances to the trusted time of a run,
//     which is at most the time that run observed: no command can set it
//     beyond its own now plus the tolerance.
//
// So running one command with the clock a year ahead
// (VOLACT_CLOCK_OFFSET=8760h) spends that year of grace, and the trusted
// time then runs a year ahead of the corrected clock. The administrator
// recovers with a successful activation: its grant carries the issuer's
// signed time, and [Realign] moves the trusted timeline back to it while
// keeping every product's remaining grace exactly as it was (no grace is
// given back). rearm also still works. What this cannot detect alone is a
// clock set back to the same moment before every run; the activation
// requests report the grace start, rearm count and high-water mark to the
// servers, which record a store that went backwards (state_reset).
type Clock struct {
	HighWater time.Time
	Wall      time.Time
}

// Now returns the trusted time at system time now, the clock to save, and
// whether the system clock is rolled back (see [Clock]).
func (c Clock) Now(now time.Time) (effective time.Time, next Clock, rolledBack bool) {
	if c.HighWater.IsZero() {
		return now, Clock{HighWater: now, Wall: now}, false
	}
	wall := c.Wall
	if wall.IsZero() {
		wall = c.HighWater
	}
	// ahead is the trusted timeline continued at the clock's pace since
	// the last saved run.
	ahead := c.HighWater
	if elapsed := now.Sub(wall); elapsed > 0 {
		ahead = ahead.Add(elapsed)
	}
	effective = now
	if ahead.After(now.Add(RollbackTolerance)) {
		effective, rolledBack = ahead, true
	}
	next = Clock{HighWater: c.HighWater, Wall: now}
	if effective.After(next.HighWater) {
		next.HighWater = effective
	}
	return effective, next, rolledBack
}

// TrustedNow compares the system time now with the highest time seen so far
// (highWater, zero when none). If now is more than [RollbackTolerance] before
// highWater, the clock was rolled back: effective is highWater and
// rolledBack is true. Otherwise effective is now. newHighWater is the later
// of highWater and now; the caller stores it. It is [Clock.Now] without a
// saved wall time; a caller that keeps one should use [Clock].
func TrustedNow(highWater, now time.Time) (effective, newHighWater time.Time, rolledBack bool) {
	eff, next, rb := Clock{HighWater: highWater}.Now(now)
	return eff, next.HighWater, rb
}

// Realign moves p's times on the trusted timeline (key install, grace
// start, last attempt) back by d, when the trusted time is found to run d
// ahead of an authoritative time (the signed issue time of a grant).
// Every remaining grace is unchanged: a grace start that moves back by d,
// judged at a trusted time that also moves back by d, leaves the same time
// to run. Grants keep their issuer's times. d <= 0 changes nothing.
func Realign(p Product, d time.Duration) Product {
	if d <= 0 {
		return p
	}
	for _, t := range []*time.Time{&p.KeyInstalledAt, &p.GraceStart, &p.LastAttempt} {
		if !t.IsZero() {
			*t = t.Add(-d)
		}
	}
	return p
}
