package kms

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The status page of a host on a shared database (kms serve --db): the
// count is the site's (the host's counters merge the shared CMIDs), and so
// are the clients seen, read from the shared history as `kms status --db`
// reads them; the page says which site, whether the database is reachable
// (degraded when not), when the host last reached it and its backlog.
// While the database is down the clients seen are the host's own, as
// `kms status --db` gives them then.
//
// Counting the site's clients reads the whole 30-day shared history (0.75 s
// for 1M requests on PostgreSQL on a 2-CPU machine), so a page never waits
// for it: it shows the latest count with its time and, when that is older
// than siteSeenMaxAge, starts a new one in the background.

// siteSeenMaxAge is how old the site's clients seen may be before a page
// starts a new count.
const siteSeenMaxAge = 10 * time.Second

// siteSeenTimeout bounds one count of the site's clients.
const siteSeenTimeout = 30 * time.Second

// siteSeen is one count of the site's clients, per group.
type siteSeen struct {
	at   time.Time // the 30 days it counts end here
	seen map[string]int
}

// pageShared is the page's part on the shared database.
type pageShared struct {
	Site        string
	Database    string // host:port/database
	Reachable   bool
	LastContact time.Time
	Backlog     int64
	SiteSeen    bool      // the clients seen are the site's
	SeenAt      time.Time // as of when
	Error       string    // why they are not
}

// pageSharedData fills the shared part of p and merges the site's clients
// seen into seen (the larger of the host's and the site's, as kms status
// --db does); a host alone leaves both as they are.
func (h *Host) pageSharedData(p *kmsPage, seen map[string]int, now time.Time) {
	s := h.shared
	if s == nil {
		return
	}
	p.Shared = &pageShared{Site: s.site.name, Database: s.where, Reachable: s.up.Load(),
		LastContact: unixUTC(s.lastContact.Load()), Backlog: s.backlog.Load()}
	if !p.Shared.Reachable {
		p.Shared.Error = "the shared database cannot be reached"
		return
	}
	c := s.latestSiteSeen(now)
	if c == nil {
		p.Shared.Error = "the site's clients are being counted; reload in a moment"
		return
	}
	for g, n := range c.seen {
		seen[g] = max(seen[g], n)
	}
	p.Shared.SiteSeen, p.Shared.SeenAt = true, c.at
}

// latestSiteSeen returns the latest count of the site's clients (nil
// before the first is done) and, when it is missing or older than
// siteSeenMaxAge at now, starts a new one unless one is running. The count
// stops when the host does.
func (s *shared) latestSiteSeen(now time.Time) *siteSeen {
	c := s.siteSeen.Load()
	if c != nil && now.Sub(c.at) <= siteSeenMaxAge || !s.counting.CompareAndSwap(false, true) {
		return c
	}
	go func() {
		defer s.counting.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), siteSeenTimeout)
		defer cancel()
		go func() {
			select {
			case <-s.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		seen, err := siteClientsSeen(ctx, s.pool, now.Add(-Window))
		if err != nil {
			s.log.Warn("status page: cannot count the site's clients", "err", err)
			return
		}
		s.siteSeen.Store(&siteSeen{at: now, seen: seen})
	}()
	return c
}

// siteClientsSeen counts the distinct CMIDs per group in the shared
// history at or after since.
func siteClientsSeen(ctx context.Context, pool *pgxpool.Pool, since time.Time) (map[string]int, error) {
	seen := map[string]int{}
	rows, err := pool.Query(ctx, `SELECT grp, COUNT(DISTINCT cmid) FROM kms_history WHERE t >= $1 AND cmid <> '' GROUP BY grp`, since.UnixNano())
	if err != nil {
		return nil, dbErr(err, "cannot read the shared history")
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			return nil, dbErr(err, "cannot read the shared history")
		}
		seen[g] = n
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "cannot read the shared history")
	}
	return seen, nil
}
