// Package svgchart turns a gonum/plot chart into what volact's HTML pages
// embed (the servers' status pages, the simulator's report): an SVG as a
// data: URL, which an <img> shows and which cannot run script, with a text
// alternative.
package svgchart

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart is one chart of a page: Src is the SVG as a data: URL, Alt says in
// words what it shows.
type Chart struct {
	Title string
	Alt   string
	Src   template.URL
}

// Render draws p as an SVG of width by height and returns it as a Chart
// with title and alt.
func Render(p *plot.Plot, width, height vg.Length, title, alt string) (Chart, error) {
	c := vgsvg.New(width, height)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return Chart{}, fmt.Errorf("chart %s: %w", title, err)
	}
	src := "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
	return Chart{Title: title, Alt: alt, Src: template.URL(src)}, nil // #nosec G203 -- a data: URI of base64 of an SVG drawn here; nothing in it comes from a request
}
