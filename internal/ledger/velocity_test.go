package ledger

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
)

func eventKinds(t *testing.T, l *Ledger) []string {
	t.Helper()
	evs, err := l.Events(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

// Without a block the activations past the limit go on; one event per key
// and hour; repeats count nothing; the next hour starts afresh.
func TestVelocityLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		l := open(t, dsn)
		l.SetVelocity(Velocity{Limit: 3})
		k := makKey("key-velo1", 100)
		for i := range 6 {
			if _, err := l.ActivateMAK(ctx, k, Installation{ID: fmt.Sprintf("hw-%d/ent", i)}, now); err != nil {
				t.Fatalf("activation %d: %v", i, err)
			}
			if _, err := l.ActivateMAK(ctx, k, Installation{ID: fmt.Sprintf("hw-%d/ent", i)}, now); err != nil { // a repeat
				t.Fatalf("repeat %d: %v", i, err)
			}
		}
		if got := eventKinds(t, l); len(got) != 1 || got[0] != EventVelocityLimit {
			t.Fatalf("events %v, want one velocity_limit", got)
		}
		wantStatus(t, l, k, KeyStatus{Used: 6, Limit: 100, Remaining: 94, Activations: 6})
		later := now.Add(time.Hour)
		for i := range 4 {
			if _, err := l.ActivateMAK(ctx, k, Installation{ID: fmt.Sprintf("late-%d/ent", i)}, later); err != nil {
				t.Fatal(err)
			}
		}
		if got := eventKinds(t, l); len(got) != 2 {
			t.Fatalf("events %v, want a second velocity_limit in the next hour", got)
		}
		counts, err := l.EventCounts(ctx)
		if err != nil || counts[EventVelocityLimit] != 2 {
			t.Fatalf("event counts %v %v", counts, err)
		}
	})
}

// With a block the activation past the limit is refused (0xC004C003) and
// the key stays blocked, re-activations included, until Unblock, which
// also starts the hour's count afresh.
func TestVelocityBlockAndUnblock(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		l := open(t, dsn)
		l.SetVelocity(Velocity{Limit: 2, Block: true})
		k := makKey("key-velo2", 100)
		for i := range 2 {
			if _, err := l.ActivateMAK(ctx, k, Installation{ID: fmt.Sprintf("hw-%d/ent", i)}, now); err != nil {
				t.Fatal(err)
			}
		}
		_, err := l.ActivateMAK(ctx, k, Installation{ID: "hw-2/ent"}, now)
		wantErr(t, err, hresult.KeyBlocked, "MAK ...VELO2 is blocked: more than 2 new activations in one hour")
		_, err = l.ActivateMAK(ctx, k, Installation{ID: "hw-0/ent"}, now)
		wantErr(t, err, hresult.KeyBlocked, "MAK ...VELO2 is blocked")
		wantStatus(t, l, k, KeyStatus{Used: 2, Limit: 100, Remaining: 98, Blocked: true, Activations: 2})
		if err := l.Unblock(ctx, k, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		at := now.Add(2 * time.Minute) // the same hour
		for i := 2; i < 4; i++ {       // a fresh count after the unblock
			if _, err := l.ActivateMAK(ctx, k, Installation{ID: fmt.Sprintf("hw-%d/ent", i)}, at); err != nil {
				t.Fatalf("after unblock, activation %d: %v", i, err)
			}
		}
		_, err = l.ActivateMAK(ctx, k, Installation{ID: "hw-9/ent"}, at)
		wantErr(t, err, hresult.KeyBlocked, "MAK ...VELO2 is blocked: more than 2 new activations in one hour")
		got := eventKinds(t, l)
		if want := []string{EventVelocityBlock, EventUnblocked, EventVelocityBlock}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
}

// A clone (same hardware id, other sources) that passes the limit is
// named in its event by its hardware id and SKU, as any machine is: the
// ledger's instance suffix ("ent#2") is not a SKU.
func TestVelocityEventOfClone(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		l := open(t, dsn)
		l.SetVelocity(Velocity{Limit: 1})
		k := makKey("key-velo3", 100)
		for i := range 2 {
			if _, err := l.ActivateMAK(ctx, k, Installation{ID: "hw-1/ent", Sources: cloneSources(i)}, now); err != nil {
				t.Fatalf("clone %d: %v", i, err)
			}
		}
		evs, err := l.Events(ctx, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Kind != EventVelocityLimit || evs[0].HardwareID != "hw-1" || evs[0].SKU != "ent" {
			t.Fatalf("events %+v, want one velocity_limit for hw-1 and ent", evs)
		}
	})
}
