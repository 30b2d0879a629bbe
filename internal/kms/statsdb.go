package kms

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/volact/volact/internal/protocol"
)

// Maintained aggregates for the status page (statuspage.go). With a
// million clients in the history, counting distinct CMIDs or requests per
// day by reading the history would take seconds; so SQLite triggers keep
// small tables up to date in the transaction that inserts each history
// row, whatever writes it (the applier, a journal replay):
//
//   - day_stats: per UTC day (Unix days) and group, the requests (history
//     rows that are not events) and the count after the day's last request;
//   - seen: per group and CMID, when it last asked (every history row with
//     a CMID, as clientsSeen counts them);
//   - seen_hours: per group and hour (Unix hours), how many CMIDs of seen
//     last asked in that hour, so that the clients seen in the last 30 days
//     are a sum of at most 720 rows plus one indexed hour of seen;
//   - history_event: a partial index of the event rows (count_limit,
//     state_reset), for the latest events without a scan;
//     history_event_kind, the same by kind and time, so the page counts
//     the events of each kind from the index alone (no row read).
//
// A database made before these tables is filled from its history once,
// when it is first opened (ensureStats); the marker is the settings row
// stats_version.
const statsSchema = `
CREATE TABLE IF NOT EXISTS day_stats (
	grp TEXT NOT NULL, day INTEGER NOT NULL, requests INTEGER NOT NULL, last_count INTEGER NOT NULL,
	PRIMARY KEY (grp, day)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (
	grp TEXT NOT NULL, cmid TEXT NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY (grp, cmid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_last ON seen(last_seen);
CREATE TABLE IF NOT EXISTS seen_hours (
	grp TEXT NOT NULL, hour INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (grp, hour)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_event ON history(t) WHERE result IN ('count_limit', 'state_reset');
CREATE INDEX IF NOT EXISTS history_event_kind ON history(result, t) WHERE result IN ('count_limit', 'state_reset');
CREATE TRIGGER IF NOT EXISTS history_day AFTER INSERT ON history
WHEN new.result NOT IN ('count_limit', 'state_reset') BEGIN
	INSERT INTO day_stats(grp, day, requests, last_count) VALUES (new.grp, new.t / 86400000000000, 1, new.count)
	ON CONFLICT(grp, day) DO UPDATE SET requests = requests + 1,
		last_count = CASE WHEN excluded.last_count >= 0 THEN excluded.last_count ELSE last_count END;
END;
CREATE TRIGGER IF NOT EXISTS history_seen AFTER INSERT ON history WHEN new.cmid != '' BEGIN
	INSERT INTO seen(grp, cmid, last_seen) VALUES (new.grp, new.cmid, new.t)
	ON CONFLICT(grp, cmid) DO UPDATE SET last_seen = excluded.last_seen WHERE excluded.last_seen > seen.last_seen;
END;
CREATE TRIGGER IF NOT EXISTS seen_insert AFTER INSERT ON seen BEGIN
	INSERT INTO seen_hours(grp, hour, n) VALUES (new.grp, new.last_seen / 3600000000000, 1)
	ON CONFLICT(grp, hour) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS seen_update AFTER UPDATE OF last_seen ON seen
WHEN old.last_seen / 3600000000000 != new.last_seen / 3600000000000 BEGIN
	UPDATE seen_hours SET n = n - 1 WHERE grp = old.grp AND hour = old.last_seen / 3600000000000;
	INSERT INTO seen_hours(grp, hour, n) VALUES (new.grp, new.last_seen / 3600000000000, 1)
	ON CONFLICT(grp, hour) DO UPDATE SET n = n + 1;
END;
`

// statsVersion is the settings row that marks the aggregates as filled.
const statsVersion = "stats_version"

// Time units of the aggregates, in nanoseconds.
const (
	nsDay  = int64(24 * time.Hour)
	nsHour = int64(time.Hour)
)

// ensureStats creates the aggregate tables and triggers and, for a
// database that has none yet, fills them from the history, in one
// IMMEDIATE transaction: a history row is then counted either by the
// backfill or by the triggers, never by both.
func ensureStats(db *sql.DB) error {
	ctx := context.Background()
	var v string
	if err := db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, statsVersion).Scan(&v); err == nil && v == "1" {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return dbErr(err, "cannot open the KMS database")
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return dbErr(err, "cannot start a transaction")
	}
	err = func() error {
		if err := conn.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, statsVersion).Scan(&v); err == nil && v == "1" {
			return nil // another process filled them first
		}
		for _, q := range []string{
			statsSchema,
			`DELETE FROM day_stats; DELETE FROM seen; DELETE FROM seen_hours`,
			// Oldest first: the last row of each day sets its count.
			`INSERT INTO day_stats(grp, day, requests, last_count)
				SELECT grp, t / 86400000000000, 1, count FROM history
				WHERE result NOT IN ('count_limit', 'state_reset') ORDER BY id
				ON CONFLICT(grp, day) DO UPDATE SET requests = requests + 1,
					last_count = CASE WHEN excluded.last_count >= 0 THEN excluded.last_count ELSE last_count END`,
			`INSERT INTO seen(grp, cmid, last_seen) SELECT grp, cmid, MAX(t) FROM history WHERE cmid != '' GROUP BY grp, cmid`,
			`INSERT INTO settings(name, value) VALUES('` + statsVersion + `', '1')
				ON CONFLICT(name) DO UPDATE SET value = excluded.value`,
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		_, _ = conn.ExecContext(ctx, `ROLLBACK`)
		return dbErr(err, "cannot fill the status page's aggregates")
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return dbErr(err, "cannot commit to the KMS database")
	}
	return nil
}

// pruneStats deletes, in the applier's prune transaction, the aggregates
// that no page reads any more: days past the history's retention (before)
// and clients not seen since the counting window or the retention,
// whichever is later (as the history they stand for).
func pruneStats(ctx context.Context, tx *sql.Tx, before, now time.Time) error {
	seenBefore := now.Add(-Window)
	if before.After(seenBefore) {
		seenBefore = before
	}
	for _, q := range []struct {
		sql string
		arg int64
	}{
		{`DELETE FROM day_stats WHERE day < ?`, before.UnixNano() / nsDay},
		{`DELETE FROM seen WHERE last_seen < ?`, seenBefore.UnixNano()},
		{`DELETE FROM seen_hours WHERE hour < ?`, seenBefore.UnixNano()/nsHour - 1},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, q.arg); err != nil {
			return err
		}
	}
	return nil
}

// DayStat is one group's activity on one UTC day.
type DayStat struct {
	Day      time.Time `json:"day"`
	Requests int       `json:"requests"` // activation requests (counted or not; events excluded)
	Count    int       `json:"count"`    // the count after the day's last request; -1 none
}

// dayStats reads the per-day aggregates of each group from day since on,
// adds those of the journaled writes ws, and returns them per group, one
// entry per day from since to now (days without requests have Requests 0
// and Count -1).
func dayStats(ctx context.Context, q querier, since, now time.Time, ws []write) (map[string][]DayStat, error) {
	first, last := since.UnixNano()/nsDay, now.UnixNano()/nsDay
	out := map[string][]DayStat{}
	slot := func(g string, d int64) *DayStat {
		days := out[g]
		if days == nil {
			days = make([]DayStat, last-first+1)
			for i := range days {
				days[i] = DayStat{Day: time.Unix(0, (first+int64(i))*nsDay).UTC(), Count: -1}
			}
			out[g] = days
		}
		return &days[d-first]
	}
	rows, err := q.QueryContext(ctx, `SELECT grp, day, requests, last_count FROM day_stats WHERE day >= ? AND day <= ?`, first, last)
	if err != nil {
		return nil, dbErr(err, "cannot read the daily requests")
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		var d int64
		var n, c int
		if err := rows.Scan(&g, &d, &n, &c); err != nil {
			return nil, dbErr(err, "cannot read the daily requests")
		}
		s := slot(g, d)
		s.Requests, s.Count = n, c
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "cannot read the daily requests")
	}
	for _, w := range ws {
		d := w.hist.Time.UnixNano() / nsDay
		if w.refused || isEvent(w.hist.Result) || d < first || d > last {
			continue
		}
		s := slot(w.hist.Group, d)
		s.Requests++
		if w.hist.Count >= 0 {
			s.Count = w.hist.Count
		}
	}
	return out, nil
}

// isEvent reports whether a history result is an event, not a request.
func isEvent(result string) bool { return result == CountLimitEvent || result == protocol.StateReset }

// seenSince counts the distinct CMIDs per group that asked at or after
// since, from the aggregates (as clientsSeen does from the history) and
// the journaled writes ws.
func seenSince(ctx context.Context, q querier, since time.Time, ws []write) (map[string]int, error) {
	ns := since.UnixNano()
	hour := ns / nsHour
	out := map[string]int{}
	add := func(query string, args ...any) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return dbErr(err, "cannot read the clients seen")
		}
		defer rows.Close()
		for rows.Next() {
			var g string
			var n int
			if err := rows.Scan(&g, &n); err != nil {
				return dbErr(err, "cannot read the clients seen")
			}
			out[g] += n
		}
		return rows.Err()
	}
	// Whole hours after since's, then since's own hour from seen.
	if err := add(`SELECT grp, SUM(n) FROM seen_hours WHERE hour > ? GROUP BY grp`, hour); err != nil {
		return nil, err
	}
	if err := add(`SELECT grp, COUNT(*) FROM seen WHERE last_seen >= ? AND last_seen < ? GROUP BY grp`, ns, (hour+1)*nsHour); err != nil {
		return nil, err
	}
	fresh := journalCMIDs(ws, since)
	for g, ids := range fresh {
		known, err := countSeen(ctx, q, g, ns, ids)
		if err != nil {
			return nil, err
		}
		out[g] += len(ids) - known
	}
	return out, nil
}

// countSeen counts how many of ids the seen table holds for group g with a
// last request at or after since (Unix nanoseconds).
func countSeen(ctx context.Context, q querier, g string, since int64, ids map[string]bool) (int, error) {
	const per = 500
	list := make([]any, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	known := 0
	for len(list) > 0 {
		part := list[:min(per, len(list))]
		list = list[len(part):]
		query := `SELECT COUNT(*) FROM seen WHERE grp = ? AND last_seen >= ? AND cmid IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		var n int
		if err := q.QueryRowContext(ctx, query, append([]any{g, since}, part...)...).Scan(&n); err != nil {
			return 0, dbErr(err, "cannot read the clients seen")
		}
		known += n
	}
	return known, nil
}

// recentEvents returns the latest limit events at or after since (newest
// first), from the partial index, with those of the journaled writes ws,
// and the number of events of each kind since then.
func recentEvents(ctx context.Context, q querier, since time.Time, limit int, ws []write) ([]Event, map[string]int, error) {
	counts := map[string]int{}
	rows, err := q.QueryContext(ctx, `SELECT result, COUNT(*) FROM history WHERE result IN ('count_limit', 'state_reset') AND t >= ? GROUP BY result`, since.UnixNano())
	if err != nil {
		return nil, nil, dbErr(err, "cannot read the events")
	}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			rows.Close()
			return nil, nil, dbErr(err, "cannot read the events")
		}
		counts[k] = n
	}
	rows.Close()
	var out []Event
	for i := len(ws) - 1; i >= 0; i-- {
		if e, ok := eventOf(ws[i].hist); ok && !ws[i].refused && !e.Time.Before(since) {
			counts[e.Kind]++
			if len(out) < limit {
				out = append(out, e)
			}
		}
	}
	if len(out) >= limit {
		return out, counts, nil
	}
	err = queryEvents(ctx, q, since, limit-len(out), func(r HistoryRow) {
		if e, ok := eventOf(r); ok {
			out = append(out, e)
		}
	})
	return out, counts, err
}

// queryEvents calls each for the latest n event rows at or after since,
// newest first.
func queryEvents(ctx context.Context, q querier, since time.Time, n int, each func(HistoryRow)) error {
	rows, err := q.QueryContext(ctx, `SELECT t, cmid, grp, sku, result, count, addr FROM history
		WHERE result IN ('count_limit', 'state_reset') AND t >= ? ORDER BY t DESC LIMIT ?`, since.UnixNano(), n)
	if err != nil {
		return dbErr(err, "cannot read the events")
	}
	defer rows.Close()
	for rows.Next() {
		var r HistoryRow
		var t int64
		if err := rows.Scan(&t, &r.CMID, &r.Group, &r.SKU, &r.Result, &r.Count, &r.Addr); err != nil {
			return dbErr(err, "cannot read the events")
		}
		r.Time = time.Unix(0, t).UTC()
		each(r)
	}
	return rows.Err()
}

// journalCMIDs returns per group the CMIDs of the journaled writes ws seen
// at or after since (the writes not yet applied to the database).
func journalCMIDs(ws []write, since time.Time) map[string]map[string]bool {
	fresh := map[string]map[string]bool{}
	for _, w := range ws {
		if w.hist.CMID == "" || w.hist.Time.Before(since) {
			continue
		}
		if fresh[w.hist.Group] == nil {
			fresh[w.hist.Group] = map[string]bool{}
		}
		fresh[w.hist.Group][w.hist.CMID] = true
	}
	return fresh
}
