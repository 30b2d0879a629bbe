package svgchart

import (
	"encoding/base64"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

func TestRender(t *testing.T) {
	p := plot.New()
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 2}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(l)
	c, err := Render(p, 4*vg.Inch, 2*vg.Inch, "count", "count: latest 2")
	if err != nil {
		t.Fatal(err)
	}
	if c.Title != "count" || c.Alt != "count: latest 2" {
		t.Errorf("title %q, alt %q", c.Title, c.Alt)
	}
	b64, ok := strings.CutPrefix(string(c.Src), "data:image/svg+xml;base64,")
	if !ok {
		t.Fatalf("src %.40q is not an SVG data: URL", c.Src)
	}
	svg, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !strings.Contains(string(svg), "<svg") {
		t.Fatalf("src does not hold an SVG: %v", err)
	}
}
