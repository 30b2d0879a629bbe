package mak

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/pgtest"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

// TestMain stops the throwaway PostgreSQL server after the tests.
func TestMain(m *testing.M) { pgtest.Main(m) }

// now is the service's fixed clock in every test.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const testToken = "test-admin-token"

// testEnv is a running service on 127.0.0.1 with a fresh authority and
// ledger.
type testEnv struct {
	t    testing.TB
	auth *authority.Authority
	led  *ledger.Ledger
	srv  *Server
	ts   *httptest.Server
	logs *syncBuffer
}

// sqliteDSN returns a fresh SQLite database in a temp dir.
func sqliteDSN(tb testing.TB) string { return "sqlite:" + filepath.Join(tb.TempDir(), "service.db") }

// newEnv starts a service on the database dsn ("" = a fresh SQLite file).
func newEnv(tb testing.TB, dsn string) *testEnv {
	tb.Helper()
	if dsn == "" {
		dsn = sqliteDSN(tb)
	}
	a, err := authority.Init(filepath.Join(tb.TempDir(), "auth"), now)
	if err != nil {
		tb.Fatalf("authority.Init: %v", err)
	}
	l, err := ledger.Create(context.Background(), dsn, a.Fingerprint())
	if err != nil {
		tb.Fatalf("ledger.Create: %v", err)
	}
	tb.Cleanup(func() { l.Close() })
	logs := &syncBuffer{}
	s, err := New(a, l, Options{
		Now:        func() time.Time { return now },
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AdminToken: testToken,
	})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(ts.Close)
	return &testEnv{t: tb, auth: a, led: l, srv: s, ts: ts, logs: logs}
}

// mint makes a key of type t for sku with the test authority.
func (e *testEnv) mint(t productkey.Type, sku string, activations int) string {
	e.t.Helper()
	k, err := e.auth.Mint(t, sku, activations, 0)
	if err != nil {
		e.t.Fatalf("Mint: %v", err)
	}
	return k.String()
}

// makReq is a valid MAK activation request at the service's time.
func makReq(key, sku, hwid string) protocol.ActivationRequest {
	return protocol.ActivationRequest{
		Version: protocol.Version, Kind: protocol.KindMAK, SKU: sku, Key: key,
		HardwareID: hwid, CMID: "cmid-" + hwid, ClientTime: now, Nonce: "nonce-" + hwid,
	}
}

// do sends a raw request and returns the status and body.
func (e *testEnv) do(method, path, contentType, token string, body []byte) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, data
}

// post sends v as JSON.
func (e *testEnv) post(path, token string, v any) (int, []byte) {
	e.t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(http.MethodPost, path, "application/json", token, body)
}

// activate posts a MAK request and returns the verified grant, or the
// error answer as an *hresult.Error with the HTTP status.
func (e *testEnv) activate(req protocol.ActivationRequest) (protocol.Grant, int, *hresult.Error) {
	e.t.Helper()
	status, body := e.post("/v1/activate", "", req)
	if status != http.StatusOK {
		return protocol.Grant{}, status, errorOf(e.t, body)
	}
	return e.open(body), status, nil
}

// open verifies a grant envelope against the authority's root.
func (e *testEnv) open(body []byte) protocol.Grant {
	e.t.Helper()
	env, err := protocol.ParseEnvelope(body)
	if err != nil {
		e.t.Fatalf("answer is not an envelope: %v\n%s", err, body)
	}
	var g protocol.Grant
	cert, err := protocol.Open(env, e.auth.Public(), now, &g)
	if err != nil {
		e.t.Fatalf("envelope does not verify: %v", err)
	}
	if cert.Role != protocol.RoleService {
		e.t.Fatalf("grant signed by role %q, want %q", cert.Role, protocol.RoleService)
	}
	return g
}

// errorOf decodes an error answer.
func errorOf(tb testing.TB, body []byte) *hresult.Error {
	tb.Helper()
	var er protocol.ErrorResponse
	if err := json.Unmarshal(body, &er); err != nil || er.Error.Code == "" {
		tb.Fatalf("answer is not an ErrorResponse: %v\n%s", err, body)
	}
	return er.Err()
}

// wantRefused checks an error answer's status and code.
func wantRefused(tb testing.TB, status int, e *hresult.Error, wantStatus int, code hresult.Code) {
	tb.Helper()
	if e == nil {
		tb.Fatalf("request succeeded, want %v (HTTP %d)", code, wantStatus)
	}
	if status != wantStatus || e.Code != code {
		tb.Fatalf("got HTTP %d %v (%s), want HTTP %d %v", status, e.Code, e.Msg, wantStatus, code)
	}
}

// remaining reads a key's count from the ledger through the Admin.
func (e *testEnv) remaining(key string) KeyStatus {
	e.t.Helper()
	st, err := e.srv.admin.Remaining(context.Background(), key)
	if err != nil {
		e.t.Fatalf("Remaining: %v", err)
	}
	return st
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
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

// noKeyIn fails if any of keys appears in text, in any case or spacing.
func noKeyIn(tb testing.TB, what, text string, keys ...string) {
	tb.Helper()
	flat := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(text))
	for _, k := range keys {
		if strings.Contains(flat, strings.ReplaceAll(k, "-", "")) {
			tb.Errorf("%s contains the full key ...%s", what, k[len(k)-5:])
		}
	}
}
