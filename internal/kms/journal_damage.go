package kms

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"hash/crc32"
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
	settingLostRecords     = "journal_lost_records"
)

// JournalLoss is what damaged journal segments have cost the host since it
// was set up: segments moved aside, and the records and bytes in them from
// the damage on that were not applied (requests that were answered but are
// not in the counts or the history). Records counts the damaged record and
// the intact ones after it that their checksums still recognise.
type JournalLoss struct {
	Segments int   `json:"damaged_segments"`
	Records  int64 `json:"records_lost"`
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
	if err := readCounter(ctx, q, settingLostRecords, &l.Records); err != nil {
		return l, err
	}
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
		add.Records += int64(s.lostRec)
		moved = append(moved, s.seq)
		log.Error("journal segment is damaged: the requests before the damage were applied, the rest could not be read",
			"segment", segmentName(s.seq)+damagedSuffix, "requests_kept", len(s.writes), "records_lost", s.lostRec, "bytes_lost", s.lost)
	}
	if add.Segments == 0 {
		return loss, nil
	}
	loss.Segments += add.Segments
	loss.Bytes += add.Bytes
	loss.Records += add.Records
	if err := inTx(ctx, db, func(tx *sql.Tx) error {
		if err := putSetting(ctx, tx, settingDamagedSegments, strconv.Itoa(loss.Segments)); err != nil {
			return err
		}
		if err := putSetting(ctx, tx, settingLostRecords, strconv.FormatInt(loss.Records, 10)); err != nil {
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

// maxScan bounds the bytes lostRecords checksums while it looks for
// records past the damage.
const maxScan = 64 << 20

// lostRecords counts the records of a segment from its damage on (data
// starts at the damaged record): the damaged record itself, and every
// record after it that its checksum still recognises, found by looking at
// every offset after the damage (the damaged record's own length may be
// what was damaged, so it is not trusted to find the next one). It is a
// count for the operator; none of those records is applied.
func lostRecords(data []byte) int {
	if allZero(data) {
		return 0
	}
	lost, i, scanned := 1, 1, 0
	for i+recordHeader <= len(data) && scanned < maxScan {
		rest := data[i:]
		if rest[0] == 0 && rest[1] == 0 && rest[2] == 0 && rest[3] == 0 {
			// A zero length: the end of the records, unless damage
			// follows; skip to the next non-zero byte.
			nz := bytes.IndexFunc(rest, func(r rune) bool { return r != 0 })
			if nz < 0 {
				break
			}
			i += max(nz-1, 1)
			continue
		}
		n := int(binary.LittleEndian.Uint32(rest))
		if n <= maxPayload && recordHeader+n <= len(rest) && rest[recordHeader] <= flagRefused {
			scanned += n
			if crc32.Checksum(rest[recordHeader:recordHeader+n], castagnoli) == binary.LittleEndian.Uint32(rest[4:]) {
				lost++
				i += recordHeader + n
				continue
			}
		}
		i++
	}
	return lost
}
