package kms

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
)

// SharedStatus is what `kms status` shows of a host on a shared database.
type SharedStatus struct {
	Database  string       `json:"database"` // host:port/database
	SiteID    string       `json:"site_id"`
	SiteName  string       `json:"site_name,omitempty"`
	HostID    string       `json:"host_id"` // this host's id in the shared history
	Backlog   int          `json:"backlog"` // requests answered here, not in the database yet
	Reachable bool         `json:"reachable"`
	Error     string       `json:"error,omitempty"` // why the database was not read
	Hosts     []SharedHost `json:"hosts"`
	// SiteSettings name the settings every host of the site shares (kms
	// set --db; each host takes them at its next start), HostSettings
	// those each host keeps. The new-CMID limit is the site's, but each
	// host counts it on its own: a network may add up to the limit times
	// the number of hosts per hour.
	SiteSettings []string `json:"site_settings"`
	HostSettings []string `json:"host_settings"`
}

// Settings scopes, as SharedStatus names them (the JSON names of Settings).
var (
	siteSettingsJSON = []string{"activation_interval_minutes", "renewal_interval_minutes", "history_retention_days", "new_cmid_limit_per_hour"}
	hostSettingsJSON = []string{"port"}
)

// SharedHost is one host of a site, as the shared database knows it.
type SharedHost struct {
	HostID      string    `json:"host_id"`
	Name        string    `json:"name"`
	JoinedAt    time.Time `json:"joined_at"`
	LastContact time.Time `json:"last_contact"` // the last time it reached the database
	This        bool      `json:"this_host"`
}

// ReadSharedStatus is ReadStatus for a host on the shared database dsn:
// the counts are those of the site (the database, with what this host
// answered and not shipped yet), and Shared lists the site's hosts with
// the last time each reached the database. A database that cannot be read
// is reported in Shared.Error; the host's own status is still returned.
func ReadSharedStatus(dir, dsn string, now time.Time) (*Status, error) {
	return readStatus(dir, dsn, now)
}

// sharedStatus fills the shared part of a status: from kms.db alone when
// dsn is "", else from the database too, whose clients it merges into
// counters and whose distinct CMIDs per group of the last 30 days it
// returns; it sets the per-site settings in *settings to the site's.
func sharedStatus(ctx context.Context, v *view, cat *catalog.Catalog, dsn string, counters map[string]*counter, settings *Settings, now time.Time) (*SharedStatus, map[string]int, error) {
	j, err := readJoined(ctx, v.tx)
	if err != nil || (j.site == "" && dsn == "") {
		return nil, nil, err
	}
	ss := &SharedStatus{Database: j.where, SiteID: j.site, HostID: j.hostID, Hosts: []SharedHost{},
		SiteSettings: siteSettingsJSON, HostSettings: hostSettingsJSON}
	if j.site != "" {
		ss.Backlog = outboxLen(ctx, v.tx)
	}
	for _, w := range v.journal {
		if !w.refused {
			ss.Backlog++
		}
	}
	if dsn == "" {
		ss.Error = "not read: pass --db URL for the site's count and hosts"
		return ss, nil, nil
	}
	pool, where, err := connectPG(ctx, dsn)
	if err != nil {
		ss.Error = hresult.From(err).Msg
		return ss, nil, nil
	}
	defer pool.Close()
	ss.Database = where
	site, err := readSite(ctx, pool, where)
	if err == nil {
		err = checkSite(site, cat.RootFingerprint(), j.site, where)
	}
	if err != nil {
		return nil, nil, err
	}
	ss.SiteID, ss.SiteName, ss.Reachable = site.id, site.name, true
	if *settings, err = loadSiteSettings(ctx, pool, *settings); err != nil {
		return nil, nil, dbErr(err, "cannot read the shared settings")
	}
	rows, err := pool.Query(ctx, `SELECT host_id, name, joined_at, last_contact FROM kms_hosts ORDER BY name, host_id`)
	if err != nil {
		return nil, nil, dbErr(err, "cannot read the hosts of the shared database")
	}
	for rows.Next() {
		var hs SharedHost
		var joinedAt, last int64
		if err := rows.Scan(&hs.HostID, &hs.Name, &joinedAt, &last); err != nil {
			rows.Close()
			return nil, nil, dbErr(err, "cannot read the hosts of the shared database")
		}
		hs.JoinedAt, hs.LastContact, hs.This = unixUTC(joinedAt), unixUTC(last), hs.HostID == j.hostID
		ss.Hosts = append(ss.Hosts, hs)
	}
	rows.Close()
	since := now.Add(-Window).UnixNano()
	crows, err := pool.Query(ctx, `SELECT grp, cmid, last_seen FROM kms_clients WHERE last_seen > $1 ORDER BY last_seen`, since)
	if err != nil {
		return nil, nil, dbErr(err, "cannot read the shared count")
	}
	for crows.Next() {
		var g, cmid string
		var t int64
		if err := crows.Scan(&g, &cmid, &t); err != nil {
			crows.Close()
			return nil, nil, dbErr(err, "cannot read the shared count")
		}
		if c := counters[g]; c != nil {
			c.Merge(cmid, unixUTC(t))
		}
	}
	crows.Close()
	seen, err := siteClientsSeen(ctx, pool, now.Add(-Window))
	if err != nil {
		return nil, nil, err
	}
	return ss, seen, nil
}

// health is the body of /healthz: "degraded" while the host cannot reach
// its shared database (it answers all the same).
func (h *Host) health() map[string]any {
	out := map[string]any{"status": "ok", "groups": h.Groups()}
	if s := h.shared; s != nil {
		up := s.up.Load()
		if !up {
			out["status"] = "degraded"
		}
		out["shared_db"] = map[string]any{"database": s.where, "site": s.site.name, "host_id": s.hostID, "reachable": up,
			"last_contact": unixUTC(s.lastContact.Load()).Format(time.RFC3339Nano), "backlog": s.backlog.Load()}
	}
	return out
}

// sharedCollectors are the metrics of the shared database:
// volact_kms_degraded always, and for a host on a shared database
// volact_kms_shared_db_up, volact_kms_shared_db_last_contact_timestamp_seconds
// and volact_kms_shared_backlog.
func (h *Host) sharedCollectors() []prometheus.Collector {
	s := h.shared
	degraded := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "volact_kms_degraded", Help: "1 while the host answers without its shared database (from its journal and the last shared count).",
	}, func() float64 {
		if s != nil && !s.up.Load() {
			return 1
		}
		return 0
	})
	if s == nil {
		return []prometheus.Collector{degraded}
	}
	return []prometheus.Collector{degraded,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "volact_kms_shared_db_up", Help: "1 when the last statement sent to the shared database succeeded.",
		}, func() float64 {
			if s.up.Load() {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "volact_kms_shared_db_last_contact_timestamp_seconds", Help: "When the host last reached its shared database (Unix time).",
		}, func() float64 { return float64(s.lastContact.Load()) / 1e9 }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "volact_kms_shared_backlog", Help: "Answered requests waiting to be shipped to the shared database.",
		}, func() float64 { return float64(s.backlog.Load()) }),
	}
}
