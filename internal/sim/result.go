package sim

import (
	"time"

	"github.com/volact/volact/internal/license"
)

// Result is what a simulation found: one row per day and the turning
// points, with the answers in words. It is the --json document.
type Result struct {
	Scenario *Scenario   `json:"scenario"`
	Start    string      `json:"start"`
	Machines int         `json:"machines"`
	Products []string    `json:"products"` // SKUs that have machines
	Counts   []CountInfo `json:"counts"`
	MAKKeys  []string    `json:"mak_keys"`
	Hosts    []string    `json:"hosts"` // the KMS hosts, then "service"
	Days     []Day       `json:"days"`
	Turning  Turning     `json:"turning_points"`
	Answers  []string    `json:"answers"`

	prodIndex []int // Products[j] is Sim.prods[prodIndex[j]]
}

// CountInfo names a count: a group on a host, or on hosts sharing a count.
type CountInfo struct {
	Label     string `json:"label"` // "kms1/suite"
	Group     string `json:"group"`
	Threshold int    `json:"threshold"`
}

// Day is one day's row, taken at 23:59 of the day.
type Day struct {
	Day          int          `json:"day"`
	Date         string       `json:"date"`
	Products     []ProductDay `json:"products"`
	Counts       []int        `json:"counts"`        // per Result.Counts; -1 before any request
	MAKRemaining []int        `json:"mak_remaining"` // per Result.MAKKeys
	Requests     []int        `json:"requests"`      // per Result.Hosts
	PeakRPS      []int        `json:"peak_rps"`      // per Result.Hosts: the busiest second
}

// ProductDay counts the machines of one product in each state.
type ProductDay struct {
	SKU          string `json:"sku"`
	Unlicensed   int    `json:"unlicensed"`
	Licensed     int    `json:"licensed"`
	OOBGrace     int    `json:"oob_grace"`
	OOTGrace     int    `json:"oot_grace"`
	Notification int    `json:"notification"`
}

// Turning holds the turning points of a run; a day of -1 means never.
type Turning struct {
	Products []ProductTurning `json:"products"`
	MAKKeys  []MAKTurning     `json:"mak_keys"`
	Counts   []CountTurning   `json:"counts"`
	Hosts    []HostTurning    `json:"hosts"`
}

// ProductTurning is when a product's machines first reached notification
// and how many were there at most.
type ProductTurning struct {
	SKU                  string `json:"sku"`
	FirstNotificationDay int    `json:"first_notification_day"`
	PeakNotification     int    `json:"peak_notification"`
	PeakNotificationDay  int    `json:"peak_notification_day"`
	AllLicensedDay       int    `json:"all_licensed_day"`
	FinalLicensed        int    `json:"final_licensed"`
	FinalNotification    int    `json:"final_notification"`
	PeakOOTGrace         int    `json:"peak_oot_grace"`
	PeakOOTGraceDay      int    `json:"peak_oot_grace_day"`
	FirstLicensedDay     int    `json:"first_licensed_day"`
	Machines             int    `json:"machines"`
}

// MAKTurning is when a MAK key ran out.
type MAKTurning struct {
	Key             string `json:"key"`
	Activations     int    `json:"activations"`
	ExhaustedDay    int    `json:"exhausted_day"`
	FirstRefusedDay int    `json:"first_refused_day"`
	Refused         int    `json:"refused"`
	FinalRemaining  int    `json:"final_remaining"`
}

// CountTurning is when a count first reached its threshold.
type CountTurning struct {
	Label        string `json:"label"`
	ThresholdDay int    `json:"threshold_day"`
	Peak         int    `json:"peak"`
}

// HostTurning is a host's (or the service's) busiest second.
type HostTurning struct {
	Host    string `json:"host"`
	PeakRPS int    `json:"peak_rps"`
	PeakDay int    `json:"peak_day"`
	Total   int    `json:"requests"`
}

func (s *Sim) newResult() *Result {
	r := &Result{Scenario: s.sc, Start: s.start.Format(time.DateOnly), Machines: len(s.m)}
	seen := map[int]bool{}
	for _, k := range s.kinds {
		if !seen[k.prod] {
			seen[k.prod] = true
			r.Products = append(r.Products, s.prods[k.prod].sku)
			r.prodIndex = append(r.prodIndex, k.prod)
		}
	}
	for _, c := range s.counts {
		r.Counts = append(r.Counts, CountInfo{Label: c.label, Group: s.groups[c.group], Threshold: c.c.Threshold()})
	}
	for _, k := range s.keys {
		r.MAKKeys = append(r.MAKKeys, k.name)
	}
	for _, h := range s.hosts {
		r.Hosts = append(r.Hosts, h.name)
	}
	r.Hosts = append(r.Hosts, "service")
	r.Days = make([]Day, 0, s.sc.Days)
	return r
}

// record adds day d's row and starts the next day's load figures.
func (s *Sim) record(r *Result, d int) {
	row := Day{Day: d, Date: s.start.AddDate(0, 0, d).Format(time.DateOnly)}
	for j, pi := range r.prodIndex {
		st := &s.status[pi]
		row.Products = append(row.Products, ProductDay{SKU: r.Products[j], Unlicensed: st[license.Unlicensed],
			Licensed: st[license.Licensed], OOBGrace: st[license.OOBGrace], OOTGrace: st[license.OOTGrace], Notification: st[license.Notification]})
	}
	sample := s.at(int32(d*1440 + SampleMinute))
	for _, c := range s.counts {
		row.Counts = append(row.Counts, c.c.Count(sample))
	}
	for _, k := range s.keys {
		row.MAKRemaining = append(row.MAKRemaining, k.remaining)
	}
	row.Requests = append(row.Requests, s.load.total...)
	row.PeakRPS = append(row.PeakRPS, s.load.peak...)
	s.load.reset()
	r.Days = append(r.Days, row)
}
