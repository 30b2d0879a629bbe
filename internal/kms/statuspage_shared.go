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

// pageSiteTimeout bounds the page's read of the shared database, so that a
// slow database never holds the page up for long.
const pageSiteTimeout = 2 * time.Second

// pageShared is the page's part on the shared database.
type pageShared struct {
	Site        string
	Database    string // host:port/database
	Reachable   bool
	LastContact time.Time
	Backlog     int64
	SiteSeen    bool   // the clients seen are the site's
	Error       string // why they are not
}

// pageSharedData fills the shared part of p and merges the site's clients
// seen into seen (the larger of the host's and the site's, as kms status
// --db does); a host alone leaves both as they are.
func (h *Host) pageSharedData(ctx context.Context, p *kmsPage, seen map[string]int, since time.Time) {
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
	ctx, cancel := context.WithTimeout(ctx, pageSiteTimeout)
	defer cancel()
	site, err := siteClientsSeen(ctx, s.pool, since)
	if err != nil {
		h.log.Warn("status page: cannot read the site's clients seen", "err", err)
		p.Shared.Error = "the shared history could not be read now"
		return
	}
	for g, n := range site {
		seen[g] = max(seen[g], n)
	}
	p.Shared.SiteSeen = true
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
