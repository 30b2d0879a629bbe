package kms

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/statuspage"
	"github.com/volact/volact/internal/svgchart"
)

// The status page (GET /, issue 14): per counted group the threshold, the
// count, the clients seen, charts of the count and of the requests per day
// over the last 30 days, the latest events and the refused requests per
// day and reason. It reads the maintained aggregates (statsdb.go), never a
// scan of the history, and the journal not applied yet, as kms status does.
// Anything that names a machine (CMIDs, addresses, the event list's
// details) needs the admin token, DIR/admin.token (created at the first
// start), as "Authorization: Bearer <token>"; without it the page shows
// aggregates only.

//go:embed statuspage.html
var pageBody string

var pageTmpl = statuspage.New("kms", pageBody)

// Page limits.
const (
	pageDays    = 30               // days of the charts and the refused table
	pageEvents  = 25               // latest events listed
	pageTimeout = 10 * time.Second // the page's database reads
)

// kmsPage is what the page shows.
type kmsPage struct {
	Host      string
	Now       time.Time
	Admin     bool
	TokenFile string
	Groups    []pageGroup
	Kinds     []kindCount
	Events    []Event
	Refused   []refusedDay
	Reasons   []string
	Log       *pageLog
	Shared    *pageShared // a host on a shared database (statuspage_shared.go)
	Elapsed   string
}

// pageGroup is one counted group.
type pageGroup struct {
	Name        string
	Threshold   int
	Count       int
	ClientsSeen int
	Requests    int // requests in the last 30 days
	Served      bool
	Charts      []svgchart.Chart
}

// kindCount is the number of events of one kind in the last 30 days.
type kindCount struct {
	Kind string
	N    int
}

// refusedDay is one day's refused requests, per reason in kmsPage.Reasons order.
type refusedDay struct {
	Day    string
	Counts []int
}

// statusPage returns the handler of GET /, which the router guards like
// the API (allowed networks only). token is the admin token ("" shows
// aggregates to everyone).
func (h *Host) statusPage(token, tokenFile string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
		defer cancel()
		p, err := h.pageData(ctx, httpserve.Authorized(r, token))
		if err != nil {
			h.log.Error("status page", "err", err)
			http.Error(w, "the status page cannot be read now; see the host's log", http.StatusServiceUnavailable)
			return
		}
		p.TokenFile = tokenFile
		p.Elapsed = fmt.Sprintf("%.1f ms", float64(time.Since(start).Microseconds())/1000)
		w.Header().Set("Server-Timing", fmt.Sprintf("render;dur=%.2f", float64(time.Since(start).Microseconds())/1000))
		if err := statuspage.Render(w, pageTmpl, p); err != nil {
			h.log.Error("status page", "err", err)
			http.Error(w, "the status page cannot be drawn", http.StatusInternalServerError)
		}
	})
}

// pageData reads everything the page shows in one read transaction of
// the host's database, with the journal segments not applied yet.
func (h *Host) pageData(ctx context.Context, admin bool) (*kmsPage, error) {
	now := h.now().UTC()
	p := &kmsPage{Host: h.name, Now: now, Admin: admin}
	segs, err := readSegments(h.lock.dir, 0)
	if err != nil {
		return nil, dbErr(err, "cannot read the KMS host journal")
	}
	db, err := h.page.get(dbPath(h.lock.dir))
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, dbErr(err, "cannot read the KMS database")
	}
	defer tx.Rollback()
	applied, err := appliedSeq(ctx, tx)
	if err != nil {
		return nil, err
	}
	var ws []write
	for _, s := range segs {
		if s.seq > applied {
			ws = append(ws, s.writes...)
		}
	}
	since := now.Add(-Window)
	seen, err := seenSince(ctx, tx, since, ws)
	if err != nil {
		return nil, err
	}
	h.pageSharedData(p, seen, now)
	first := now.AddDate(0, 0, -(pageDays - 1))
	days, err := dayStats(ctx, tx, first, now, ws)
	if err != nil {
		return nil, err
	}
	if err := h.pageEvents(ctx, tx, p, since, ws); err != nil {
		return nil, err
	}
	refused, err := loadRefused(ctx, tx, first, ws)
	if err != nil {
		return nil, err
	}
	p.Refused, p.Reasons = pivotRefused(refused)
	if p.Log, err = pageLogOf(h.tlog); err != nil {
		return nil, err
	}
	h.mu.Lock()
	for _, g := range h.cat.Groups {
		_, served := h.certs[g.Name]
		p.Groups = append(p.Groups, pageGroup{Name: g.Name, Threshold: g.Threshold, Count: h.counters[g.Name].Count(now),
			ClientsSeen: seen[g.Name], Served: served})
	}
	h.mu.Unlock()
	for i := range p.Groups {
		if err := groupCharts(&p.Groups[i], days[p.Groups[i].Name], first, now); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// pageEvents fills the event counts per kind and, for an admin, the list.
func (h *Host) pageEvents(ctx context.Context, q querier, p *kmsPage, since time.Time, ws []write) error {
	evs, counts, err := recentEvents(ctx, q, since, pageEvents, ws)
	if err != nil {
		return err
	}
	for _, k := range EventKinds {
		p.Kinds = append(p.Kinds, kindCount{Kind: k, N: counts[k]})
	}
	p.Events = evs
	return nil
}

// groupCharts draws a group's count and requests per day, from first to
// now; a day without requests keeps the previous day's count.
func groupCharts(g *pageGroup, ds []DayStat, first, now time.Time) error {
	n := int(now.UnixNano()/nsDay-first.UnixNano()/nsDay) + 1
	days := make([]time.Time, n)
	counts, reqs := make([]float64, n), make([]float64, n)
	last := math.NaN()
	for i := range n {
		days[i] = time.Unix(0, (first.UnixNano()/nsDay+int64(i))*nsDay).UTC()
		counts[i] = last
		if i < len(ds) {
			reqs[i] = float64(ds[i].Requests)
			g.Requests += ds[i].Requests
			if ds[i].Count >= 0 {
				counts[i], last = float64(ds[i].Count), float64(ds[i].Count)
			}
		}
	}
	if len(ds) == 0 && !g.Served {
		return nil // nothing to draw for a group this host neither serves nor saw
	}
	c1, err := statuspage.DayChart("Count of "+g.Name+" (end of each day)", "clients counted", days,
		[]statuspage.Series{{Name: "count", Values: counts}}, float64(g.Threshold))
	if err != nil {
		return err
	}
	c2, err := statuspage.DayChart("Requests per day, "+g.Name, "requests", days,
		[]statuspage.Series{{Name: "requests", Values: reqs, Bars: true}}, 0)
	if err != nil {
		return err
	}
	g.Charts = []svgchart.Chart{c1, c2}
	return nil
}

// pivotRefused turns counts per day and reason into one row per day
// (newest first) with a column per reason.
func pivotRefused(rc []RefusedCount) ([]refusedDay, []string) {
	var reasons []string
	byDay := map[string]map[string]int{}
	var order []string
	for _, c := range rc {
		if !slices.Contains(reasons, c.Reason) {
			reasons = append(reasons, c.Reason)
		}
		if byDay[c.Day] == nil {
			byDay[c.Day] = map[string]int{}
			order = append(order, c.Day)
		}
		byDay[c.Day][c.Reason] += c.Count
	}
	slices.Sort(reasons)
	slices.Sort(order)
	slices.Reverse(order)
	out := make([]refusedDay, 0, len(order))
	for _, d := range order {
		row := refusedDay{Day: d, Counts: make([]int, len(reasons))}
		for i, r := range reasons {
			row.Counts[i] = byDay[d][r]
		}
		out = append(out, row)
	}
	return out, reasons
}

// statusHandler is the status page with the admin token of the data
// directory (DIR/admin.token, created at the first start if missing). A
// token that cannot be read or made leaves the page with aggregates only.
func (h *Host) statusHandler() http.Handler {
	token, path, created, err := httpserve.LoadOrCreateToken(h.lock.dir)
	switch {
	case err != nil:
		h.log.Warn("no admin token: the status page shows aggregates only", "err", err)
		token = ""
	case created:
		h.log.Info("created the admin token of the status page", "file", path)
	}
	return h.statusPage(token, httpserve.TokenFile)
}

// pageReader is the status page's own read-only connection to the host's
// database, opened at the first page: in WAL mode it reads a snapshot
// while the applier writes, so a page never waits for a batch (or its
// checkpoint) on the host's one writing connection.
type pageReader struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// get opens the connection once.
func (p *pageReader) get(path string) (*sql.DB, error) {
	p.once.Do(func() {
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)")
		if err != nil {
			p.err = dbErr(err, "cannot open "+path)
			return
		}
		db.SetMaxOpenConns(2)
		p.db = db
	})
	return p.db, p.err
}

// close closes the connection, if one was opened; Host.Close calls it.
func (p *pageReader) close() {
	p.once.Do(func() {}) // no page may open one after this
	if p.db != nil {
		p.db.Close()
	}
}
