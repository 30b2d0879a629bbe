package kms

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A shared count (issue 13): hosts started with `kms serve --db
// postgres://...` on one database share per group the CMIDs counted in
// the last 30 days, the history and the per-site settings. Each host keeps
// its key, certificate, journal and kms.db in its data directory, and
// answers from its own counters, never waiting on the database:
//
//   - it journals and applies to kms.db as a host alone does, and the
//     applier puts every history row in the outbox too (shared_local.go);
//   - the shipper copies the outbox to PostgreSQL every shipEvery: history
//     rows keyed by (host id, journal segment, record), so each is there
//     once however often it is sent, and counted CMIDs upserted with the
//     later last request;
//   - the refresher reads, every refreshEvery, the most recent 2 ×
//     threshold CMIDs of each group and merges them into the counters.
//
// So a threshold reached through any host is seen by every host within
// applyEvery + shipEvery + refreshEvery (about 0.4 s). A host that loses
// the database keeps answering from the last shared CMIDs it merged plus
// the ones it counts itself, reports degraded (/healthz, /metrics), keeps
// its outbox and ships it when the database is back.
const (
	shipEvery    = 50 * time.Millisecond
	refreshEvery = 250 * time.Millisecond
	beatEvery    = time.Second // how often the host writes its last_contact
	shipBatch    = 2000        // outbox rows per PostgreSQL transaction
	retryDown    = 500 * time.Millisecond
)

// shared is a host's link to its site's shared database.
type shared struct {
	h      *Host
	pool   *pgxpool.Pool
	where  string // host:port/database
	site   pgSite
	hostID string
	log    *slog.Logger

	nextSeg     uint64       // the journal starts past the segments the database holds
	up          atomic.Bool  // the last statement reached the database
	lastContact atomic.Int64 // Unix nanoseconds of the last statement that did
	backlog     atomic.Int64 // outbox rows not shipped yet
	refreshes   atomic.Int64 // refreshes done (tests wait on it)
	keepOutbox  bool         // tests: ship without clearing the outbox
	shipMu      sync.Mutex   // one ship at a time
	refreshMu   sync.Mutex   // one refresh at a time; guards lastBeat, lastPrune, merged
	lastBeat    time.Time
	lastPrune   time.Time
	merged      map[clientKey]time.Time  // the clients the last refresh merged
	stateTx     int64                    // client states changed from this transaction on are not merged yet (shared_state.go)
	siteSeen    atomic.Pointer[siteSeen] // the status page's latest count of the site's clients (statuspage_shared.go)
	counting    atomic.Bool              // a count of the site's clients is running

	stop     chan struct{}
	wg       sync.WaitGroup
	haltOnce sync.Once
	once     sync.Once
}

// joinShared connects the host to the shared database dsn: it refuses a
// database that is unreachable, not set up, of another authority or of
// another site than the one the host joined; it records the site in
// kms.db on the first start, and takes the per-site settings.
func (h *Host) joinShared(ctx context.Context, dsn string) (err error) {
	j, err := readJoined(ctx, h.db)
	if err != nil {
		return err
	}
	pool, where, err := connectPG(ctx, dsn)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			pool.Close()
		}
	}()
	site, err := readSite(ctx, pool, where)
	if err != nil {
		return err
	}
	if err := checkSite(site, h.cat.RootFingerprint(), j.site, where); err != nil {
		return err
	}
	first := j.site == ""
	j.site, j.where = site.id, where
	if j, err = join(ctx, h.db, j); err != nil {
		return err
	}
	s := &shared{h: h, pool: pool, where: where, site: site, hostID: j.hostID, log: h.log, stop: make(chan struct{})}
	now := h.now().UnixNano()
	var maxSeg int64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO kms_hosts(host_id, name, joined_at, last_contact) VALUES ($1, $2, $3, $3)
			ON CONFLICT (host_id) DO UPDATE SET name = excluded.name, last_contact = excluded.last_contact`, s.hostID, h.name, now); err != nil {
			return err
		}
		if err := ensureStateTable(ctx, tx); err != nil {
			return err
		}
		if first { // the clients this host counted alone count for the site
			if err := seedClients(ctx, tx, h.db, h.now()); err != nil {
				return err
			}
		}
		if h.settings, err = loadSiteSettings(ctx, tx, h.settings); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT COALESCE(MAX(seg), 0) FROM kms_history WHERE host_id = $1`, s.hostID).Scan(&maxSeg)
	})
	if err != nil {
		return dbErr(err, "cannot join the shared database "+where)
	}
	s.nextSeg = uint64(maxSeg) + 1
	s.up.Store(true)
	s.lastContact.Store(time.Now().UnixNano())
	h.shared = s
	h.log.Info("counting with the shared database", "database", where, "site", site.name, "host_id", s.hostID)
	return nil
}

// start runs the shipper and the refresher.
func (s *shared) start() {
	s.wg.Add(2)
	go s.loop(shipEvery, s.shipTick)
	go s.loop(refreshEvery, s.refreshTick)
}

// A tick is one round of the shipper or the refresher: it reports whether
// it sent anything to the database (and so learnt whether the database is
// up) and the error.
type tick func(context.Context) (contacted bool, err error)

// shipTick ships the outbox, then the changed client states; with neither
// it sends nothing, so it tells nothing about the database: an idle host
// that lost its database stays degraded until a statement reaches it.
func (s *shared) shipTick(ctx context.Context) (bool, error) {
	n, err := s.shipAll(ctx)
	if m := 0; err == nil {
		m, err = s.shipStates(ctx)
		n += m
	}
	return n > 0 || err != nil, err
}

// refreshTick refreshes the counts; it always queries the database.
func (s *shared) refreshTick(ctx context.Context) (bool, error) { return true, s.refresh(ctx) }

// step runs one tick and records whether the database was reached.
func (s *shared) step(fn tick) error {
	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	defer cancel()
	contacted, err := fn(ctx)
	if contacted {
		s.reached(err)
	}
	return err
}

// loop runs fn every d until stopped; after a failure it waits retryDown.
func (s *shared) loop(d time.Duration, fn tick) {
	defer s.wg.Done()
	wait := d
	for {
		select {
		case <-s.stop:
			return
		case <-time.After(wait):
		}
		wait = d
		if err := s.step(fn); err != nil {
			wait = max(d, retryDown)
		}
	}
}

// close stops the loops, ships what the outbox holds (within pgTimeout)
// and disconnects. Call it after the applier has closed.
func (s *shared) close() {
	s.once.Do(func() {
		s.halt()
		ctx, cancel := context.WithTimeout(context.Background(), 2*pgTimeout)
		defer cancel()
		if _, err := s.shipAll(ctx); err != nil {
			s.log.Warn("the outbox stays for the next start: the shared database did not take it", "err", err)
		} else if _, err := s.shipStates(ctx); err != nil {
			s.log.Warn("the shared database did not take the last client states; they are sent at the next start", "err", err)
		}
		s.pool.Close()
	})
}

// halt stops the shipper and the refresher.
func (s *shared) halt() {
	s.haltOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
	})
}

// reached records the outcome of a statement sent to the database.
func (s *shared) reached(err error) {
	if err == nil {
		s.lastContact.Store(time.Now().UnixNano())
		if !s.up.Swap(true) {
			s.log.Info("the shared database is back; shipping what was answered meanwhile", "database", s.where, "backlog", s.backlog.Load())
		}
		return
	}
	if s.up.Swap(false) {
		s.log.Warn("lost the shared database: answering from the journal and the last shared count (degraded)", "database", s.where, "err", err)
	}
}

// shipAll ships the outbox until it is empty; it returns how many rows it
// shipped.
func (s *shared) shipAll(ctx context.Context) (int, error) {
	s.shipMu.Lock()
	defer s.shipMu.Unlock()
	total := 0
	for {
		n, err := s.ship(ctx)
		total += n
		if err != nil || n < shipBatch {
			s.countBacklog(ctx)
			return total, err
		}
	}
}

// countBacklog counts the requests answered and not in the database yet:
// in the outbox, and in the journal.
func (s *shared) countBacklog(ctx context.Context) {
	n := outboxLen(ctx, s.h.db)
	if j := s.h.journal; j != nil {
		n += j.pendingLen()
	}
	s.backlog.Store(int64(n))
}

// ship copies the first shipBatch outbox rows to the database in one
// transaction and then deletes them from the outbox; it returns how many.
// A row shipped twice (the host stopped between the commit and the
// delete) is kept once: the history is keyed by its journal identity, and
// a client's last request is the later of the two.
func (s *shared) ship(ctx context.Context) (int, error) {
	rows, err := readOutbox(ctx, s.h.db, shipBatch)
	if err != nil {
		return 0, fmt.Errorf("read the outbox: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	n := len(rows)
	seg, rec, ts, counts := make([]int64, n), make([]int32, n), make([]int64, n), make([]int32, n)
	cmid, grp, sku, result, addr := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	latest := map[clientKey]int64{}
	for i, r := range rows {
		seg[i], rec[i], ts[i], counts[i] = r.seq, r.rec, r.hist.Time.UnixNano(), int32(r.hist.Count)
		cmid[i], grp[i], sku[i], result[i], addr[i] = r.hist.CMID, r.hist.Group, r.hist.SKU, r.hist.Result, r.hist.Addr
		if k := (clientKey{r.hist.Group, r.hist.CMID}); r.counted {
			latest[k] = max(latest[k], ts[i])
		}
	}
	keys := make([]clientKey, 0, len(latest))
	for k := range latest {
		keys = append(keys, k)
	}
	// One order for every host, so that concurrent upserts never deadlock.
	slices.SortFunc(keys, func(a, b clientKey) int {
		return strings.Compare(a.group+"\x00"+a.cmid, b.group+"\x00"+b.cmid)
	})
	cg, cc, ct := make([]string, len(keys)), make([]string, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		cg[i], cc[i], ct[i] = k.group, k.cmid, latest[k]
	}
	// One statement, so one round trip and its own transaction: the
	// history rows and the clients' upserts commit together or not at all.
	// (The host's last_contact is written by the refresher every beatEvery.)
	if _, err := s.pool.Exec(ctx, shipSQL, s.hostID, seg, rec, ts, cmid, grp, sku, result, counts, addr, cg, cc, ct); err != nil {
		return 0, err
	}
	last := rows[n-1]
	if s.keepOutbox {
		return n, nil
	}
	if err := dropOutbox(ctx, s.h.db, last.seq, last.rec); err != nil {
		return 0, fmt.Errorf("clear the outbox: %w", err)
	}
	return n, nil
}

// shipSQL puts a batch of history rows (keyed by host id, segment and
// record: a row shipped twice is kept once) and the upserts of the
// clients it counted into the shared database, in one statement.
const shipSQL = `WITH hist AS (
	INSERT INTO kms_history(host_id, seg, rec, t, cmid, grp, sku, result, count, addr)
	SELECT $1, * FROM unnest($2::bigint[], $3::int[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::text[])
	ON CONFLICT (host_id, seg, rec) DO NOTHING)
INSERT INTO kms_clients(grp, cmid, last_seen)
SELECT * FROM unnest($11::text[], $12::text[], $13::bigint[])
ON CONFLICT (grp, cmid) DO UPDATE SET last_seen = GREATEST(kms_clients.last_seen, excluded.last_seen)`

// refresh merges the most recent 2 × threshold CMIDs of each group served
// into the host's counters; every beatEvery it writes the host's
// last_contact, every pruneEvery it deletes what is past retention.
func (s *shared) refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	h := s.h
	now := h.now()
	var names []string
	var caps []int32
	for _, g := range h.cat.Groups {
		names, caps = append(names, g.Name), append(caps, int32(2*g.Threshold))
	}
	rows, err := s.pool.Query(ctx, `SELECT g.grp, c.cmid, c.last_seen FROM unnest($1::text[], $2::int[]) AS g(grp, cap)
		CROSS JOIN LATERAL (SELECT cmid, last_seen FROM kms_clients k WHERE k.grp = g.grp AND k.last_seen > $3
			ORDER BY last_seen DESC LIMIT g.cap) c`, names, caps, now.Add(-Window).UnixNano())
	if err != nil {
		return err
	}
	var got []clientRow
	for rows.Next() {
		var r clientRow
		var t int64
		if err := rows.Scan(&r.group, &r.cmid, &t); err != nil {
			rows.Close()
			return err
		}
		r.seen = unixUTC(t)
		got = append(got, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Merge only what changed since the last refresh: merging a client
	// again with the same last request changes nothing, and the host's
	// answers wait on h.mu meanwhile.
	merged := make(map[clientKey]time.Time, len(got))
	changed := got[:0:0]
	for _, r := range got {
		k := clientKey{r.group, r.cmid}
		merged[k] = r.seen
		if t, ok := s.merged[k]; !ok || !t.Equal(r.seen) {
			changed = append(changed, r)
		}
	}
	if len(changed) > 0 {
		h.mu.Lock()
		for _, r := range changed {
			if c := h.counters[r.group]; c != nil {
				c.Merge(r.cmid, r.seen)
			}
		}
		h.mu.Unlock()
	}
	s.merged = merged
	if err := s.pullStates(ctx); err != nil {
		return err
	}
	s.refreshes.Add(1)
	if now.Sub(s.lastBeat) >= beatEvery {
		if _, err := s.pool.Exec(ctx, `UPDATE kms_hosts SET last_contact = $2 WHERE host_id = $1`, s.hostID, now.UnixNano()); err != nil {
			return err
		}
		s.lastBeat = now
	}
	if now.Sub(s.lastPrune) >= pruneEvery {
		if err := s.prune(ctx, now); err != nil {
			return err
		}
		s.lastPrune = now
	}
	return nil
}

// prune deletes shared history past retention and clients not seen in
// Window. Every host does it; it is idempotent.
func (s *shared) prune(ctx context.Context, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM kms_history WHERE t < $1`, now.Add(-s.h.settings.HistoryRetention).UnixNano()); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM kms_clients WHERE last_seen <= $1`, now.Add(-Window).UnixNano())
	return err
}
