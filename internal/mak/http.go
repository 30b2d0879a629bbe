package mak

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
)

// route is one endpoint: its method and handler. A handler returns the
// value to send as JSON with 200, or an error.
type route struct {
	method string
	admin  bool // needs the admin token
	serve  func(w http.ResponseWriter, r *http.Request) (any, error)
}

// Handler returns the service's HTTP handler.
func (s *Server) Handler() http.Handler {
	routes := map[string]route{
		"/v1/activate":        {method: http.MethodPost, serve: s.handleActivate},
		"/v1/host/activate":   {method: http.MethodPost, serve: s.handleHostActivate},
		"/v1/proxy":           {method: http.MethodPost, serve: s.handleProxy},
		"/v1/admin/mint":      {method: http.MethodPost, admin: true, serve: s.handleMint},
		"/v1/admin/block":     {method: http.MethodPost, admin: true, serve: s.handleBlock},
		"/v1/admin/remaining": {method: http.MethodPost, admin: true, serve: s.handleRemaining},
	}
	mux := http.NewServeMux()
	for path, rt := range routes {
		mux.Handle(path, s.endpoint(path, rt))
	}
	mux.Handle("/healthz", s.instrument("/healthz", http.HandlerFunc(s.handleHealth)))
	mux.Handle("/metrics", s.instrument("/metrics", s.metrics.handler()))
	mux.Handle("/", s.instrument("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, http.StatusNotFound, hresult.Newf(hresult.BadRequest, "no such endpoint %s", r.URL.Path))
	})))
	return s.recoverer(mux)
}

// endpoint wraps a JSON route: method check, admin check, error mapping.
func (s *Server) endpoint(path string, rt route) http.Handler {
	return s.instrument(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != rt.method {
			w.Header().Set("Allow", rt.method)
			s.writeError(w, r, http.StatusMethodNotAllowed, hresult.Newf(hresult.BadRequest, "%s needs %s, not %s", path, rt.method, r.Method))
			return
		}
		if rt.admin && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="volact"`)
			s.writeError(w, r, http.StatusUnauthorized, hresult.New(hresult.Unauthorized, "the admin token is missing or wrong").
				WithHint("pass the token from the service's admin.token file: --token T or VOLACT_TOKEN"))
			return
		}
		v, err := rt.serve(w, r)
		if err != nil {
			s.writeError(w, r, 0, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}))
}

// authorized checks the bearer token in constant time. An empty server
// token refuses everyone.
func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || s.token == "" {
		return false
	}
	// Hashing first makes the comparison independent of the lengths.
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(s.token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// handleHealth answers 200 "ok" while the database answers, else 503.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.writeError(w, r, http.StatusMethodNotAllowed, hresult.New(hresult.BadRequest, "/healthz needs GET"))
		return
	}
	if err := s.ledger.Ping(r.Context()); err != nil {
		s.writeError(w, r, http.StatusServiceUnavailable, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// errBodyTooLarge marks a body over MaxBodySize.
var errBodyTooLarge = hresult.Newf(hresult.BadRequest, "request body is larger than %d bytes", MaxBodySize)

// errMediaType marks a body that is not JSON.
var errMediaType = hresult.New(hresult.BadRequest, "request body must be JSON (Content-Type: application/json)")

// decode reads the request body strictly into v: JSON content type, at
// most MaxBodySize bytes, one value, no unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errMediaType
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errBodyTooLarge
		}
		return hresult.Wrap(hresult.BadRequest, err, "cannot read the request body")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return hresult.Newf(hresult.BadRequest, "request body is not valid JSON for this endpoint: %s", jsonReason(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return hresult.New(hresult.BadRequest, "request body has data after the JSON value")
	}
	return nil
}

func jsonReason(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "empty or truncated"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// statusOf is the HTTP status that goes with an error.
func statusOf(err error) int {
	switch {
	case err == errBodyTooLarge:
		return http.StatusRequestEntityTooLarge
	case err == errMediaType:
		return http.StatusUnsupportedMediaType
	}
	switch hresult.CodeOf(err) {
	case hresult.BadRequest, hresult.InvalidArg, hresult.InvalidKey, hresult.SKUNotFound:
		return http.StatusBadRequest
	case hresult.Unauthorized:
		return http.StatusUnauthorized
	case hresult.KeyNotFound, hresult.KeyBlocked, hresult.KeyExhausted, hresult.HostKeyLimit, hresult.ClockSkew:
		return http.StatusForbidden
	case hresult.ServiceFailure:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError sends err as a protocol.ErrorResponse with status (0 = from
// the error's code) and logs it. Database causes stay in the log.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status == 0 {
		status = statusOf(err)
	}
	e := hresult.From(err)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "request refused", "path", r.URL.Path, "status", status, "code", e.Code.String(), "error", e.Error())
	wire := e
	if e.Code == hresult.ServiceFailure && e.Err != nil {
		wire = hresult.New(e.Code, e.Msg).WithHint(e.Hint) // the cause stays in the log
	}
	writeJSON(w, status, protocol.ErrorFrom(wire))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data, _ = json.Marshal(protocol.ErrorFrom(err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)+1))
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// recorder remembers the status of an answer for logs and metrics.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// instrument records the duration and outcome of each request on route.
func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.observe(route, r.Method, rec.status, d)
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", d, "remote", r.RemoteAddr)
	})
}

// recoverer turns a panic into a 500 Internal answer: the service never
// dies of one bad request.
func (s *Server) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic while serving a request", "path", r.URL.Path, "panic", v)
				writeJSON(w, http.StatusInternalServerError, protocol.ErrorFrom(hresult.New(hresult.Internal, "internal error")))
			}
		}()
		h.ServeHTTP(w, r)
	})
}
