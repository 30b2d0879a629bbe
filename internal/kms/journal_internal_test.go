package kms

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var jt0 = time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)

func journalWrites() []write {
	return []write{
		{hist: HistoryRow{Time: jt0, CMID: "c1", Group: "suite", SKU: "suite-pro", Result: "0xC004F038", Count: 1, Addr: "10.0.0.1"}, counted: true},
		{hist: HistoryRow{Time: jt0.Add(time.Second), CMID: "c2", Group: "suite", SKU: "suite-pro", Result: "0x00000000", Count: 5, Addr: "::1"}, counted: true, evicted: "c0"},
		{hist: HistoryRow{Time: jt0.Add(-time.Hour), CMID: "", Group: "", SKU: "no-such-sku", Result: "0xC004F069", Count: -1}},
		{hist: HistoryRow{Time: time.Unix(0, 0).UTC(), CMID: strings.Repeat("é", maxField/2), Group: "workstation", SKU: "ws", Result: "0x00000000", Count: 50}, counted: true},
	}
}

func encodeAll(ws []write) []byte {
	var b []byte
	for _, w := range ws {
		b = appendRecord(b, w)
	}
	return b
}

func TestJournalRecordsRoundTrip(t *testing.T) {
	ws := journalWrites()
	got, err := decodeRecords(encodeAll(ws))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ws) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, ws)
	}
}

// TestJournalDamageEndsSegment cuts the journal at every length and flips
// every byte: the records before the damage come back, nothing after it,
// and the damage is reported.
func TestJournalDamageEndsSegment(t *testing.T) {
	ws := journalWrites()
	data := encodeAll(ws)
	ends := []int{} // offsets where each record ends
	for i := range ws {
		ends = append(ends, len(encodeAll(ws[:i+1])))
	}
	whole := func(n int) int { // records entirely within the first n bytes
		k := 0
		for k < len(ends) && ends[k] <= n {
			k++
		}
		return k
	}
	for n := range len(data) {
		got, err := decodeRecords(data[:n])
		k := whole(n)
		if len(got) != k || (k > 0 && !reflect.DeepEqual(got, ws[:k])) {
			t.Fatalf("cut at %d: %d records back, want %d", n, len(got), k)
		}
		atBoundary := n == 0 || n == ends[max(k-1, 0)]
		if atBoundary != (err == nil) {
			t.Fatalf("cut at %d (a record boundary: %v): err %v", n, atBoundary, err)
		}
	}
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x40
		got, err := decodeRecords(bad)
		k := whole(i) // the record holding byte i is lost, and all after it
		if !errors.Is(err, errBadRecord) || len(got) != k {
			t.Fatalf("byte %d flipped: %d records, err %v; want %d and a damage error", i, len(got), err, k)
		}
	}
}

// FuzzDecodeRecords: the records decoded from any segment round-trip, and
// what is lost after damage is at least the damaged record and at most
// one record per header's worth of bytes.
func FuzzDecodeRecords(f *testing.F) {
	f.Add(encodeAll(journalWrites()))
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, end, err := decodeRecordsAt(data)
		if again, err := decodeRecords(encodeAll(ws)); err != nil || len(again) != len(ws) {
			t.Fatalf("records decoded from fuzz input do not round-trip: %v", err)
		}
		if lost := lostRecords(data[end:]); err != nil && (lost < 1 || lost > len(data[end:])/recordHeader+1) {
			t.Fatalf("%d records lost in %d damaged bytes", lost, len(data[end:]))
		}
	})
}

func historyRows(t *testing.T, dir string) []HistoryRow {
	t.Helper()
	v, err := openView(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer v.close()
	var rows []HistoryRow
	if err := v.history(context.Background(), time.Time{}, func(r HistoryRow) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestJournalAppliedOnce stops "between" the commit of a segment and its
// deletion: readers and the replay at the next start must count each
// request once.
func TestJournalAppliedOnce(t *testing.T) {
	dir := t.TempDir()
	db, err := openDB(filepath.Join(dir, DBFile), dbCreate)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j, err := openJournal(dir, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	ws := journalWrites()
	for _, w := range ws[:3] {
		if err := j.append(w); err != nil {
			t.Fatal(err)
		}
	}
	first, seq, err := j.rotate()
	if err != nil || seq != 1 || len(first) != 3 {
		t.Fatalf("rotate: %d writes of segment %d, %v", len(first), seq, err)
	}
	if err := j.append(ws[3]); err != nil {
		t.Fatal(err)
	}
	j.close()
	if got := len(historyRows(t, dir)); got != 4 {
		t.Fatalf("before any apply the history shows %d rows, want 4", got)
	}
	a := newApplier(db, j, func() time.Time { return jt0 }, func() time.Duration { return DefaultHistoryRetention }, slog.New(slog.DiscardHandler))
	if err := a.apply(first, seq, false, jt0); err != nil { // committed, segment 1 not deleted
		t.Fatal(err)
	}
	a.bw.close()
	if got := len(historyRows(t, dir)); got != 4 {
		t.Fatalf("with segment 1 applied but not deleted the history shows %d rows, want 4", got)
	}
	for range 2 { // a second start finds nothing left to do
		next, _, err := replay(db, dir, slog.New(slog.DiscardHandler), jt0)
		if err != nil || next != 3 {
			t.Fatalf("replay: next segment %d, %v; want 3", next, err)
		}
		if seqs, _ := listSegments(dir); len(seqs) != 0 {
			t.Fatalf("segments left after replay: %v", seqs)
		}
		if got := len(historyRows(t, dir)); got != 4 {
			t.Fatalf("after replay the history has %d rows, want 4", got)
		}
	}
	rows, err := loadClients(context.Background(), db, jt0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("counted clients after replay: %+v, want c1 and c2", rows)
	}
}

func TestJournalWriteFailureIsReported(t *testing.T) {
	j, err := openJournal(t.TempDir(), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	j.f.close()
	j.f = failingSegment{} // the disk goes away under the host
	if err := j.append(journalWrites()[0]); err == nil {
		t.Fatal("a request the journal could not write was acknowledged")
	}
	if ws, _ := j.close(); len(ws) != 0 {
		t.Fatalf("a failed write is queued for the database: %+v", ws)
	}
	if err := j.append(journalWrites()[0]); err == nil {
		t.Fatal("a write after close was acknowledged")
	}
}

type failingSegment struct{}

func (failingSegment) writeRecord([]byte, int64) error { return errors.New("input/output error") }
func (failingSegment) close() error                    { return nil }
