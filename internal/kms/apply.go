package kms

import (
	"context"
	"database/sql"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Applier timing.
const (
	applyEvery = 100 * time.Millisecond // a segment is applied at least this often
	applyKick  = 4096                   // or as soon as it holds this many requests
	pruneEvery = time.Hour              // history past retention is deleted this often
	maxSkip    = 50                     // after failures, tries are at most this many ticks apart (5 s)
)

// settingApplied is the settings row holding the number of the last
// journal segment in the database. It is written in the transaction that
// applies the segment, so a segment is applied once even if the host stops
// between that commit and the segment's deletion.
const settingApplied = "journal_applied"

// applier is the single writer of the database: it takes the journal's
// current segment every applyEvery, writes its requests in one transaction
// (synchronous=FULL, so one fsync per batch, never one per request) and
// then deletes the segment. A batch that fails stays queued and is retried
// with the next one; its segment stays on disk until it is applied.
type applier struct {
	db        *sql.DB
	j         *journal
	bw        *batchWriter
	now       func() time.Time
	retention func() time.Duration
	log       *slog.Logger
	onBatch   atomic.Pointer[func(n int, err error)] // metrics; set by Handler

	retry     []write // a failed batch, applied with the next
	retrySeq  uint64  // the last segment holding retry
	failures  int     // failed applies in a row
	skip      int     // ticks to wait before the next try
	lastPrune time.Time
	stop      chan struct{}
	done      chan struct{}
	haltOnce  sync.Once
	once      sync.Once
}

func newApplier(db *sql.DB, j *journal, now func() time.Time, retention func() time.Duration, log *slog.Logger) *applier {
	return &applier{db: db, j: j, bw: newBatchWriter(db), now: now, retention: retention, log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
}

func (a *applier) start() { go a.run() }

func (a *applier) run() {
	defer close(a.done)
	t := time.NewTicker(applyEvery)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
		case <-a.j.kick:
		}
		if a.skip > 0 { // back off after failures: each try starts a segment
			a.skip--
			continue
		}
		ws, seq, err := a.j.rotate()
		if err != nil {
			a.log.Error("cannot start a new journal segment; will retry", "err", err)
			continue
		}
		a.flush(ws, seq)
	}
}

// flush applies the queued writes and ws, which are everything in the
// segments up to seq, and deletes those segments.
func (a *applier) flush(ws []write, seq uint64) {
	seq = max(seq, a.retrySeq)
	all := append(a.retry, ws...)
	now := a.now()
	prune := now.Sub(a.lastPrune) >= pruneEvery
	if len(all) > 0 || prune {
		err := a.apply(all, seq, prune, now)
		if f := a.onBatch.Load(); f != nil && len(all) > 0 {
			(*f)(len(all), err)
		}
		if err != nil {
			a.retry, a.retrySeq = all, seq
			a.failures++
			a.skip = min(1<<min(a.failures, 6), maxSkip)
			a.log.Error("cannot apply the journal to the database; will retry", "requests", len(all), "err", err)
			return
		}
		if prune {
			a.lastPrune = now
		}
	}
	a.retry, a.retrySeq, a.failures = nil, 0, 0
	if err := removeSegments(a.j.dir, seq); err != nil {
		a.log.Warn("cannot delete an applied journal segment", "err", err)
	}
}

// apply writes ws and marks the segments up to seq applied, in one
// transaction; with prune it also deletes history past retention and
// clients not seen in Window.
func (a *applier) apply(ws []write, seq uint64, prune bool, now time.Time) error {
	ctx := context.Background()
	ops := a.bw.plan(ws)
	if err := a.bw.prepare(ctx, ops); err != nil {
		return dbErr(err, "cannot prepare the KMS database writes")
	}
	var before time.Time
	if prune {
		before = now.Add(-a.retention())
	}
	return inTx(ctx, a.db, func(tx *sql.Tx) error {
		if err := a.bw.apply(ctx, tx, ops, before, now); err != nil {
			return err
		}
		if seq == 0 { // a prune with no segment
			return nil
		}
		return setApplied(ctx, tx, seq)
	})
}

// halt stops the applier's loop; nothing is applied after it returns.
func (a *applier) halt() {
	a.haltOnce.Do(func() {
		close(a.stop)
		<-a.done
	})
}

// close stops the applier and applies what the journal still holds.
func (a *applier) close() {
	a.once.Do(func() {
		a.halt()
		ws, seq := a.j.close()
		a.flush(ws, seq)
		a.bw.close()
	})
}

func setApplied(ctx context.Context, tx *sql.Tx, seq uint64) error {
	return putSetting(ctx, tx, settingApplied, strconv.FormatUint(seq, 10))
}

// appliedSeq reads the number of the last segment in the database (0 for
// none).
func appliedSeq(ctx context.Context, q querier) (uint64, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, settingApplied).Scan(&v)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, dbErr(err, "cannot read the KMS database")
	}
	seq, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, dbErr(err, "the KMS database's journal position is damaged")
	}
	return seq, nil
}

// replay applies the segments a stopped host left behind, moves the
// damaged ones aside (see recordDamage), deletes the others and returns
// the number of the next segment with the losses to date.
func replay(db *sql.DB, dir string, log *slog.Logger, now time.Time) (uint64, JournalLoss, error) {
	ctx := context.Background()
	var none JournalLoss
	applied, err := appliedSeq(ctx, db)
	if err != nil {
		return 0, none, err
	}
	segs, err := readSegments(dir, 0)
	if err != nil {
		return 0, none, dbErr(err, "cannot read the KMS host journal")
	}
	last := applied
	var ws []write
	for _, s := range segs {
		last = max(last, s.seq)
		if s.seq > applied {
			ws = append(ws, s.writes...)
		}
	}
	if len(ws) > 0 {
		a := newApplier(db, nil, func() time.Time { return now }, nil, log)
		defer a.bw.close()
		if err := a.apply(ws, last, false, now); err != nil {
			return 0, none, err
		}
		log.Info("journal replayed", "requests", len(ws))
	}
	loss, err := recordDamage(ctx, db, dir, segs, applied, log)
	if err != nil {
		return 0, none, err
	}
	if err := removeSegments(dir, last); err != nil {
		return 0, none, dbErr(err, "cannot delete the applied KMS host journal")
	}
	return last + 1, loss, nil
}
