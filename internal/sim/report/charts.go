package report

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/dustin/go-humanize"
	"github.com/volact/volact/internal/sim"
	"github.com/volact/volact/internal/svgchart"
)

// series is one line of a chart.
type series struct {
	name string
	y    func(d sim.Day) float64
}

var palette = []color.Color{
	color.RGBA{R: 0x1b, G: 0x7f, B: 0x3b, A: 0xff}, // licensed: green
	color.RGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}, // initial grace: blue
	color.RGBA{R: 0xd9, G: 0x8c, B: 0x00, A: 0xff}, // OOT grace: amber
	color.RGBA{R: 0xc0, G: 0x1c, B: 0x28, A: 0xff}, // notification: red
	color.RGBA{R: 0x6c, G: 0x35, B: 0x9a, A: 0xff},
	color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff},
	color.RGBA{R: 0x00, G: 0x8b, B: 0x8b, A: 0xff},
	color.RGBA{R: 0x8b, G: 0x45, B: 0x13, A: 0xff},
}

// charts draws the report's charts: states per product, the KMS counts,
// MAK activations left, and the busiest second of each host.
func charts(r *sim.Result) ([]svgchart.Chart, error) {
	var out []svgchart.Chart
	add := func(title, ylabel string, ss []series) error {
		c, err := lineChart(r, title, ylabel, ss)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}
	for j, sku := range r.Products {
		ss := []series{
			{"licensed", func(d sim.Day) float64 { return float64(d.Products[j].Licensed) }},
			{"initial grace", func(d sim.Day) float64 { return float64(d.Products[j].OOBGrace) }},
			{"OOT grace", func(d sim.Day) float64 { return float64(d.Products[j].OOTGrace) }},
			{"notification", func(d sim.Day) float64 { return float64(d.Products[j].Notification) }},
		}
		if err := add("Machines of "+sku+" by state", "machines", ss); err != nil {
			return nil, err
		}
	}
	if len(r.Counts) > 0 {
		var ss []series
		for ci, c := range r.Counts {
			ss = append(ss, series{fmt.Sprintf("%s (threshold %d)", c.Label, c.Threshold), func(d sim.Day) float64 { return float64(max(d.Counts[ci], 0)) }})
		}
		if err := add("KMS counts", "clients counted", ss); err != nil {
			return nil, err
		}
	}
	if len(r.MAKKeys) > 0 {
		var ss []series
		for ki, k := range r.MAKKeys {
			ss = append(ss, series{k, func(d sim.Day) float64 { return float64(d.MAKRemaining[ki]) }})
		}
		if err := add("MAK activations left", "activations", ss); err != nil {
			return nil, err
		}
	}
	var ss []series
	for hi, h := range r.Hosts {
		if r.Turning.Hosts[hi].Total > 0 {
			ss = append(ss, series{h, func(d sim.Day) float64 { return float64(d.PeakRPS[hi]) }})
		}
	}
	if len(ss) > 0 {
		if err := add("Busiest second of each day", "requests per second", ss); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lineChart draws ss over the days as an SVG data: URL.
func lineChart(r *sim.Result, title, ylabel string, ss []series) (svgchart.Chart, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "day"
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	alt := title + ":"
	for i, s := range ss {
		pts := make(plotter.XYs, len(r.Days))
		top := 0.0
		for d, day := range r.Days {
			pts[d].X, pts[d].Y = float64(day.Day), s.y(day)
			top = max(top, pts[d].Y)
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return svgchart.Chart{}, fmt.Errorf("chart %s: %w", title, err)
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		if i >= len(palette) {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(l)
		p.Legend.Add(s.name, l)
		alt += fmt.Sprintf(" %s peaks at %s;", s.name, humanize.Comma(int64(top)))
	}
	return svgchart.Render(p, 8*vg.Inch, 3.6*vg.Inch, title, alt)
}
