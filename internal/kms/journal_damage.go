package kms

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
)

// damagedSuffix is appended to the name of a journal segment with a
// damaged record once the records before the damage are applied: the
// segment is kept for inspection, never deleted, and no longer read.
const damagedSuffix = ".damaged"

// Settings rows that add up what damaged journal segments cost.
const (
	settingDamagedSegments = "journal_damaged_segments"
	settingLostBytes       = "journal_lost_bytes"
)

// JournalLoss is what damaged journal segments have cost the host since it
// was set up: segments moved aside, and bytes in them after the damage
// that could not be read (requests that were answered but are not in the
// counts or the history).
type JournalLoss struct {
	Segments int   `json:"damaged_segments"`
	Bytes    int64 `json:"bytes_lost"`
}

// loadLoss reads the journal losses recorded in the database.
func loadLoss(ctx context.Context, q querier) (JournalLoss, error) {
	var l JournalLoss
	var segs int64
	if err := readCounter(ctx, q, settingDamagedSegments, &segs); err != nil {
		return l, err
	}
	l.Segments = int(segs)
	return l, readCounter(ctx, q, settingLostBytes, &l.Bytes)
}

func readCounter(ctx context.Context, q querier, name string, dst *int64) error {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return dbErr(err, "cannot read the KMS database")
	}
	*dst, _ = strconv.ParseInt(v, 10, 64)
	return nil
}

// recordDamage adds the damaged segments of segs (those after applied) to
// the losses in the database, moves them aside and returns the new total.
// It runs after their good records were applied.
func recordDamage(ctx context.Context, db *sql.DB, dir string, segs []segment, applied uint64, log *slog.Logger) (JournalLoss, error) {
	loss, err := loadLoss(ctx, db)
	if err != nil {
		return loss, err
	}
	var add JournalLoss
	var moved []uint64
	for _, s := range segs {
		if s.seq <= applied || !s.damaged {
			continue
		}
		add.Segments++
		add.Bytes += int64(s.lost)
		moved = append(moved, s.seq)
		log.Error("journal segment is damaged: the requests before the damage were applied, the rest could not be read",
			"segment", segmentName(s.seq)+damagedSuffix, "requests_kept", len(s.writes), "bytes_lost", s.lost)
	}
	if add.Segments == 0 {
		return loss, nil
	}
	loss.Segments += add.Segments
	loss.Bytes += add.Bytes
	if err := inTx(ctx, db, func(tx *sql.Tx) error {
		if err := putSetting(ctx, tx, settingDamagedSegments, strconv.Itoa(loss.Segments)); err != nil {
			return err
		}
		return putSetting(ctx, tx, settingLostBytes, strconv.FormatInt(loss.Bytes, 10))
	}); err != nil {
		return loss, err
	}
	for _, seq := range moved {
		p := filepath.Join(dir, segmentName(seq))
		if err := os.Rename(p, p+damagedSuffix); err != nil {
			return loss, dbErr(err, "cannot move the damaged journal segment aside")
		}
	}
	return loss, nil
}
