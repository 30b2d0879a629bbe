package statuspage

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image/color"
	"math"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/volact/volact/internal/svgchart"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a chart: a value per day; NaN leaves a gap.
type Series struct {
	Name   string
	Values []float64
	Bars   bool // draw as bars instead of a line
}

// Colors of the series, in order.
var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff},
	color.RGBA{R: 0xd9, G: 0x8c, B: 0x00, A: 0xff},
	color.RGBA{R: 0x1b, G: 0x7f, B: 0x3b, A: 0xff},
	color.RGBA{R: 0xc0, G: 0x1c, B: 0x28, A: 0xff},
	color.RGBA{R: 0x6c, G: 0x35, B: 0x9a, A: 0xff},
}

// cache keeps the charts last drawn, by their content: a page asked again
// with the same data costs no drawing.
var cache = struct {
	sync.Mutex
	m     map[[32]byte]svgchart.Chart
	order [][32]byte
}{m: map[[32]byte]svgchart.Chart{}}

const cacheSize = 64

// DayChart draws ss over days (one value per day each) with a y axis from
// 0 and a dashed horizontal line at mark when mark > 0 (a threshold).
func DayChart(title, ylabel string, days []time.Time, ss []Series, mark float64) (svgchart.Chart, error) {
	key := chartKey(title, ylabel, days, ss, mark)
	cache.Lock()
	c, ok := cache.m[key]
	cache.Unlock()
	if ok {
		return c, nil
	}
	c, err := draw1(title, ylabel, days, ss, mark)
	if err != nil {
		return svgchart.Chart{}, err
	}
	cache.Lock()
	if _, ok := cache.m[key]; !ok {
		cache.m[key] = c
		cache.order = append(cache.order, key)
		if len(cache.order) > cacheSize {
			delete(cache.m, cache.order[0])
			cache.order = cache.order[1:]
		}
	}
	cache.Unlock()
	return c, nil
}

// chartKey hashes everything a chart is drawn from.
func chartKey(title, ylabel string, days []time.Time, ss []Series, mark float64) [32]byte {
	h := sha256.New()
	var b [8]byte
	num := func(v uint64) { binary.LittleEndian.PutUint64(b[:], v); h.Write(b[:]) }
	str := func(s string) { num(uint64(len(s))); h.Write([]byte(s)) }
	str(title)
	str(ylabel)
	num(math.Float64bits(mark))
	for _, d := range days {
		num(uint64(d.Unix()))
	}
	for _, s := range ss {
		str(s.Name)
		if s.Bars {
			num(1)
		}
		for _, v := range s.Values {
			num(math.Float64bits(v))
		}
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func draw1(title, ylabel string, days []time.Time, ss []Series, mark float64) (svgchart.Chart, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Y.Max = math.Max(1, mark*1.1)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	p.X.Tick.Marker = dayTicks(days)
	alt := title + ":"
	for i, s := range ss {
		xys := make(plotter.XYs, 0, len(s.Values))
		top, last := 0.0, math.NaN()
		for d, v := range s.Values {
			if math.IsNaN(v) {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(d), Y: v})
			top, last = math.Max(top, v), v
		}
		p.Y.Max = math.Max(p.Y.Max, top*1.1)
		col := palette[i%len(palette)]
		if s.Bars {
			vals := make(plotter.Values, len(s.Values))
			for d, v := range s.Values {
				vals[d] = max(0, v) // NaN compares false: 0
			}
			bc, err := plotter.NewBarChart(vals, vg.Points(10))
			if err != nil {
				return svgchart.Chart{}, fmt.Errorf("chart %s: %w", title, err)
			}
			bc.Color, bc.LineStyle.Width = col, 0
			p.Add(bc)
			p.Legend.Add(s.Name, bc)
		} else if len(xys) > 0 {
			l, pts, err := plotter.NewLinePoints(xys) // points show a lone day too
			if err != nil {
				return svgchart.Chart{}, fmt.Errorf("chart %s: %w", title, err)
			}
			l.Color, l.Width = col, vg.Points(2)
			pts.Color, pts.Shape, pts.Radius = col, draw.CircleGlyph{}, vg.Points(2)
			p.Add(l, pts)
			p.Legend.Add(s.Name, l, pts)
		}
		alt += fmt.Sprintf(" %s: highest %s, latest %s;", s.Name, humanize.Comma(int64(top)), latest(last))
	}
	if mark > 0 {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: mark}, {X: float64(max(len(days)-1, 1)), Y: mark}})
		if err == nil {
			l.Color, l.Dashes = color.Gray{Y: 0x70}, []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("threshold %s", humanize.Comma(int64(mark))), l)
			alt += fmt.Sprintf(" threshold %s;", humanize.Comma(int64(mark)))
		}
	}
	p.X.Min, p.X.Max = -0.5, float64(len(days))-0.5
	// An SVG data: URL (the CSP allows img-src data: only).
	return svgchart.Render(p, 7*vg.Inch, 2.6*vg.Inch, title, alt)
}

func latest(v float64) string {
	if math.IsNaN(v) {
		return "none"
	}
	return humanize.Comma(int64(v))
}

// dayTicks labels about every fifth day (MM-DD) and the last one.
func dayTicks(days []time.Time) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		for i, d := range days {
			label := ""
			if (len(days)-1-i)%5 == 0 {
				label = d.UTC().Format("01-02")
			}
			ts = append(ts, plot.Tick{Value: float64(i), Label: label})
		}
		return ts
	})
}
