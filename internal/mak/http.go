package mak

import (
	"context"
	"net/http"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
)

// handlerFunc is one JSON endpoint: it returns the value to send with 200,
// or an error answered with its status from the httpserve table.
type handlerFunc = func(w http.ResponseWriter, r *http.Request) (any, error)

// Handler returns the service's HTTP handler: the endpoints below plus
// GET /healthz (200 "ok" while the database answers, else 503) and
// GET /metrics, on the httpserve kit.
func (s *Server) Handler() http.Handler {
	rt := httpserve.NewRouter(httpserve.Options{Logger: s.log, Metrics: s.metrics.http})
	rt.HandleJSON(http.MethodPost, "/v1/activate", s.handleActivate)
	rt.LogRoutes(s.tlog)
	rt.HandleJSON(http.MethodPost, "/v1/host/activate", s.handleHostActivate)
	rt.HandleJSON(http.MethodPost, "/v1/proxy", s.handleProxy)
	rt.HandleJSON(http.MethodPost, "/v1/witness/report", s.handleWitnessReport) // witness.go
	rt.HandleJSON(http.MethodPost, "/v1/admin/mint", s.adminOnly(s.handleMint))
	rt.HandleJSON(http.MethodPost, "/v1/admin/block", s.adminOnly(s.handleBlock))
	rt.HandleJSON(http.MethodPost, "/v1/admin/remaining", s.adminOnly(s.handleRemaining))
	rt.HandleJSON(http.MethodPost, "/v1/admin/unblock", s.adminOnly(s.handleUnblock))
	rt.HandleJSON(http.MethodPost, "/v1/admin/events", s.adminOnly(s.handleEvents))
	rt.HandleJSON(http.MethodPost, "/v1/admin/hosts", s.adminOnly(s.handleHosts))
	rt.Health(func(ctx context.Context) (any, error) { return nil, s.ledger.Ping(ctx) })
	rt.Handle(http.MethodGet, "/", s.statusPage()) // statuspage.go
	return rt
}

// adminOnly refuses a request without the admin token (401) before fn.
func (s *Server) adminOnly(fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="volact"`)
			return nil, hresult.New(hresult.Unauthorized, "the admin token is missing or wrong").
				WithHint("pass the token from the service's admin.token file: --token-file FILE or VOLACT_TOKEN")
		}
		return fn(w, r)
	}
}

// authorized checks the bearer token (httpserve.Authorized). An empty
// server token refuses everyone.
func (s *Server) authorized(r *http.Request) bool { return httpserve.Authorized(r, s.token) }

// decode reads a request body strictly into v (httpserve.DecodeJSON with
// the service's cap, MaxBodySize).
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpserve.DecodeJSON(w, r, MaxBodySize, v)
}
