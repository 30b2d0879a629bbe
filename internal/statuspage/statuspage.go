// Package statuspage is what the status pages of both servers share
// (GET / on volactd kms serve and volactd mak serve): one page layout,
// the response headers (a Content-Security-Policy that allows no script,
// no external asset and no framing) and charts
// drawn by gonum/plot as SVG images embedded as data: URLs.
//
// The pages are server-rendered by html/template, which escapes every
// value; they work without JavaScript and fetch nothing else.
package statuspage

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/dustin/go-humanize"
)

// CSP is the Content-Security-Policy of a status page: nothing may load or
// run but the page's own inline style and data: images (the charts).
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed layout.html
var layoutFS embed.FS

// Funcs are the template functions every page may use.
var Funcs = template.FuncMap{
	"commas":   func(n int) string { return humanize.Comma(int64(n)) },
	"commas64": humanize.Comma,
	"when":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"day":      func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
}

// New parses a page: the shared layout (template "layout", which calls
// the templates "title" and "body") and body, which defines them.
func New(name, body string) *template.Template {
	t := template.Must(template.New(name).Funcs(Funcs).ParseFS(layoutFS, "layout.html"))
	return template.Must(t.New(name + ".body").Parse(body))
}

// Render executes the layout of t with data into a buffer and, when that
// succeeds, writes it with the page's headers; a failure is a 500 with no
// half-written page.
func Render(w http.ResponseWriter, t *template.Template, data any) error {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		return err
	}
	SetHeaders(w.Header())
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, err := w.Write(b.Bytes())
	return err
}

// SetHeaders sets the headers of a status page: HTML, the CSP, no caching
// (the page may name machines when asked with the token), no sniffing and
// no referrer.
func SetHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", CSP)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Add("Vary", "Authorization")
}
