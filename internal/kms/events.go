package kms

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/volact/volact/internal/protocol"
)

// Event is something an administrator should look at, kept as a history
// row (so it survives restarts, in the journal and then the database, and
// follows the history's retention): a count_limit (countlimit.go) or a
// state_reset (stateseen.go).
type Event struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"` // count_limit, state_reset
	Group   string    `json:"group"`
	SKU     string    `json:"sku"`
	CMID    string    `json:"cmid"`
	Addr    string    `json:"client_address"`
	Network string    `json:"network"` // the client's /24 or /64
	Count   int       `json:"count"`   // the group's count then; -1 unknown
	Detail  string    `json:"detail"`
	// Host and HostID name the host that recorded it, in a site's shared
	// events (ReadSharedEvents); empty for a host's own.
	Host   string `json:"host,omitempty"`
	HostID string `json:"host_id,omitempty"`
}

// EventKinds are the history results that are events.
var EventKinds = []string{CountLimitEvent, protocol.StateReset}

// ReadEvents returns the events of the host in dir at or after since,
// oldest first. It reads what a serving host has journaled too.
func ReadEvents(dir string, since time.Time) ([]Event, error) {
	v, err := openView(dir)
	if err != nil {
		return nil, err
	}
	defer v.close()
	out := []Event{}
	err = v.history(context.Background(), since, func(r HistoryRow) error {
		if e, ok := eventOf(r); ok {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// eventOf turns a history row into an event, if it is one.
func eventOf(r HistoryRow) (Event, bool) {
	e := Event{Time: r.Time, Kind: r.Result, Group: r.Group, SKU: r.SKU, CMID: r.CMID, Addr: r.Addr, Network: NetworkOf(r.Addr), Count: r.Count}
	switch r.Result {
	case CountLimitEvent:
		e.Detail = countLimitDetail(r.Addr)
	case protocol.StateReset:
		e.Detail = "the client's state went backwards (edited or reset store, or a reimage)"
	default:
		return e, false
	}
	return e, true
}

// limitCollectors are the metrics of the count limit and of events:
// volact_kms_events_total{kind} and volact_kms_uncounted_total.
func (h *Host) limitCollectors() []prometheus.Collector {
	events := prometheus.NewDesc("volact_kms_events_total", "Events recorded since the host started, by kind (count_limit, state_reset).", []string{"kind"}, nil)
	return []prometheus.Collector{
		collectorFunc{desc: events, collect: func(ch chan<- prometheus.Metric) {
			ch <- prometheus.MustNewConstMetric(events, prometheus.CounterValue, float64(h.limits.events.Load()), CountLimitEvent)
			ch <- prometheus.MustNewConstMetric(events, prometheus.CounterValue, float64(h.states.resets.Load()), protocol.StateReset)
		}},
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "volact_kms_uncounted_total",
			Help: "New CMIDs answered but not counted because their network passed kms set --new-cmid-limit.",
		}, func() float64 { return float64(h.limits.uncounted.Load()) }),
	}
}
