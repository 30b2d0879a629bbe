package kms_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/protocol"
)

func TestHandler(t *testing.T) {
	f := newFixture(t)
	good, _ := json.Marshal(req("c1", "suite-pro", t0))
	skewed, _ := json.Marshal(req("c9", "suite-pro", t0.Add(-5*time.Hour)))
	byDefault := f.h.Handler(nil) // one handler, so that /metrics sees the requests before it
	handler := func(allow []netip.Prefix) http.Handler {
		if allow == nil {
			return byDefault
		}
		return f.h.Handler(allow)
	}
	custom, err := kms.ParseAllow("203.0.113.0/24, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		allow  []netip.Prefix
		remote string
		method string
		path   string
		body   string
		status int
		want   string
	}{
		{"loopback", nil, "127.0.0.1:5000", "POST", "/v1/kms/activate", string(good), 409, "0xC004F038"},
		{"rfc1918", nil, "10.1.2.3:5000", "POST", "/v1/kms/activate", string(good), 409, `"current_count":1`},
		{"ula v6", nil, "[fd00::1]:5000", "GET", "/healthz", "", 200, `"suite"`},
		{"link-local v6", nil, "[fe80::1%eth0]:5000", "GET", "/healthz", "", 200, "ok"},
		{"internet refused", nil, "203.0.113.5:5000", "POST", "/v1/kms/activate", string(good), 403, "only loopback and private networks"},
		{"v4-mapped internet refused", nil, "[::ffff:8.8.8.8]:5000", "GET", "/healthz", "", 403, "8.8.8.8"},
		{"--allow admits", custom, "203.0.113.5:5000", "GET", "/healthz", "", 200, "ok"},
		{"--allow narrows", custom, "127.0.0.1:5000", "GET", "/healthz", "", 403, "127.0.0.1: it is not in the networks given with --allow"},
		{"--allow single address", custom, "192.0.2.7:1", "GET", "/healthz", "", 200, "ok"},
		{"bad json", nil, "127.0.0.1:1", "POST", "/v1/kms/activate", "{", 400, "0xE0560009"},
		{"unknown field", nil, "127.0.0.1:1", "POST", "/v1/kms/activate", `{"evil":1}`, 400, "not valid JSON"},
		{"trailing data", nil, "127.0.0.1:1", "POST", "/v1/kms/activate", string(good) + "{}", 400, "after the JSON"},
		{"oversize", nil, "127.0.0.1:1", "POST", "/v1/kms/activate", `{"sku":"` + strings.Repeat("a", 20000) + `"}`, 413, "larger than"},
		{"unknown group", nil, "127.0.0.1:1", "POST", "/v1/kms/activate", strings.Replace(string(good), "suite-pro", "server-std", 1), 404, "does not serve group server"},
		{"wrong method", nil, "127.0.0.1:1", "GET", "/v1/kms/activate", "", 405, ""},
		{"unknown path", nil, "127.0.0.1:1", "POST", "/v1/kms/activatex", string(good), 404, "no such endpoint"},
		{"no content type", nil, "127.0.0.1:1", "POST", "/v1/kms/activate", "!" + string(good), 415, "must be JSON"},
		{"duplicate key", nil, "127.0.0.1:1", "POST", "/v1/kms/activate", `{"sku":"server-std",` + string(good[1:]), 400, "duplicate key"},
		{"name in other case", nil, "127.0.0.1:1", "POST", "/v1/kms/activate", strings.Replace(string(good), `"sku"`, `"SKU"`, 1), 400, "differs in case"},
		{"clock skew", nil, "127.0.0.1:1", "POST", "/v1/kms/activate", string(skewed), 403, "0xC004F06C"},
		{"metrics", nil, "127.0.0.1:1", "GET", "/metrics", "", 200, `volact_kms_current_count{group="suite"} 1`},
		{"request histogram", nil, "127.0.0.1:1", "GET", "/metrics", "", 200, `volact_kms_request_duration_seconds_count{method="POST",route="/v1/kms/activate",status="409"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ctype := strings.CutPrefix(tc.body, "!") // "!": send no Content-Type
			r := httptest.NewRequest(tc.method, tc.path, bytes.NewReader([]byte(body)))
			if tc.method == "POST" && !ctype {
				r.Header.Set("Content-Type", "application/json")
			}
			r.RemoteAddr = tc.remote
			w := httptest.NewRecorder()
			handler(tc.allow).ServeHTTP(w, r)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
				t.Fatalf("got %d %s, want %d containing %q", w.Code, w.Body, tc.status, tc.want)
			}
			if w.Code >= 400 && w.Code != 405 {
				var er protocol.ErrorResponse
				if err := json.Unmarshal(w.Body.Bytes(), &er); err != nil || er.Error.Code == "" || er.Error.Message == "" {
					t.Fatalf("error answer is not an ErrorResponse: %s", w.Body)
				}
			}
		})
	}
	if _, err := kms.ParseAllow("10.0.0.0/33"); err == nil {
		t.Error("bad CIDR accepted")
	}
}

func TestHistoryExport(t *testing.T) {
	f := newFixture(t)
	f.activate(t, "c1", "suite-pro")
	f.activate(t, "c2", "nope")
	var csv, js bytes.Buffer
	if err := kms.WriteHistory(&csv, f.dir, "csv", t0); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	// The refused request (an unknown SKU) is a counter, not a history row.
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "time,cmid,group,sku,result,count") ||
		!strings.Contains(lines[1], ",c1,suite,suite-pro,0xC004F038,1,") {
		t.Fatalf("csv history:\n%s", csv.String())
	}
	st, err := kms.ReadStatus(f.dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	want := []kms.RefusedCount{{Day: t0.Format(time.DateOnly), Reason: kms.RefusedUnknownProduct, Count: 1}}
	if !slices.Equal(st.Refused, want) {
		t.Fatalf("refused = %+v, want %+v", st.Refused, want)
	}
	if err := kms.WriteHistory(&js, f.dir, "json", t0.Add(1)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"history": []`) {
		t.Fatalf("--since after every row still returned rows: %s", js.String())
	}
	if err := kms.WriteHistory(&js, f.dir, "xml", t0); err == nil {
		t.Fatal("unknown format accepted")
	}
}
