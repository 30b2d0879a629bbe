// Package httpservetest holds the bad requests that the tests of both
// servers (internal/kms and internal/mak) send to their real HTTP
// endpoints, with the one answer the httpserve kit gives each of them, so
// that the two servers are shown to answer alike.
package httpservetest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
)

// Case is one bad request and the status both servers answer it with.
type Case struct {
	Name        string
	Method      string // "" = POST
	PathSuffix  string // appended to the endpoint's path
	ContentType string // "-" = none
	Body        []byte
	Status      int
}

// Cases are the bad requests for a JSON endpoint whose valid body is valid
// (a JSON object holding the string field field) and whose body cap is
// maxBody. Every answer is a protocol.ErrorResponse with code BadRequest.
func Cases(valid []byte, field string, maxBody int) []Case {
	if len(valid) < 2 || valid[0] != '{' || !bytes.Contains(valid, []byte(`"`+field+`":`)) {
		panic("httpservetest: valid must be a JSON object holding field " + field)
	}
	ct := "application/json"
	with := func(prefix, rest string) []byte { return []byte(prefix + rest) }
	upper := bytes.Replace(valid, []byte(`"`+field+`":`), []byte(`"`+strings.ToUpper(field)+`":`), 1)
	return []Case{
		{"duplicate key", "", "", ct, with(`{"`+field+`":"other",`, string(valid[1:])), http.StatusBadRequest},
		{"name in other case", "", "", ct, upper, http.StatusBadRequest},
		{"unknown field", "", "", ct, with(`{"evil":1,`, string(valid[1:])), http.StatusBadRequest},
		{"trailing garbage", "", "", ct, with(string(valid), " }"), http.StatusBadRequest},
		{"two values", "", "", ct, with(string(valid), string(valid)), http.StatusBadRequest},
		{"truncated", "", "", ct, valid[:len(valid)/2], http.StatusBadRequest},
		{"empty body", "", "", ct, nil, http.StatusBadRequest},
		{"not an object", "", "", ct, []byte(`[]`), http.StatusBadRequest},
		{"no content type", "", "", "-", valid, http.StatusUnsupportedMediaType},
		{"text/plain", "", "", "text/plain", valid, http.StatusUnsupportedMediaType},
		{"other charset", "", "", "application/json; charset=iso-8859-1", valid, http.StatusUnsupportedMediaType},
		{"oversize", "", "", ct, with(`{"`+field+`":"`, strings.Repeat("a", maxBody)+`"}`), http.StatusRequestEntityTooLarge},
		{"wrong method", http.MethodGet, "", "-", nil, http.StatusMethodNotAllowed},
		{"unknown endpoint", "", "/nope", ct, valid, http.StatusNotFound},
	}
}

// Run sends every case of [Cases] to url (a POST endpoint of a running
// server) with hc and fails t for any other status or for an answer that
// is not a protocol.ErrorResponse with code BadRequest. It also checks
// that valid sent as application/json; charset=utf-8 is not refused as
// malformed (the endpoint may still refuse it for what it says).
func Run(t *testing.T, hc *http.Client, url string, valid []byte, field string, maxBody int) {
	t.Helper()
	for _, c := range Cases(valid, field, maxBody) {
		t.Run(c.Name, func(t *testing.T) {
			method, ct := cmp.Or(c.Method, http.MethodPost), c.ContentType
			if ct == "-" {
				ct = ""
			}
			status, body := Send(t, hc, method, url+c.PathSuffix, ct, bytes.NewReader(c.Body))
			if status != c.Status {
				t.Fatalf("HTTP %d %s, want %d", status, body, c.Status)
			}
			var er protocol.ErrorResponse
			if err := json.Unmarshal(body, &er); err != nil || er.Error.Code != hresult.BadRequest.String() || er.Error.Message == "" {
				t.Fatalf("answer %s is not a BadRequest error", body)
			}
		})
	}
	t.Run("charset utf-8", func(t *testing.T) {
		status, body := Send(t, hc, http.MethodPost, url, "application/json; charset=utf-8", bytes.NewReader(valid))
		switch status {
		case http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusRequestEntityTooLarge:
			t.Fatalf("valid request with charset=utf-8: HTTP %d %s", status, body)
		}
	})
}

// Send sends body with method to url with content type ct (none when
// "") and returns the status and body of the answer, failing t when no
// answer comes.
func Send(t *testing.T, hc *http.Client, method, url, ct string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}
