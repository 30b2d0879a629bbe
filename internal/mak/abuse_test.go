package mak

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/volact/volact/internal/abusetest"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/productkey"
)

// TestHostileHTTP points oversize bodies, garbage, requests in other
// content types, a slowloris client and 10,000 dropped connections at a
// serving service: it keeps answering, lets every connection go and
// spends no activation on any of it.
func TestHostileHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 10,000 connections and waits for the header timeout")
	}
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "suite-pro", 5)
	addr := abusetest.Serve(t, e.srv.Serve)
	valid, err := json.Marshal(makReq(key, "suite-pro", "after-abuse"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json-seq", "application/json; charset=\"", ""} {
		req := "POST /v1/activate HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(len(valid)) + "\r\n"
		if ct != "" {
			req += "Content-Type: " + ct + "\r\n"
		}
		if got := abusetest.Raw(t, addr, append([]byte(req+"\r\n"), valid...)); got != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: HTTP %d, want 415", ct, got)
		}
	}
	abusetest.Run(t, abusetest.Target{Addr: addr, Path: "/v1/activate", MaxBody: MaxBodySize,
		ReadHeaderTimeout: httpserve.ReadHeaderTimeout, Valid: valid})
	if st := e.remaining(key); st.Used != 1 {
		t.Errorf("after the abuse and one valid request: %d used, want 1", st.Used)
	}
	if strings.Contains(e.logs.String(), "panic") {
		t.Errorf("the service logged a panic:\n%s", e.logs.String())
	}
}
