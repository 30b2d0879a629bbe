package httpserve_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/httpserve/httpservetest"
	"github.com/volact/volact/internal/protocol"
)

// echoReq is what the test server's POST /echo decodes.
type echoReq struct {
	SKU   string     `json:"sku"`
	Count int        `json:"count,omitempty"`
	In    *echoInner `json:"in,omitempty"`
}

type echoInner struct {
	Kind string `json:"kind"`
}

// testMaxBody is the body cap of the test server.
const testMaxBody = 1 << 10

// newEchoServer serves a Router with POST /echo on 127.0.0.1.
func newEchoServer(t *testing.T, o httpserve.Options) *httptest.Server {
	t.Helper()
	rt := httpserve.NewRouter(o)
	rt.HandleJSON(http.MethodPost, "/echo", func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req echoReq
		if err := httpserve.DecodeJSON(w, r, testMaxBody, &req); err != nil {
			return nil, err
		}
		return req, nil
	})
	ts := httptest.NewServer(rt)
	t.Cleanup(ts.Close)
	return ts
}

// errorOf decodes an error answer, failing t unless it is one.
func errorOf(t *testing.T, body []byte) protocol.ErrorBody {
	t.Helper()
	var er protocol.ErrorResponse
	if err := json.Unmarshal(body, &er); err != nil || er.Error.Code == "" || er.Error.Message == "" {
		t.Fatalf("not a protocol.ErrorResponse: %s", body)
	}
	return er.Error
}

func TestDecodeJSON(t *testing.T) {
	ts := newEchoServer(t, httpserve.Options{})
	const ok = `{"sku":"suite-pro","count":2,"in":{"kind":"kms"}}`
	tests := []struct {
		name, ctype, body string
		chunked           bool
		status            int
		want              string // substring of the answer
	}{
		{"valid", "application/json", ok, false, 200, `"sku":"suite-pro"`},
		{"charset utf-8", "application/json; charset=utf-8", ok, false, 200, `"count":2`},
		{"charset UTF-8, type in capitals", "Application/JSON; Charset=\"UTF-8\"", ok, false, 200, `"kind":"kms"`},
		{"duplicate key", "application/json", `{"sku":"a","sku":"b"}`, false, 400, `duplicate key \"sku\"`},
		{"duplicate key, escaped", "application/json", `{"sku":"a","\u0073ku":"b"}`, false, 400, `duplicate key \"sku\"`},
		{"duplicate key, nested", "application/json", `{"sku":"a","in":{"kind":"x","kind":"y"}}`, false, 400, `duplicate key \"kind\"`},
		{"name in other case", "application/json", `{"SKU":"a"}`, false, 400, `field \"SKU\" differs in case from \"sku\"`},
		{"both cases", "application/json", `{"sku":"a","Sku":"b"}`, false, 400, `differs in case`},
		{"nested name in other case", "application/json", `{"sku":"a","in":{"Kind":"x"}}`, false, 400, `field \"Kind\" differs in case from \"kind\"`},
		{"kelvin sign for k", "application/json", `{"sku":"a","in":{"\u212aind":"x"}}`, false, 400, `differs in case from \"kind\"`},
		{"unknown field", "application/json", `{"sku":"a","evil":1}`, false, 400, `unknown field \"evil\"`},
		{"trailing garbage", "application/json", ok + ` }`, false, 400, "unexpected data after the JSON value"},
		{"second value", "application/json", ok + ok, false, 400, "unexpected data after the JSON value"},
		{"empty body", "application/json", ``, false, 400, "empty or truncated"},
		{"truncated", "application/json", ok[:20], false, 400, "empty or truncated"},
		{"wrong type", "application/json", `{"count":"2"}`, false, 400, "cannot unmarshal"},
		{"no content type", "", ok, false, 415, "must be JSON"},
		{"text/plain", "text/plain", ok, false, 415, "must be JSON"},
		{"form", "application/x-www-form-urlencoded", ok, false, 415, "must be JSON"},
		{"json-seq", "application/json-seq", ok, false, 415, "must be JSON"},
		{"other charset", "application/json; charset=latin1", ok, false, 415, "must be JSON"},
		{"other parameter", "application/json; profile=x", ok, false, 415, "must be JSON"},
		{"broken parameter", "application/json; charset=\"", ok, false, 415, "must be JSON"},
		{"oversize", "application/json", `{"sku":"` + strings.Repeat("a", testMaxBody) + `"}`, false, 413, "larger than 1024 bytes"},
		{"oversize, chunked", "application/json", `{"sku":"` + strings.Repeat("a", testMaxBody) + `"}`, true, 413, "larger than 1024 bytes"},
		{"unknown field name is clipped", "application/json", `{"` + strings.Repeat("x", 500) + `":1}`, false, 400, "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // unknown length: sent chunked
			}
			status, data := httpservetest.Send(t, ts.Client(), http.MethodPost, ts.URL+"/echo", tt.ctype, body)
			if status != tt.status || !bytes.Contains(data, []byte(tt.want)) {
				t.Fatalf("HTTP %d %s, want %d containing %s", status, data, tt.status, tt.want)
			}
			if status == 200 {
				return
			}
			if e := errorOf(t, data); e.Code != hresult.BadRequest.String() {
				t.Errorf("code %s, want %s", e.Code, hresult.BadRequest)
			}
			if len(data) > 600 {
				t.Errorf("answer of %d bytes echoes the request", len(data))
			}
		})
	}
}

// TestDecodeJSONDefaultCap checks the cap when a server names none.
func TestDecodeJSONDefaultCap(t *testing.T) {
	for _, n := range []int{httpserve.DefaultMaxBody - 20, httpserve.DefaultMaxBody + 1} {
		body := `{"sku":"` + strings.Repeat("a", n-10) + `"}`
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var v echoReq
		err := httpserve.DecodeJSON(httptest.NewRecorder(), r, 0, &v)
		if tooBig := len(body) > httpserve.DefaultMaxBody; tooBig != (err != nil) || (tooBig && httpserve.StatusOf(err) != 413) {
			t.Errorf("body of %d bytes: %v", len(body), err)
		}
	}
}
