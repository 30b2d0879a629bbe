package kms

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The host's side of a shared count (shared.go): what Open and Close call,
// and how the counters take in the clients the database holds.

// seedClients copies the clients counted in kms.db into the shared
// database, when a host that counted alone joins a site.
func seedClients(ctx context.Context, tx pgx.Tx, db querier, now time.Time) error {
	rows, err := loadClients(ctx, db, now)
	if err != nil || len(rows) == 0 {
		return err
	}
	slices.SortFunc(rows, func(a, b clientRow) int { return strings.Compare(a.group+"\x00"+a.cmid, b.group+"\x00"+b.cmid) })
	g, c, t := make([]string, len(rows)), make([]string, len(rows)), make([]int64, len(rows))
	for i, r := range rows {
		g[i], c[i], t[i] = r.group, r.cmid, r.seen.UnixNano()
	}
	_, err = tx.Exec(ctx, `INSERT INTO kms_clients(grp, cmid, last_seen) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
		ON CONFLICT (grp, cmid) DO UPDATE SET last_seen = GREATEST(kms_clients.last_seen, excluded.last_seen)`, g, c, t)
	return err
}

// openShared is the tail of Open for a host on a shared database, and the
// check that a host alone did not join one; it runs before the journal is
// replayed, so that the replay fills the outbox.
func (h *Host) openShared(ctx context.Context, dsn string) error {
	if dsn != "" {
		return h.joinShared(ctx, dsn)
	}
	j, err := readJoined(ctx, h.db)
	if err != nil {
		return err
	}
	if j.site != "" {
		return notJoined(j)
	}
	return nil
}

// sharedReady merges the shared counts before the host answers its first
// request, and starts the shipper and the refresher.
func (h *Host) sharedReady() {
	if h.shared == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	h.shared.reached(h.shared.refresh(ctx))
	cancel()
	h.shared.start()
}

// closeShared ships what is left and disconnects; it runs after the
// applier has applied the journal.
func (h *Host) closeShared() {
	if h.shared != nil {
		h.shared.close()
	}
}

// nextSegment is the journal's first segment: past those the shared
// database holds from this host, so that no record identity is reused.
func (h *Host) nextSegment(next uint64) uint64 {
	if h.shared == nil {
		return next
	}
	return max(next, h.shared.nextSeg)
}
