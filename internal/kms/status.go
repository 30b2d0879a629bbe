package kms

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// GroupStatus is one counted group as `kms status` shows it.
type GroupStatus struct {
	Group        string `json:"group"`
	Threshold    int    `json:"threshold"`
	CurrentCount int    `json:"current_count"` // -1 before any client request
	ClientsSeen  int    `json:"clients_seen"`  // distinct CMIDs in the history of the last 30 days
	Served       bool   `json:"served"`        // an activated host key covers the group
}

// Status is the state of a host's data directory.
type Status struct {
	Dir      string        `json:"data_dir"`
	Groups   []GroupStatus `json:"groups"`
	Keys     []HostKey     `json:"host_keys"`
	Settings Settings      `json:"settings"`
	// Refused counts the requests refused before counting, per day and
	// reason, over the history retention.
	Refused []RefusedCount `json:"refused"`
	Journal JournalLoss    `json:"journal"` // damaged journal segments, to date
	// Log is the host's transparency log (nil before the host first
	// served), read from its file as of its newest checkpoint.
	Log *LogStatus `json:"log,omitempty"`
	// Shared is the site's shared database, for a host that joined one
	// (ReadSharedStatus; shared_status.go).
	Shared *SharedStatus `json:"shared,omitempty"`
}

// ReadStatus reads the status of the host in dir at now. It takes no lock,
// so it works while the host serves; it sees every answered request.
func ReadStatus(dir string, now time.Time) (*Status, error) {
	return readStatus(dir, "", now)
}

// readStatus is ReadStatus, with the shared database dsn ("" = not read).
func readStatus(dir, dsn string, now time.Time) (*Status, error) {
	cat, err := readCatalog(dir)
	if err != nil {
		return nil, err
	}
	v, err := openView(dir)
	if err != nil {
		return nil, err
	}
	defer v.close()
	ctx := context.Background()
	st := &Status{Dir: dir, Keys: []HostKey{}, Groups: []GroupStatus{}}
	if st.Settings, err = loadSettings(ctx, v.tx); err != nil {
		return nil, err
	}
	if st.Refused, err = loadRefused(ctx, v.tx, now.Add(-st.Settings.HistoryRetention), v.journal); err != nil {
		return nil, err
	}
	if st.Journal, err = loadLoss(ctx, v.tx); err != nil {
		return nil, err
	}
	if st.Log, err = readLogStatus(dir); err != nil {
		return nil, err
	}
	keys, err := loadHostKeys(ctx, v.tx)
	if err != nil {
		return nil, err
	}
	served := map[string]bool{}
	for _, k := range keys {
		st.Keys = append(st.Keys, k)
		served[k.Group] = served[k.Group] || k.Activated
	}
	rows, err := loadClients(ctx, v.tx, now)
	if err != nil {
		return nil, err
	}
	counters := map[string]*counter{}
	for _, g := range cat.Groups {
		counters[g.Name] = newCounter(g.Threshold)
	}
	for _, r := range rows {
		if c := counters[r.group]; c != nil {
			c.Restore(r.cmid, r.seen)
		}
	}
	for _, w := range v.journal {
		if c := counters[w.hist.Group]; c != nil {
			replayCount(c, w)
		}
	}
	seen, err := v.clientsSeen(ctx, now.Add(-Window))
	if err != nil {
		return nil, err
	}
	var siteSeen map[string]int
	if st.Shared, siteSeen, err = sharedStatus(ctx, v, cat, dsn, counters, &st.Settings, now); err != nil {
		return nil, err
	}
	for g, n := range siteSeen {
		seen[g] = max(seen[g], n)
	}
	for _, g := range cat.Groups {
		st.Groups = append(st.Groups, GroupStatus{Group: g.Name, Threshold: g.Threshold,
			CurrentCount: counters[g.Name].Count(now), ClientsSeen: seen[g.Name], Served: served[g.Name]})
	}
	return st, nil
}

// SRVRecord is the DNS record that publishes a host at host:port in domain.
func SRVRecord(domain, host string, port int) string {
	return fmt.Sprintf("_vlmcs._tcp.%s. 86400 IN SRV 0 0 %d %s.", strings.TrimSuffix(domain, "."), port, strings.TrimSuffix(host, "."))
}

// History formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// WriteHistory writes the history rows of dir at or after since to w as
// CSV (with a header) or as one JSON document {"history":[...]}.
func WriteHistory(w io.Writer, dir, format string, since time.Time) error {
	if format != FormatCSV && format != FormatJSON {
		return invalid("history format %q: want csv or json", format)
	}
	v, err := openView(dir)
	if err != nil {
		return err
	}
	defer v.close()
	ctx := context.Background()
	if format == FormatCSV {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"time", "cmid", "group", "sku", "result", "count", "client_address"})
		err := v.history(ctx, since, func(r HistoryRow) error {
			return cw.Write([]string{r.Time.Format(time.RFC3339Nano), r.CMID, r.Group, r.SKU, r.Result, strconv.Itoa(r.Count), r.Addr})
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		return err
	}
	rows := []HistoryRow{}
	if err := v.history(ctx, since, func(r HistoryRow) error { rows = append(rows, r); return nil }); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"history": rows}); err != nil {
		return hresult.Wrap(hresult.Internal, err, "cannot write the history")
	}
	return nil
}
