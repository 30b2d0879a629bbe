package kms

import (
	"context"
	"github.com/volact/volact/internal/protocol"
	"time"
)

// SyncShared ships what the host answered to the shared database and
// refreshes its counts from it, at once, as the background loops do.
func (h *Host) SyncShared() error {
	ctx := context.Background()
	if _, err := h.shared.shipAll(ctx); err != nil {
		return err
	}
	return h.shared.refresh(ctx)
}

// WaitRefresh returns after the background refresher has completed a
// refresh that started after the call.
func (h *Host) WaitRefresh() {
	n := h.shared.refreshes.Load()
	for h.shared.refreshes.Load() < n+2 {
		time.Sleep(10 * time.Millisecond)
	}
}

// ShipKeepingOutbox ships the outbox without clearing it, as a host that
// stops between the commit and the delete does.
func (h *Host) ShipKeepingOutbox() error {
	h.shared.shipMu.Lock()
	defer h.shared.shipMu.Unlock()
	h.shared.keepOutbox = true
	defer func() { h.shared.keepOutbox = false }()
	_, err := h.shared.ship(context.Background())
	return err
}

// Backlog is the number of requests waiting in the outbox.
func (h *Host) Backlog() int { return outboxLen(context.Background(), h.db) }

// Degraded reports whether the host has lost its shared database.
func (h *Host) Degraded() bool { return h.shared != nil && !h.shared.up.Load() }

// HaltShared stops the shipper and the refresher; tests then sync with
// SyncShared.
func (h *Host) HaltShared() { h.shared.halt() }

// RefreshTick runs one round of the refresher, as its background loop does.
func (h *Host) RefreshTick() error { return h.shared.step(h.shared.refreshTick) }

// ShipTick runs one round of the shipper, as its background loop does.
func (h *Host) ShipTick() error { return h.shared.step(h.shared.shipTick) }

// StateResets is the number of state_reset events the host recorded.
func (h *Host) StateResets() int64 { return h.states.resets.Load() }

// StatesMerged is the number of client states the host took from its site.
func (h *Host) StatesMerged() int64 { return h.states.merged.Load() }

// MergeSeen is mergeSeen on states with resets recorded.
func MergeSeen(a protocol.ClientState, ar int64, b protocol.ClientState, br int64) (protocol.ClientState, int64) {
	m := mergeSeen(seenState{a, ar}, seenState{b, br})
	return m.ClientState, m.resets
}
