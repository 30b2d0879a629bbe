package kms

import (
	"context"
	"database/sql"
	"time"
)

// FillHistory writes rows to h's database as the applier writes answered
// requests (history rows; the triggers keep the status page's aggregates),
// in batches of applyKick, without the journal. Benchmarks fill a large
// history with it.
func (h *Host) FillHistory(rows []HistoryRow) error {
	bw := newBatchWriter(h.db)
	defer bw.close()
	ctx := context.Background()
	ws := make([]write, 0, applyKick)
	for len(rows) > 0 {
		part := rows[:min(applyKick, len(rows))]
		rows = rows[len(part):]
		ws = ws[:0]
		for _, r := range part {
			ws = append(ws, write{hist: r})
		}
		ops := bw.plan(ws)
		if err := bw.prepare(ctx, ops); err != nil {
			return err
		}
		if err := inTx(ctx, h.db, func(tx *sql.Tx) error { return bw.apply(ctx, tx, ops, time.Time{}, time.Time{}) }); err != nil {
			return err
		}
	}
	return nil
}
