package mak

import (
	"context"
	"time"

	"github.com/volact/volact/internal/protocol"
)

// recordClientState keeps the client state that req reports (grace start,
// rearm count, trusted time) for its machine and product in the ledger.
// A state that went backwards (an edited or deleted store, or a reimage)
// is recorded as a state_reset event in the ledger's events table and
// counted in volact_mak_state_resets_total. It is reported, never
// refused: the activation goes on whatever this finds, and a database
// failure here is only logged.
func (s *Server) recordClientState(ctx context.Context, req protocol.ActivationRequest, sku string, now time.Time) {
	if req.State == nil {
		return
	}
	reset, err := s.ledger.ObserveClientState(ctx, req.HardwareID, sku, *req.State, now)
	if err != nil {
		s.log.WarnContext(ctx, "cannot record the client state", "hardware_id", req.HardwareID, "sku", sku, "err", err)
		return
	}
	if reset {
		s.metrics.stateResets.Inc()
		s.log.WarnContext(ctx, "client state went backwards (edited or reset store, or a reimage)",
			"hardware_id", req.HardwareID, "sku", sku, "rearm_count", req.State.RearmCount,
			"grace_start", req.State.GraceStart.UTC().Format(time.RFC3339))
	}
}
