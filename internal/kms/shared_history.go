package kms

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// The site's shared history (issue 13), as `kms history --db` and `kms
// events --db` export it: every request any host of the site answered,
// with the host that answered it. The history in PostgreSQL is complete
// up to each host's backlog (what it answered and has not shipped yet);
// the export adds the backlog of the host whose data directory it is
// given, so that one run on a host lists everything that host answered.

// SharedHistoryRow is a row of a site's shared history: the request and
// the host that answered it.
type SharedHistoryRow struct {
	HistoryRow
	Host   string `json:"host"`    // the host's --name when it last joined
	HostID string `json:"host_id"` // its id in the shared history
}

// sharedKey is a request's identity in the shared history.
type sharedKey struct {
	host string
	seg  int64
	rec  int32
}

// pending is a request of the local host that may not be shipped yet.
type pending struct {
	key  sharedKey
	row  HistoryRow
	done bool // found in the database
}

// readSharedHistory calls each for every request of the site's history
// at or after since (only the events when events is set), oldest first,
// each once: those in the shared database dsn, and those of the host in
// dir that are still in its journal or outbox. The database must be of
// the host's authority, and of its site if it joined one.
func readSharedHistory(ctx context.Context, dir, dsn string, since time.Time, events bool, each func(SharedHistoryRow) error) error {
	cat, err := readCatalog(dir)
	if err != nil {
		return err
	}
	v, err := openView(dir)
	if err != nil {
		return err
	}
	defer v.close()
	j, err := readJoined(ctx, v.tx)
	if err != nil {
		return err
	}
	// The local backlog first, then the database: a request shipped in
	// between is in both and is listed once.
	var local []*pending
	if j.site != "" {
		if local, err = localBacklog(ctx, v, j.hostID, since, events); err != nil {
			return err
		}
	}
	pool, where, err := connectPG(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	site, err := readSite(ctx, pool, where)
	if err != nil {
		return err
	}
	if err := checkSite(site, cat.RootFingerprint(), j.site, where); err != nil {
		return err
	}
	names, err := hostNames(ctx, pool)
	if err != nil {
		return dbErr(err, "cannot read the hosts of the shared database")
	}
	q := `SELECT host_id, seg, rec, t, cmid, grp, sku, result, count, addr FROM kms_history WHERE t >= $1`
	args := []any{since.UnixNano()}
	if events {
		q += ` AND result = ANY($2::text[])`
		args = append(args, EventKinds)
	}
	rows, err := pool.Query(ctx, q+` ORDER BY t, host_id, seg, rec`, args...)
	if err != nil {
		return dbErr(err, "cannot read the shared history")
	}
	defer rows.Close()
	byKey := make(map[sharedKey]*pending, len(local))
	for _, p := range local {
		byKey[p.key] = p
	}
	emit := func(k sharedKey, r HistoryRow) error {
		return each(SharedHistoryRow{HistoryRow: r, Host: names[k.host], HostID: k.host})
	}
	next := 0 // local[:next] are listed or found in the database
	for rows.Next() {
		var k sharedKey
		var r HistoryRow
		var t int64
		if err := rows.Scan(&k.host, &k.seg, &k.rec, &t, &r.CMID, &r.Group, &r.SKU, &r.Result, &r.Count, &r.Addr); err != nil {
			return dbErr(err, "cannot read the shared history")
		}
		r.Time = unixUTC(t)
		// Local requests strictly earlier cannot come later from the
		// database: list them now, in time order.
		for ; next < len(local) && local[next].row.Time.Before(r.Time); next++ {
			if p := local[next]; !p.done {
				if err := emit(p.key, p.row); err != nil {
					return err
				}
			}
		}
		if p := byKey[k]; p != nil {
			p.done = true
		}
		if err := emit(k, r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr(err, "cannot read the shared history")
	}
	for _, p := range local[next:] {
		if !p.done {
			if err := emit(p.key, p.row); err != nil {
				return err
			}
		}
	}
	return nil
}

// localBacklog is what the host of v (hostID in the shared history)
// answered at or after since and may not have shipped: its outbox and its
// journal, in time order.
func localBacklog(ctx context.Context, v *view, hostID string, since time.Time, events bool) ([]*pending, error) {
	var out []*pending
	keep := func(r HistoryRow) bool {
		return !r.Time.Before(since) && (!events || slices.Contains(EventKinds, r.Result))
	}
	rows, err := v.tx.QueryContext(ctx, `SELECT seq, rec, t, cmid, grp, sku, result, count, addr FROM shared_outbox WHERE t >= ?`, since.UnixNano())
	if err != nil {
		return nil, dbErr(err, "cannot read the outbox")
	}
	defer rows.Close()
	for rows.Next() {
		p := &pending{key: sharedKey{host: hostID}}
		var t int64
		if err := rows.Scan(&p.key.seg, &p.key.rec, &t, &p.row.CMID, &p.row.Group, &p.row.SKU, &p.row.Result, &p.row.Count, &p.row.Addr); err != nil {
			return nil, dbErr(err, "cannot read the outbox")
		}
		p.row.Time = unixUTC(t)
		if keep(p.row) {
			out = append(out, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "cannot read the outbox")
	}
	for _, w := range v.journal {
		if !w.refused && keep(w.hist) {
			out = append(out, &pending{key: sharedKey{host: hostID, seg: int64(w.seq), rec: int32(w.rec)}, row: w.hist})
		}
	}
	slices.SortStableFunc(out, func(a, b *pending) int {
		if c := a.row.Time.Compare(b.row.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key.seg, b.key.seg); c != 0 {
			return c
		}
		return cmp.Compare(a.key.rec, b.key.rec)
	})
	return out, nil
}

// hostNames maps the host ids of the shared database to their names.
func hostNames(ctx context.Context, q pgxQuerier) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT host_id, name FROM kms_hosts`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// WriteSharedHistory is WriteHistory for the site whose shared database
// is dsn: every request any of its hosts answered at or after since, each
// once, with the host's name and id (CSV columns host, host_id after the
// columns of WriteHistory; JSON fields host, host_id). dir is one of the
// site's hosts (or a host of the same authority): its requests not shipped
// yet are listed too.
func WriteSharedHistory(ctx context.Context, w io.Writer, dir, dsn, format string, since time.Time) error {
	if format != FormatCSV && format != FormatJSON {
		return invalid("history format %q: want csv or json", format)
	}
	if format == FormatCSV {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"time", "cmid", "group", "sku", "result", "count", "client_address", "host", "host_id"})
		err := readSharedHistory(ctx, dir, dsn, since, false, func(r SharedHistoryRow) error {
			return cw.Write([]string{r.Time.Format(time.RFC3339Nano), r.CMID, r.Group, r.SKU, r.Result, strconv.Itoa(r.Count), r.Addr, r.Host, r.HostID})
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		return err
	}
	rows := []SharedHistoryRow{}
	if err := readSharedHistory(ctx, dir, dsn, since, false, func(r SharedHistoryRow) error { rows = append(rows, r); return nil }); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"history": rows}); err != nil {
		return hresult.Wrap(hresult.Internal, err, "cannot write the history")
	}
	return nil
}

// ReadSharedEvents is ReadEvents for the site whose shared database is
// dsn: the events of every host of the site, each with its host's name
// and id, oldest first; dir is as for WriteSharedHistory.
func ReadSharedEvents(ctx context.Context, dir, dsn string, since time.Time) ([]Event, error) {
	out := []Event{}
	err := readSharedHistory(ctx, dir, dsn, since, true, func(r SharedHistoryRow) error {
		if e, ok := eventOf(r.HistoryRow); ok {
			e.Host, e.HostID = r.Host, r.HostID
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
