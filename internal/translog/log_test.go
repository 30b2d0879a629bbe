package translog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestAppendVerifyReceipt(t *testing.T) {
	k := newTestKey(t, 1)
	l := mustOpen(t, t.TempDir(), k)
	defer mustClose(t, l)
	if l.Checkpoint() != nil || l.Size() != 0 {
		t.Fatalf("new log: checkpoint %q size %d", l.Checkpoint(), l.Size())
	}
	tests := []struct {
		name    string
		leaf    []byte
		wantErr string
	}{
		{"json record", leafText(0), ""},
		{"empty leaf", []byte{}, ""},
		{"binary leaf", []byte{0, 1, 2, 0xff, '\n'}, ""},
		{"largest leaf", bytes.Repeat([]byte("x"), 64<<10), ""},
		{"too large", bytes.Repeat([]byte("x"), 64<<10+1), "exceeds the limit"},
	}
	var index int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := l.Append(context.Background(), tt.leaf)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Append: %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Index != index {
				t.Errorf("index %d, want %d", r.Index, index)
			}
			index++
			c, err := VerifyReceipt(tt.leaf, r, k.verif)
			if err != nil {
				t.Fatalf("VerifyReceipt: %v", err)
			}
			if c.Size != index || c.Origin != k.origin {
				t.Errorf("checkpoint %+v, want size %d origin %s", c, index, k.origin)
			}
			// The receipt survives JSON, as servers will send it.
			js, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var back Receipt
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			if _, err := VerifyReceipt(tt.leaf, back, k.verif); err != nil {
				t.Fatalf("VerifyReceipt after JSON: %v", err)
			}
			// A receipt does not prove another leaf, or the leaf elsewhere.
			if _, err := VerifyReceipt(append(bytes.Clone(tt.leaf), '!'), r, k.verif); err == nil {
				t.Error("VerifyReceipt accepted another leaf")
			}
			if r.Index > 0 {
				moved := r
				moved.Index--
				if _, err := VerifyReceipt(tt.leaf, moved, k.verif); err == nil {
					t.Error("VerifyReceipt accepted another index")
				}
			}
		})
	}
	if l.Size() != index {
		t.Errorf("Size %d, want %d", l.Size(), index)
	}
}

func TestVerifyReceiptRefuses(t *testing.T) {
	k, other := newTestKey(t, 1), newTestKey(t, 2)
	l := mustOpen(t, t.TempDir(), k)
	defer mustClose(t, l)
	rs := appendN(t, l, 0, 5)
	r := rs[2]
	tests := []struct {
		name string
		mod  func(*Receipt)
		v    testKey
		want string
	}{
		{"wrong key", func(*Receipt) {}, other, "not signed by"},
		{"edited checkpoint", func(r *Receipt) { r.Checkpoint = bytes.Replace(r.Checkpoint, []byte("\n3\n"), []byte("\n4\n"), 1) }, k, "invalid signature"},
		{"index past the tree", func(r *Receipt) { r.Index = 3 }, k, "outside tree"},
		{"negative index", func(r *Receipt) { r.Index = -1 }, k, "outside tree"},
		{"short proof", func(r *Receipt) { r.Proof = r.Proof[1:] }, k, "not in the tree"},
		{"bad proof hash", func(r *Receipt) { r.Proof = append(tlog.RecordProof{{1}}, r.Proof[1:]...) }, k, "not in the tree"},
		{"no checkpoint", func(r *Receipt) { r.Checkpoint = nil }, k, "malformed"},
		{"checkpoint of another origin", func(r *Receipt) {
			c, _ := OpenCheckpoint(r.Checkpoint, k.verif)
			c.Origin = "volact-kms/elsewhere"
			r.Checkpoint, _ = signCheckpoint(c, k.signer)
		}, k, "checkpoint of log \"volact-kms/elsewhere\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := r
			bad.Proof = append(tlog.RecordProof(nil), r.Proof...)
			tt.mod(&bad)
			_, err := VerifyReceipt(leafText(2), bad, tt.v.verif)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("VerifyReceipt: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestConcurrentAppendsShareSignatures(t *testing.T) {
	k := newTestKey(t, 1)
	l := mustOpen(t, t.TempDir(), k)
	defer mustClose(t, l)
	const clients, each = 32, 20
	var wg sync.WaitGroup
	receipts := make([][]Receipt, clients)
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r, err := l.Append(context.Background(), leafText(c*each+i))
				if err != nil {
					errs <- err
					return
				}
				receipts[c] = append(receipts[c], r)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for c := range clients {
		for i, r := range receipts[c] {
			if _, err := VerifyReceipt(leafText(c*each+i), r, k.verif); err != nil {
				t.Fatalf("client %d leaf %d: %v", c, i, err)
			}
			if seen[r.Index] {
				t.Fatalf("index %d given twice", r.Index)
			}
			seen[r.Index] = true
		}
	}
	st := l.Stats()
	t.Logf("%d appends, %d batches, %d signatures, %d syncs", st.Appends, st.Batches, st.Signatures, st.Syncs)
	if st.Appends != clients*each || l.Size() != clients*each {
		t.Fatalf("appends %d size %d, want %d", st.Appends, l.Size(), clients*each)
	}
	if st.Syncs < st.Batches {
		t.Errorf("%d fsyncs for %d batches: want at least one per batch", st.Syncs, st.Batches)
	}
	if st.Signatures >= st.Appends || st.Signatures != st.Batches {
		t.Errorf("signatures %d batches %d for %d appends: want one per batch, fewer than appends",
			st.Signatures, st.Batches, st.Appends)
	}
}

func TestReopenKeepsTreeAndCheckpoint(t *testing.T) {
	k := newTestKey(t, 1)
	dir := t.TempDir()
	l := mustOpen(t, dir, k)
	rs := appendN(t, l, 0, 10)
	ckpt := l.Checkpoint()
	mustClose(t, l)

	l = mustOpen(t, dir, k)
	defer mustClose(t, l)
	if l.Size() != 10 || !bytes.Equal(l.Checkpoint(), ckpt) {
		t.Fatalf("reopened: size %d checkpoint %q, want 10 and %q", l.Size(), l.Checkpoint(), ckpt)
	}
	if l.Recovery() != (Recovery{}) {
		t.Errorf("clean reopen recovered: %+v", l.Recovery())
	}
	// Old receipts still prove against the new tree.
	more := appendN(t, l, 10, 13)
	for i, r := range rs {
		p, err := l.RecordProof(r.Index, l.Size())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyReceipt(leafText(i), Receipt{Index: r.Index, Checkpoint: more[2].Checkpoint, Proof: p}, k.verif); err != nil {
			t.Fatalf("leaf %d against the newer tree: %v", i, err)
		}
	}
}

func TestConsistency(t *testing.T) {
	k := newTestKey(t, 1)
	l := mustOpen(t, t.TempDir(), k)
	defer mustClose(t, l)
	var ckpts [][]byte
	for i := range 9 {
		r, err := l.Append(context.Background(), leafText(i))
		if err != nil {
			t.Fatal(err)
		}
		ckpts = append(ckpts, r.Checkpoint)
	}
	for o := range ckpts {
		for n := o; n < len(ckpts); n++ {
			p, err := l.ConsistencyProof(int64(o+1), int64(n+1))
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(ckpts[o], ckpts[n], p, k.verif); err != nil {
				t.Fatalf("%d -> %d: %v", o+1, n+1, err)
			}
		}
	}
	if _, err := l.ConsistencyProof(3, 10); err == nil {
		t.Error("ConsistencyProof past the tree: no error")
	}

	// A rewritten history: same key, leaf 4 changed, then the same leaves.
	forked := mustOpen(t, t.TempDir(), k)
	defer mustClose(t, forked)
	appendN(t, forked, 0, 4)
	if _, err := forked.Append(context.Background(), []byte("rewritten")); err != nil {
		t.Fatal(err)
	}
	appendN(t, forked, 5, 9)
	fp, err := forked.ConsistencyProof(5, 9)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		older, newer []byte
		proof        tlog.TreeProof
		want         error
	}{
		{"forked newer", ckpts[4], forked.Checkpoint(), fp, ErrFork},
		{"forked same size", ckpts[8], forked.Checkpoint(), nil, ErrFork},
		{"proof from the fork", ckpts[4], ckpts[8], fp, ErrFork},
		{"short proof", ckpts[2], ckpts[8], nil, ErrFork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyConsistency(tt.older, tt.newer, tt.proof, k.verif)
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifyConsistency: %v, want %v", err, tt.want)
			}
		})
	}
	if err := VerifyConsistency(ckpts[4], ckpts[8], fp, newTestKey(t, 2).verif); err == nil || errors.Is(err, ErrFork) {
		t.Errorf("wrong key: %v, want a signature error", err)
	}
}

func TestOpenRefusesOtherKeyAndSecondOpener(t *testing.T) {
	k := newTestKey(t, 1)
	dir := t.TempDir()
	l := mustOpen(t, dir, k)
	appendN(t, l, 0, 3)
	if _, err := Open(dir, k.opts()); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("second Open: %v, want refused", err)
	}
	mustClose(t, l)
	other := newTestKey(t, 2)
	if _, err := Open(dir, other.opts()); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "another key") {
		t.Errorf("Open with another key: %v", err)
	}
	mixed := Options{Signer: k.signer, Verifier: other.verif}
	if _, err := Open(t.TempDir(), mixed); err == nil {
		t.Error("Open with a signer and verifier of different keys: no error")
	}
}

func TestAppendAfterCloseAndCancel(t *testing.T) {
	k := newTestKey(t, 1)
	l := mustOpen(t, t.TempDir(), k)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, leafText(0)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with canceled ctx: %v", err)
	}
	mustClose(t, l)
	if _, err := l.Append(context.Background(), leafText(0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}
