package mak

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/volact/volact/internal/ledger"
)

// Velocity limits on MAKs live in the ledger (ledger.Velocity, set with
// Ledger.SetVelocity by mak serve --velocity-limit N/h [--velocity-block]);
// this file adds what an admin needs around them: unblocking a key and
// reading the events, offline (Admin) and through the admin API
// (POST /v1/admin/unblock, POST /v1/admin/events), and the events metric.

// Event is one recorded event: a state_reset, a velocity_limit, a
// velocity_block or an unblocked key.
type Event struct {
	Time       time.Time `json:"time"`
	Kind       string    `json:"kind"`
	HardwareID string    `json:"hardware_id,omitempty"`
	SKU        string    `json:"sku"`
	Detail     string    `json:"detail"`
}

// EventsRequest is the body of POST /v1/admin/events.
type EventsRequest struct {
	Limit int `json:"limit"` // the latest this many; 0 = DefaultEventsLimit
}

// EventsResponse is the answer of POST /v1/admin/events.
type EventsResponse struct {
	Events []Event `json:"events"`
}

// DefaultEventsLimit is how many of the latest events are listed by
// default; MaxEventsLimit caps a request.
const (
	DefaultEventsLimit = 1000
	MaxEventsLimit     = 100000
)

// Unblock lifts the block of a MAK, retail or KMS host key, set by an
// admin or by the velocity limit.
func (a *Admin) Unblock(ctx context.Context, key string) (KeyStatus, error) {
	ref, err := a.ref(key)
	if err != nil {
		return KeyStatus{}, err
	}
	if err := a.Ledger.Unblock(ctx, ref, a.Now().UTC()); err != nil {
		return KeyStatus{}, err
	}
	return a.status(ctx, ref)
}

// Events returns the latest limit events, oldest first.
func (a *Admin) Events(ctx context.Context, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = DefaultEventsLimit
	}
	limit = min(limit, MaxEventsLimit)
	evs, err := a.Ledger.Events(ctx, "", limit)
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(evs))
	for i, e := range evs {
		out[i] = Event{Time: e.At, Kind: e.Kind, HardwareID: e.HardwareID, SKU: e.SKU, Detail: e.Detail}
	}
	return out, nil
}

// Unblock lifts a key's block through POST /v1/admin/unblock.
func (c *ServiceClient) Unblock(ctx context.Context, key string) (KeyStatus, error) {
	var out KeyStatus
	err := c.post(ctx, "/v1/admin/unblock", true, KeyRequest{Key: key}, &out)
	return out, err
}

// Events reads the latest events through POST /v1/admin/events.
func (c *ServiceClient) Events(ctx context.Context, limit int) ([]Event, error) {
	var out EventsResponse
	err := c.post(ctx, "/v1/admin/events", true, EventsRequest{Limit: limit}, &out)
	return out.Events, err
}

func (s *Server) handleUnblock(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.keyOp(w, r, "unblocked key", s.admin.Unblock)
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) (any, error) {
	var req EventsRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	evs, err := s.admin.Events(r.Context(), req.Limit)
	if err != nil {
		return nil, err
	}
	return EventsResponse{Events: evs}, nil
}

// eventsCollector is volact_mak_events_total{kind}: the events in the
// ledger by kind, read at each scrape (shared by every replica on one
// database, kept across restarts).
func (s *Server) eventsCollector() prometheus.Collector {
	desc := prometheus.NewDesc("volact_mak_events_total", "Events recorded in the ledger, by kind (state_reset, velocity_limit, velocity_block, unblocked).", []string{"kind"}, nil)
	return collector{desc: desc, collect: func(ch chan<- prometheus.Metric) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		counts, err := s.ledger.EventCounts(ctx)
		if err != nil {
			return
		}
		for _, k := range ledger.EventKinds {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(counts[k]), k)
		}
	}}
}

// collector is a collector of one metric computed at each scrape.
type collector struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

// Describe sends the metric's description.
func (c collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect sends the current values.
func (c collector) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }
