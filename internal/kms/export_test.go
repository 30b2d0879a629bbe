package kms

import (
	"errors"
	"fmt"
)

// Crash leaves h as a kill -9 would: the applier stops without applying
// the journal, and the journal, the database and the directory lock are
// dropped as they are.
func (h *Host) Crash() {
	h.applier.once.Do(func() {
		h.applier.halt()
		h.journal.close()
		h.applier.bw.close()
	})
	h.db.Close()
	// The log is durable at every answer; closing it here only releases
	// its lock (translog's own tests and the e2e tests kill -9 it).
	h.tlog.Close()
	h.lock.unlock()
}

// HaltApplier stops the background applier; tests then apply with ApplyNow.
func (h *Host) HaltApplier() { h.applier.halt() }

// ApplyNow applies the journal once, as the applier does every tick, and
// reports how many requests wait for a retry.
func (h *Host) ApplyNow() int {
	ws, seq, err := h.journal.rotate()
	if err == nil {
		h.applier.flush(ws, seq)
	}
	return len(h.applier.retry)
}

// LimitDB caps the database at its current size plus pages more (SQLite's
// max_page_count), as a full disk would; pages < 0 lifts the cap.
func (h *Host) LimitDB(pages int) error {
	if pages < 0 {
		_, err := h.db.Exec(`PRAGMA max_page_count = 1073741823`)
		return err
	}
	var n int
	if err := h.db.QueryRow(`PRAGMA page_count`).Scan(&n); err != nil {
		return err
	}
	_, err := h.db.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, n+pages))
	return err
}

// FailJournal makes every journal write fail, as a full disk would, until
// the returned function is called.
func (h *Host) FailJournal() (restore func()) {
	j := h.journal
	j.mu.Lock()
	f := j.f
	j.f = brokenSegment{}
	j.mu.Unlock()
	return func() {
		j.mu.Lock()
		j.f = f
		j.mu.Unlock()
	}
}

type brokenSegment struct{}

func (brokenSegment) writeRecord([]byte, int64) error { return errors.New("no space left on device") }
func (brokenSegment) close() error                    { return nil }
