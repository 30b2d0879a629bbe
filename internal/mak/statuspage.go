package mak

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/statuspage"
)

// The status page (GET /, issue 14): per key (its last 5 characters only)
// the activations used and left, the blocked keys, the latest events and
// the KMS hosts it witnesses. Events name machines (hardware ids), and a
// witnessed host is named by its certificate's subject (a host id), so
// their lists need the admin token as "Authorization: Bearer <token>";
// without it the page shows the number of events of each kind and when
// and for which product they came, and how many hosts are witnessed and
// consistent. It only reads the ledger.

//go:embed statuspage.html
var pageBody string

var pageTmpl = statuspage.New("mak", pageBody)

// Page limits.
const (
	pageKeys    = 200              // keys listed
	pageEvents  = 25               // latest events listed
	pageTimeout = 10 * time.Second // the page's database reads
)

// makPage is what the page shows.
type makPage struct {
	Now     time.Time
	Admin   bool
	Backend string
	Keys    []ledger.KeyInfo
	Blocked []ledger.KeyInfo
	Totals  ledger.KeyTotals
	More    int // keys not listed
	Kinds   []kindCount
	Events  []Event // newest first
	Hosts   witnessedHosts
	Elapsed string
}

// witnessedHosts is the page's part on the KMS hosts this service
// witnesses (volactd kms report): the counts for everyone, the hosts
// themselves (their subjects are host ids) for an admin only.
type witnessedHosts struct {
	N            int
	Consistent   int
	Inconsistent int
	List         []WitnessedHost // admin view only; inconsistent first
}

// kindCount is the number of events of one kind.
type kindCount struct {
	Kind string
	N    int
}

// statusPage is the handler of GET /.
func (s *Server) statusPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
		defer cancel()
		p, err := s.pageData(ctx, s.authorized(r))
		if err != nil {
			s.log.ErrorContext(ctx, "status page", "err", err)
			http.Error(w, "the status page cannot be read now; see the service's log", http.StatusServiceUnavailable)
			return
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		p.Elapsed = fmt.Sprintf("%.1f ms", ms)
		w.Header().Set("Server-Timing", fmt.Sprintf("render;dur=%.2f", ms))
		if err := statuspage.Render(w, pageTmpl, p); err != nil {
			s.log.ErrorContext(ctx, "status page", "err", err)
			http.Error(w, "the status page cannot be drawn", http.StatusInternalServerError)
		}
	})
}

// pageData reads the keys, their totals and the events.
func (s *Server) pageData(ctx context.Context, admin bool) (*makPage, error) {
	p := &makPage{Now: s.now(), Admin: admin, Backend: s.ledger.Backend()}
	keys, tot, err := s.ledger.Keys(ctx, pageKeys)
	if err != nil {
		return nil, err
	}
	p.Keys, p.Totals, p.More = keys, tot, tot.Keys-len(keys)
	for _, k := range keys {
		if k.Blocked {
			p.Blocked = append(p.Blocked, k)
		}
	}
	counts, err := s.ledger.EventCounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range ledger.EventKinds {
		p.Kinds = append(p.Kinds, kindCount{Kind: k, N: counts[k]})
	}
	evs, err := s.admin.Events(ctx, pageEvents)
	if err != nil {
		return nil, err
	}
	slices.Reverse(evs)
	p.Events = evs
	hosts, err := s.admin.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	p.Hosts = countHosts(hosts, admin)
	return p, nil
}

// countHosts counts the witnessed hosts and, for an admin, lists them,
// the inconsistent ones first (by origin within each part).
func countHosts(hosts []WitnessedHost, admin bool) witnessedHosts {
	w := witnessedHosts{N: len(hosts)}
	for _, h := range hosts {
		if h.Consistent {
			w.Consistent++
		} else {
			w.Inconsistent++
		}
	}
	if admin {
		w.List = slices.Clone(hosts)
		slices.SortStableFunc(w.List, func(a, b WitnessedHost) int {
			switch {
			case a.Consistent == b.Consistent:
				return 0
			case !a.Consistent:
				return -1
			}
			return 1
		})
	}
	return w
}
