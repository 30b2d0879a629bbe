package httpserve

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// Options configure a [Router].
type Options struct {
	// Logger gets the request log (debug level), refusals and panics;
	// nil discards them.
	Logger *slog.Logger
	// Metrics are served at GET /metrics and observe every request; nil
	// is NewMetrics("server").
	Metrics *Metrics
	// RefusedLevel is the level of the log line for an answer in the 4xx
	// range; the zero value is Info. 5xx answers are always logged at
	// Error. (The KMS host uses Debug: its history records every answer,
	// and most of them are 409 until a group reaches its threshold.)
	RefusedLevel slog.Level
	// Guard, when not nil, sees every request before it is routed; an
	// error it returns is the answer ([WriteError]).
	Guard func(r *http.Request) error
}

// Router is the HTTP front of a server: exact paths, one method each,
// with JSON answers for errors (404 for an unknown path, 405 with Allow
// for a wrong method), panic recovery (500), a request log and metrics.
// It serves GET /metrics from the start; [Router.Health] adds /healthz.
// Register every route before serving; then it is safe for concurrent use.
type Router struct {
	routes  map[string]route
	log     *slog.Logger
	metrics *Metrics
	refused slog.Level
	guard   func(*http.Request) error
}

type route struct {
	method string
	h      http.Handler
}

// NewRouter returns a Router with only GET /metrics.
func NewRouter(o Options) *Router {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics("server")
	}
	rt := &Router{routes: map[string]route{}, log: o.Logger, metrics: o.Metrics, refused: o.RefusedLevel, guard: o.Guard}
	rt.Handle(http.MethodGet, "/metrics", o.Metrics.Handler())
	return rt
}

// Handle serves path with h for method (GET also answers HEAD). The path
// is matched exactly, and is the route label of its metrics.
func (rt *Router) Handle(method, path string, h http.Handler) {
	rt.routes[path] = route{method: method, h: h}
}

// HandleJSON serves path with fn for method: the value fn returns is sent
// as JSON with 200 ([WriteJSON]), its error with [Router.WriteError].
// fn reads a request body with [DecodeJSON].
func (rt *Router) HandleJSON(method, path string, fn func(w http.ResponseWriter, r *http.Request) (any, error)) {
	rt.Handle(method, path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(w, r)
		if err != nil {
			rt.WriteError(w, r, err)
			return
		}
		WriteJSON(w, http.StatusOK, v)
	}))
}

// Health serves GET /healthz: 200 while check returns no error, with
// "ok\n" as text when check's value is nil and the value as JSON
// otherwise; 503 with the error as a protocol.ErrorResponse when check
// fails.
func (rt *Router) Health(check func(ctx context.Context) (any, error)) {
	rt.Handle(http.MethodGet, "/healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := check(r.Context())
		switch {
		case err != nil:
			rt.WriteError(w, r, WithStatus(http.StatusServiceUnavailable, err))
		case v == nil:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "ok\n")
		default:
			WriteJSON(w, http.StatusOK, v)
		}
	}))
}

// WriteError logs err (with its cause) at the router's level for its
// status and answers it with [WriteError].
func (rt *Router) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	level := rt.refused
	if status >= 500 {
		level = slog.LevelError
	}
	if rt.log.Enabled(r.Context(), level) {
		rt.log.Log(r.Context(), level, "request refused", "path", r.URL.Path, "status", status,
			"code", hresult.CodeOf(err).String(), "error", err.Error())
	}
	WriteError(w, err)
}

// ServeHTTP routes r, recovers from a panic, records the request's
// duration and status in the metrics and logs it at debug level.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	rte, found := rt.routes[r.URL.Path]
	label := r.URL.Path
	if !found {
		label = "other"
	}
	defer func() {
		v := recover()
		if v != nil && v != http.ErrAbortHandler {
			rt.log.Error("panic while serving a request", "path", r.URL.Path, "panic", v)
			if rec.status == 0 {
				WriteError(rec, hresult.New(hresult.Internal, "internal error"))
			}
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		d := time.Since(start)
		rt.metrics.observe(label, r.Method, rec.status, d)
		if rt.log.Enabled(r.Context(), slog.LevelDebug) {
			rt.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration", d, "remote", r.RemoteAddr)
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
	}()
	if rt.guard != nil {
		if err := rt.guard(r); err != nil {
			rt.WriteError(rec, r, err)
			return
		}
	}
	switch {
	case !found:
		rt.WriteError(rec, r, WithStatus(http.StatusNotFound,
			hresult.Newf(hresult.BadRequest, "no such endpoint %s", clip(r.URL.Path))))
	case r.Method != rte.method && (rte.method != http.MethodGet || r.Method != http.MethodHead):
		allow := rte.method
		if allow == http.MethodGet {
			allow = "GET, HEAD"
		}
		rec.Header().Set("Allow", allow)
		rt.WriteError(rec, r, WithStatus(http.StatusMethodNotAllowed,
			hresult.Newf(hresult.BadRequest, "%s needs %s, not %s", r.URL.Path, rte.method, clip(r.Method))))
	default:
		rte.h.ServeHTTP(rec, r)
	}
}

// recorder remembers the status of an answer for the log and metrics.
type recorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written.
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

// Write records an implicit 200.
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
