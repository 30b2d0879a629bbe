package kms

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// view is a consistent read of a data directory that a host may be
// serving: the database in one read transaction, and the journaled
// requests that the database does not hold yet, in order.
type view struct {
	db      *sql.DB
	tx      *sql.Tx
	journal []write
}

// openView reads the journal first and then starts the transaction, so a
// segment is either in the database snapshot or read here: a segment
// deleted in between was applied before the snapshot began.
func openView(dir string) (*view, error) {
	segs, err := readSegments(dir, 0)
	if err != nil {
		return nil, dbErr(err, "cannot read the KMS host journal")
	}
	db, err := openDB(dbPath(dir), dbOpen)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		db.Close()
		return nil, dbErr(err, "cannot read the KMS database")
	}
	v := &view{db: db, tx: tx}
	applied, err := appliedSeq(ctx, tx)
	if err != nil {
		v.close()
		return nil, err
	}
	for _, s := range segs {
		if s.seq > applied {
			v.journal = append(v.journal, s.writes...)
		}
	}
	return v, nil
}

func (v *view) close() {
	_ = v.tx.Rollback()
	v.db.Close()
}

// history calls each for every history row at or after since, oldest first.
func (v *view) history(ctx context.Context, since time.Time, each func(HistoryRow) error) error {
	if err := queryHistory(ctx, v.tx, since, each); err != nil {
		return err
	}
	for _, w := range v.journal {
		if !w.refused && !w.hist.Time.Before(since) {
			if err := each(w.hist); err != nil {
				return err
			}
		}
	}
	return nil
}

// clientsSeen counts the distinct CMIDs per group that asked since t, in
// the database and in the journal.
func (v *view) clientsSeen(ctx context.Context, since time.Time) (map[string]int, error) {
	seen, err := clientsSeen(ctx, v.tx, since)
	if err != nil {
		return nil, err
	}
	fresh := journalCMIDs(v.journal, since)
	for g, ids := range fresh {
		known, err := countKnown(ctx, v.tx, g, since, ids)
		if err != nil {
			return nil, err
		}
		seen[g] += len(ids) - known
	}
	return seen, nil
}

// countKnown counts how many of ids the history of group g already holds
// since t.
func countKnown(ctx context.Context, q querier, g string, since time.Time, ids map[string]bool) (int, error) {
	const per = 500
	list := make([]any, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	known := 0
	for len(list) > 0 {
		part := list[:min(per, len(list))]
		list = list[len(part):]
		query := `SELECT COUNT(DISTINCT cmid) FROM history WHERE grp = ? AND t >= ? AND cmid IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		var n int
		if err := q.QueryRowContext(ctx, query, append([]any{g, since.UnixNano()}, part...)...).Scan(&n); err != nil {
			return 0, dbErr(err, "cannot read the history")
		}
		known += n
	}
	return known, nil
}
