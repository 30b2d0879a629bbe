package license

// MAKOutcome is what the activation service does with one MAK activation
// request. The ledger applies the rule inside its transaction and the
// simulator in memory; [DecideMAK] is the one place it is written.
type MAKOutcome uint8

// The outcomes of [DecideMAK].
const (
	MAKSpend     MAKOutcome = iota // a new installation: one activation is spent
	MAKAgain                       // activated before (a reimage): nothing is spent
	MAKExhausted                   // a new installation and none left: 0xC004C020
	MAKBlocked                     // the key is blocked, installations activated before included: 0xC004C003
)

// DecideMAK is the MAK spending rule for a key of limit activations of
// which used are spent: a blocked key activates nothing, an installation
// activated before is activated again for nothing, a new one spends one
// activation while any is left.
func DecideMAK(blocked, activatedBefore bool, used, limit int) MAKOutcome {
	switch {
	case blocked:
		return MAKBlocked
	case activatedBefore:
		return MAKAgain
	case used >= limit:
		return MAKExhausted
	}
	return MAKSpend
}
