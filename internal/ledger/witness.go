package ledger

import (
	"context"
	"strings"
	"time"
)

// Witnessing KMS hosts (issue 12, item 7): a customer's host reports its
// log's newest signed checkpoint and its true-up summary to the service
// (volactd kms report), which keeps, per host log, the newest checkpoint
// that extends every one the host reported before. A report whose tree
// does not extend the kept one (a log rewritten, cut or replaced) is
// recorded as a conflict and the host is flagged inconsistent for good:
// the kept checkpoint is never replaced by a history that contradicts it.
// A host that never reports has no row.

// WitnessedHost is what the service keeps of one reporting KMS host.
type WitnessedHost struct {
	Origin       string    // the host's log origin (its key's fingerprint)
	Subject      string    // the host id its certificate names
	Groups       []string  // the groups its certificates name
	TreeSize     int64     // size of Checkpoint
	Checkpoint   string    // newest signed checkpoint consistent with every earlier report
	Summary      string    // JSON true-up summary of the tree of size TreeSize
	FirstReport  time.Time // when the host first reported
	LastReport   time.Time // when it last reported
	ReportedSize int64     // tree size of the last report
	Consistent   bool      // every report extended the ones before
	Conflict     string    // when not Consistent: the first checkpoint that did not extend Checkpoint
	ConflictAt   time.Time // and when it came
}

// witnessColumns are the columns of witnessed_hosts in WitnessedHost order.
const witnessColumns = `origin, subject, groups, tree_size, checkpoint, summary, first_report, last_report,
	reported_size, consistent, conflict, conflict_at`

// Witness runs decide on the kept row of the host log origin (nil when the
// host never reported) in one transaction, with the row locked, and stores
// the row decide returns (nil: nothing changes). decide may run more than
// once (a transaction that lost a race is retried) and must not have side
// effects.
func (l *Ledger) Witness(ctx context.Context, origin string, decide func(prev *WitnessedHost) (*WitnessedHost, error)) error {
	return l.tx(ctx, "witness host", func(q querier) error {
		prev, err := scanWitnessed(q.queryRow(ctx, `SELECT `+witnessColumns+` FROM witnessed_hosts WHERE origin = $1`+l.b.forUpdate(), origin))
		if err == errNoRows {
			prev, err = nil, nil
		}
		if err != nil {
			return err
		}
		next, err := decide(prev)
		if err != nil || next == nil {
			return err
		}
		args := []any{origin, next.Subject, strings.Join(next.Groups, ","), next.TreeSize, next.Checkpoint, next.Summary,
			stamp(next.FirstReport), stamp(next.LastReport), next.ReportedSize, next.Consistent, next.Conflict, stampOrEmpty(next.ConflictAt)}
		if prev == nil {
			_, err = q.exec(ctx, `INSERT INTO witnessed_hosts (`+witnessColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, args...)
			return err
		}
		_, err = q.exec(ctx, `UPDATE witnessed_hosts SET subject = $2, groups = $3, tree_size = $4, checkpoint = $5,
			summary = $6, first_report = $7, last_report = $8, reported_size = $9, consistent = $10, conflict = $11,
			conflict_at = $12 WHERE origin = $1`, args...)
		return err
	})
}

// WitnessedHosts returns every host that reported, ordered by origin. The
// service's status page and volactd mak hosts read it.
func (l *Ledger) WitnessedHosts(ctx context.Context) ([]WitnessedHost, error) {
	var out []WitnessedHost
	err := l.tx(ctx, "read witnessed hosts", func(q querier) error {
		out = []WitnessedHost{}
		var n int
		if err := q.queryRow(ctx, `SELECT COUNT(*) FROM witnessed_hosts`).Scan(&n); err != nil {
			return err
		}
		// The backends' querier reads one row at a time: read by offset.
		for i := range n {
			h, err := scanWitnessed(q.queryRow(ctx, `SELECT `+witnessColumns+` FROM witnessed_hosts ORDER BY origin LIMIT 1 OFFSET $1`, i))
			if err != nil {
				return err
			}
			out = append(out, *h)
		}
		return nil
	})
	return out, err
}

// scanWitnessed reads one witnessed_hosts row.
func scanWitnessed(r row) (*WitnessedHost, error) {
	var h WitnessedHost
	var groups, first, last, conflictAt string
	if err := r.Scan(&h.Origin, &h.Subject, &groups, &h.TreeSize, &h.Checkpoint, &h.Summary, &first, &last,
		&h.ReportedSize, &h.Consistent, &h.Conflict, &conflictAt); err != nil {
		return nil, err
	}
	if groups != "" {
		h.Groups = strings.Split(groups, ",")
	}
	h.FirstReport, h.LastReport = unstamp(first), unstamp(last)
	if conflictAt != "" {
		h.ConflictAt = unstamp(conflictAt)
	}
	return &h, nil
}
