package httpserve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/httpserve/httpservetest"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog/tlogverify"
	"golang.org/x/mod/sumdb/tlog"
)

func TestStatusTable(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{hresult.New(hresult.BadRequest, ""), 400},
		{hresult.New(hresult.InvalidArg, ""), 400},
		{hresult.New(hresult.InvalidKey, ""), 400},
		{hresult.New(hresult.Unauthorized, ""), 401},
		{hresult.New(hresult.KeyNotFound, ""), 403},
		{hresult.New(hresult.KeyBlocked, ""), 403},
		{hresult.New(hresult.KeyExhausted, ""), 403},
		{hresult.New(hresult.HostKeyLimit, ""), 403},
		{hresult.New(hresult.KMSHostKeyRefused, ""), 403},
		{hresult.New(hresult.ClockSkew, ""), 403},
		{hresult.New(hresult.SKUNotFound, ""), 404},
		{hresult.New(hresult.CountTooLow, ""), 409},
		{hresult.New(hresult.ServiceFailure, ""), 503},
		{hresult.New(hresult.KeyNotInstalled, ""), 503},
		{hresult.New(hresult.NoCatalog, ""), 503},
		{hresult.New(hresult.Internal, ""), 500},
		{hresult.New(hresult.StoreTampered, ""), 500}, // a client-side code
		{errors.New("plain"), 500},
		{httpserve.WithStatus(404, hresult.New(hresult.ServiceFailure, "")), 404},
		{httpserve.WithStatus(413, hresult.New(hresult.BadRequest, "")), 413},
	}
	for _, tt := range tests {
		if got := httpserve.StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v %v) = %d, want %d", hresult.CodeOf(tt.err), tt.err, got, tt.want)
		}
	}
	if httpserve.Status(hresult.OK) != 200 {
		t.Error("OK is not 200")
	}
}

// syncBuffer is a bytes.Buffer for a logger shared by handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRouter(t *testing.T) {
	logs := &syncBuffer{}
	m := httpserve.NewMetrics("test")
	var down atomic.Bool
	rt := httpserve.NewRouter(httpserve.Options{
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: m,
		Guard: func(r *http.Request) error {
			if r.Header.Get("X-Refuse") != "" {
				return httpserve.WithStatus(http.StatusForbidden, hresult.New(hresult.ServiceFailure, "not from there"))
			}
			return nil
		},
	})
	rt.Health(func(context.Context) (any, error) {
		if down.Load() {
			return nil, hresult.Wrap(hresult.ServiceFailure, errors.New("database /secret/path is gone"), "the database does not answer")
		}
		return nil, nil
	})
	rt.HandleJSON(http.MethodGet, "/status", func(http.ResponseWriter, *http.Request) (any, error) {
		return map[string]string{"status": "ok"}, nil
	})
	rt.HandleJSON(http.MethodPost, "/fail", func(http.ResponseWriter, *http.Request) (any, error) {
		return nil, hresult.Wrap(hresult.ServiceFailure, errors.New("disk /secret/path full"), "cannot store")
	})
	rt.HandleJSON(http.MethodPost, "/refuse", func(http.ResponseWriter, *http.Request) (any, error) {
		return nil, hresult.New(hresult.KeyExhausted, "no activations left").WithHint("buy more")
	})
	rt.Handle(http.MethodPost, "/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	ts := httptest.NewServer(rt)
	defer ts.Close()

	tests := []struct {
		name, method, path, header string
		status                     int
		code                       hresult.Code // 0: not an error answer
		want, wantNot              string
	}{
		{"health", "GET", "/healthz", "", 200, 0, "ok\n", ""},
		{"health HEAD", "HEAD", "/healthz", "", 200, 0, "", ""},
		{"JSON value", "GET", "/status", "", 200, 0, `{"status":"ok"}` + "\n", ""},
		{"unknown path", "GET", "/nope", "", 404, hresult.BadRequest, "no such endpoint /nope", ""},
		{"wrong method", "POST", "/status", "", 405, hresult.BadRequest, "/status needs GET, not POST", ""},
		{"wrong method on POST route", "GET", "/refuse", "", 405, hresult.BadRequest, "needs POST", ""},
		{"refusal", "POST", "/refuse", "", 403, hresult.KeyExhausted, `"hint":"buy more"`, ""},
		{"failure hides its cause", "POST", "/fail", "", 503, hresult.ServiceFailure, "cannot store", "/secret/path"},
		{"panic", "POST", "/panic", "", 500, hresult.Internal, "internal error", "boom"},
		{"guard", "GET", "/healthz", "yes", 403, hresult.ServiceFailure, "not from there", ""},
		{"metrics", "GET", "/metrics", "", 200, 0, `volact_test_request_duration_seconds_count{method="POST",route="/refuse",status="403"} 1`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			if tt.header != "" {
				req.Header.Set("X-Refuse", tt.header)
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(body.String(), tt.want) ||
				(tt.wantNot != "" && strings.Contains(body.String(), tt.wantNot)) {
				t.Fatalf("HTTP %d %q, want %d containing %q", resp.StatusCode, body.String(), tt.status, tt.want)
			}
			if tt.code != 0 {
				if e := errorOf(t, body.Bytes()); e.Code != tt.code.String() {
					t.Errorf("code %s, want %s", e.Code, tt.code)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
			}
			if tt.status == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	down.Store(true)
	status, body := httpservetest.Send(t, ts.Client(), "GET", ts.URL+"/healthz", "", nil)
	if e := errorOf(t, body); status != 503 || e.Code != hresult.ServiceFailure.String() || strings.Contains(e.Message, "secret") {
		t.Errorf("health with the database down: HTTP %d %s", status, body)
	}
	out := logs.String()
	for _, want := range []string{"level=ERROR msg=\"panic while serving a request\"", "level=INFO msg=\"request refused\" path=/refuse status=403 code=0xC004C020",
		"disk /secret/path full", "level=DEBUG msg=request method=POST path=/refuse status=403"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestRefusedLevel checks that a server can move 4xx lines out of its
// default log.
func TestRefusedLevel(t *testing.T) {
	logs := &syncBuffer{}
	ts := newEchoServer(t, httpserve.Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), RefusedLevel: slog.LevelDebug})
	if status, _ := httpservetest.Send(t, ts.Client(), "POST", ts.URL+"/echo", "text/plain", strings.NewReader("{}")); status != 415 {
		t.Fatalf("HTTP %d", status)
	}
	if logs.String() != "" {
		t.Errorf("a 4xx answer was logged at info: %s", logs.String())
	}
}

func TestWriteJSONEnvelope(t *testing.T) {
	for _, env := range []protocol.Envelope{
		{Payload: "eyJraW5kIjoia21zIn0=", Signature: "ab+/cd==", Certificate: "e30-_"},
		{Payload: `quote " and <tag>`, Signature: "\u2028", Certificate: ""},
		{Payload: "eyJ9", Receipt: &tlogverify.Receipt{Index: 7, Checkpoint: []byte("origin\n8\nhash\n\n— sig\n"),
			Proof: tlog.RecordProof{{1}, {2, 3}}}, Consistency: &protocol.Consistency{From: 3, Proof: tlog.TreeProof{}}, Certificate: "e30="},
		{Payload: "eyJ9", Receipt: &tlogverify.Receipt{}, Consistency: &protocol.Consistency{Proof: tlog.TreeProof{{9}}}, Certificate: "e30="},
	} {
		want, _ := json.Marshal(env)
		want = append(want, '\n')
		for _, v := range []any{env, &env} {
			w := httptest.NewRecorder()
			httpserve.WriteJSON(w, http.StatusOK, v)
			if !bytes.Equal(w.Body.Bytes(), want) || w.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
				t.Errorf("WriteJSON(%T) = %s, want %s", v, w.Body.Bytes(), want)
			}
		}
	}
	w := httptest.NewRecorder()
	httpserve.WriteJSON(w, http.StatusOK, func() {})
	if w.Code != 500 || errorOf(t, w.Body.Bytes()).Code != hresult.Internal.String() {
		t.Errorf("unencodable value: HTTP %d %s", w.Code, w.Body)
	}
}
