package sim

import (
	"fmt"

	"github.com/dustin/go-humanize"
)

// finish computes the turning points and the answers in words.
func (s *Sim) finish(r *Result) {
	t := &r.Turning
	for j, sku := range r.Products {
		pt := ProductTurning{SKU: sku, FirstNotificationDay: -1, PeakNotificationDay: -1, AllLicensedDay: -1,
			PeakOOTGraceDay: -1, FirstLicensedDay: -1}
		for _, k := range s.kinds {
			if k.prod == r.prodIndex[j] {
				pt.Machines += k.Count
			}
		}
		for _, d := range r.Days {
			p := d.Products[j]
			if p.Notification > 0 && pt.FirstNotificationDay < 0 {
				pt.FirstNotificationDay = d.Day
			}
			if p.Notification > pt.PeakNotification {
				pt.PeakNotification, pt.PeakNotificationDay = p.Notification, d.Day
			}
			if p.OOTGrace > pt.PeakOOTGrace {
				pt.PeakOOTGrace, pt.PeakOOTGraceDay = p.OOTGrace, d.Day
			}
			if p.Licensed > 0 && pt.FirstLicensedDay < 0 {
				pt.FirstLicensedDay = d.Day
			}
			if p.Licensed == pt.Machines && pt.Machines > 0 && pt.AllLicensedDay < 0 {
				pt.AllLicensedDay = d.Day
			}
		}
		if n := len(r.Days); n > 0 {
			pt.FinalLicensed, pt.FinalNotification = r.Days[n-1].Products[j].Licensed, r.Days[n-1].Products[j].Notification
		}
		t.Products = append(t.Products, pt)
	}
	for i, k := range s.keys {
		t.MAKKeys = append(t.MAKKeys, MAKTurning{Key: k.name, Activations: s.sc.MAKKeys[i].Activations, ExhaustedDay: k.exhausted,
			FirstRefusedDay: k.firstRefused, Refused: k.refused, FinalRemaining: k.remaining})
	}
	for ci, c := range r.Counts {
		ct := CountTurning{Label: c.Label, ThresholdDay: -1}
		for _, d := range r.Days {
			if d.Counts[ci] >= c.Threshold && ct.ThresholdDay < 0 {
				ct.ThresholdDay = d.Day
			}
			ct.Peak = max(ct.Peak, d.Counts[ci])
		}
		t.Counts = append(t.Counts, ct)
	}
	for hi, h := range r.Hosts {
		ht := HostTurning{Host: h, PeakDay: -1}
		for _, d := range r.Days {
			if d.PeakRPS[hi] > ht.PeakRPS {
				ht.PeakRPS, ht.PeakDay = d.PeakRPS[hi], d.Day
			}
			ht.Total += d.Requests[hi]
		}
		t.Hosts = append(t.Hosts, ht)
	}
	r.Answers = answers(r)
}

// answers says the turning points in sentences.
func answers(r *Result) []string {
	var out []string
	t := &r.Turning
	for _, p := range t.Products {
		switch {
		case p.FirstNotificationDay < 0:
			out = append(out, fmt.Sprintf("No %s machine was in notification (%s machines).", p.SKU, humanize.Comma(int64(p.Machines))))
		default:
			out = append(out, fmt.Sprintf("%s %s %s in notification on day %d; the first on day %d.",
				humanize.Comma(int64(p.PeakNotification)), p.SKU, machines(p.PeakNotification), p.PeakNotificationDay, p.FirstNotificationDay))
		}
		if p.PeakOOTGrace > 0 {
			out = append(out, fmt.Sprintf("%s %s %s in out-of-tolerance grace (KMS activation expired) on day %d.",
				humanize.Comma(int64(p.PeakOOTGrace)), p.SKU, machines(p.PeakOOTGrace), p.PeakOOTGraceDay))
		}
		switch {
		case p.AllLicensedDay >= 0:
			out = append(out, fmt.Sprintf("Every %s machine was licensed on day %d; %s at the end.", p.SKU, p.AllLicensedDay, humanize.Comma(int64(p.FinalLicensed))))
		case p.FirstLicensedDay >= 0:
			out = append(out, fmt.Sprintf("%s of %s %s machines were licensed at the end; the first on day %d.",
				humanize.Comma(int64(p.FinalLicensed)), humanize.Comma(int64(p.Machines)), p.SKU, p.FirstLicensedDay))
		default:
			out = append(out, fmt.Sprintf("No %s machine was ever licensed.", p.SKU))
		}
	}
	for _, k := range t.MAKKeys {
		switch {
		case k.ExhaustedDay >= 0 && k.Refused > 0:
			out = append(out, fmt.Sprintf("MAK key %s (%s activations) ran out on day %d; %s %s refused, the first on day %d.",
				k.Key, humanize.Comma(int64(k.Activations)), k.ExhaustedDay, humanize.Comma(int64(k.Refused)), plural(k.Refused, "request was", "requests were"), k.FirstRefusedDay))
		case k.ExhaustedDay >= 0 || k.Refused > 0:
			out = append(out, fmt.Sprintf("MAK key %s (%s activations) ran out on day %d; none was refused.", k.Key, humanize.Comma(int64(k.Activations)), k.ExhaustedDay))
		default:
			out = append(out, fmt.Sprintf("MAK key %s kept %s of %s activations.", k.Key, humanize.Comma(int64(k.FinalRemaining)), humanize.Comma(int64(k.Activations))))
		}
	}
	for i, c := range t.Counts {
		if c.ThresholdDay >= 0 {
			out = append(out, fmt.Sprintf("The count of %s reached its threshold (%d) on day %d.", c.Label, r.Counts[i].Threshold, c.ThresholdDay))
		} else if c.Peak > 0 {
			out = append(out, fmt.Sprintf("The count of %s never reached its threshold (%d); it peaked at %d.", c.Label, r.Counts[i].Threshold, c.Peak))
		}
	}
	for _, h := range t.Hosts {
		if h.Total > 0 {
			out = append(out, fmt.Sprintf("%s peaked at %s %s per second on day %d (%s requests in all).",
				hostTitle(h.Host), humanize.Comma(int64(h.PeakRPS)), plural(h.PeakRPS, "request", "requests"), h.PeakDay, humanize.Comma(int64(h.Total))))
		}
	}
	return out
}

func hostTitle(h string) string {
	if h == "service" {
		return "The activation service"
	}
	return "Host " + h
}

func machines(n int) string { return plural(n, "machine was", "machines were") }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
