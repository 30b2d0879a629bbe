// Package report renders a simulation result (package sim) as one
// self-contained HTML page: the answers in words, the turning points, charts
// drawn by gonum.org/v1/plot as SVG images embedded in the page, the
// per-day table and the scenario. The page loads nothing (no network, no
// external file), has no script and reads the same without JavaScript;
// everything taken from the scenario is escaped by html/template.
package report

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/dustin/go-humanize"
	"github.com/volact/volact/internal/sim"
	"github.com/volact/volact/internal/svgchart"
)

// page is what the template shows.
type page struct {
	Title    string
	R        *sim.Result
	Charts   []svgchart.Chart
	Columns  []string
	Rows     [][]string
	Scenario string
}

// HTML is the report page of r; scenario is the scenario file as read.
func HTML(r *sim.Result, scenario []byte) ([]byte, error) {
	cs, err := charts(r)
	if err != nil {
		return nil, err
	}
	p := page{Title: r.Scenario.Name, R: r, Charts: cs, Columns: r.Columns(), Scenario: string(scenario)}
	if p.Title == "" {
		p.Title = "Fleet simulation"
	}
	for d := range r.Days {
		p.Rows = append(p.Rows, r.Row(d))
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return b.Bytes(), nil
}

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"commas": func(n int) string { return humanize.Comma(int64(n)) },
	"day": func(d int) string {
		if d < 0 {
			return "never"
		}
		return fmt.Sprint(d)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{.Title}} — volactd sim</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
.answers li { margin: .3rem 0; font-size: 1.05rem; }
figure { margin: 1rem 0; } figure img { width: 100%; max-width: 48rem; }
pre { background: #f6f6f6; padding: 1rem; overflow-x: auto; }
.days { max-height: 30rem; overflow: auto; display: block; }
</style>
</head>
<body>
<h1 id="title">{{.Title}}</h1>
<p id="summary">{{commas .R.Machines}} machines over {{len .R.Days}} days from {{.R.Start}}, seed {{.R.Scenario.Seed}}.</p>

<h2>Answers</h2>
<ul class="answers" id="answers">
{{range .R.Answers}}<li>{{.}}</li>
{{end}}</ul>

<h2>Turning points</h2>
<table id="turning-products">
<tr><th>product</th><th>machines</th><th>first notification day</th><th>peak in notification</th><th>on day</th><th>all licensed on day</th><th>licensed at the end</th></tr>
{{range .R.Turning.Products}}<tr data-sku="{{.SKU}}"><td>{{.SKU}}</td><td data-field="machines">{{.Machines}}</td><td data-field="first_notification_day">{{day .FirstNotificationDay}}</td><td data-field="peak_notification">{{.PeakNotification}}</td><td data-field="peak_notification_day">{{day .PeakNotificationDay}}</td><td data-field="all_licensed_day">{{day .AllLicensedDay}}</td><td data-field="final_licensed">{{.FinalLicensed}}</td></tr>
{{end}}</table>
{{if .R.Turning.MAKKeys}}
<table id="turning-mak">
<tr><th>MAK key</th><th>activations</th><th>ran out on day</th><th>first refused on day</th><th>refused</th><th>left at the end</th></tr>
{{range .R.Turning.MAKKeys}}<tr data-key="{{.Key}}"><td>{{.Key}}</td><td data-field="activations">{{.Activations}}</td><td data-field="exhausted_day">{{day .ExhaustedDay}}</td><td data-field="first_refused_day">{{day .FirstRefusedDay}}</td><td data-field="refused">{{.Refused}}</td><td data-field="final_remaining">{{.FinalRemaining}}</td></tr>
{{end}}</table>
{{end}}
<table id="turning-hosts">
<tr><th>host</th><th>requests</th><th>busiest second (requests/s)</th><th>on day</th></tr>
{{range .R.Turning.Hosts}}{{if .Total}}<tr data-host="{{.Host}}"><td>{{.Host}}</td><td data-field="requests">{{.Total}}</td><td data-field="peak_rps">{{.PeakRPS}}</td><td data-field="peak_day">{{day .PeakDay}}</td></tr>
{{end}}{{end}}</table>

<h2>Charts</h2>
{{range .Charts}}<figure><img src="{{.Src}}" alt="{{.Alt}}"><figcaption>{{.Title}}</figcaption></figure>
{{end}}
<h2>Day by day</h2>
<p>States and counts at 23:59 of each day.</p>
<table class="days" id="days">
<tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>

<h2>Scenario</h2>
<pre id="scenario">{{.Scenario}}</pre>
<p>Made by volactd sim with the licensing core and the KMS host's counting code of volact.</p>
</body>
</html>
`))
