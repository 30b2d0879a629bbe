package kms_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve/httpservetest"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/protocol"
)

// TestSameAnswersAsService sends the bad requests of httpservetest to the
// host's real HTTP endpoint: it answers each with the status the
// activation service answers it with (internal/mak TestSameAnswersAsHost),
// and so it does for a client clock off by more than 4 hours (403) and an
// unknown SKU (404).
func TestSameAnswersAsService(t *testing.T) {
	f := newFixture(t)
	ts := httptest.NewServer(f.h.Handler(nil))
	defer ts.Close()
	url := ts.URL + "/v1/kms/activate"
	valid, err := json.Marshal(req("strict", "suite-pro", t0))
	if err != nil {
		t.Fatal(err)
	}
	httpservetest.Run(t, ts.Client(), url, valid, "sku", kms.MaxRequestBody)

	for _, c := range []struct {
		name   string
		req    protocol.ActivationRequest
		status int
		code   hresult.Code
	}{
		{"client clock 5h behind", req("skewed", "suite-pro", t0.Add(-5*time.Hour)), 403, hresult.ClockSkew},
		{"unknown SKU", req("nosku", "no-such-sku", t0), 404, hresult.SKUNotFound},
	} {
		body, _ := json.Marshal(c.req)
		resp, err := ts.Client().Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var er protocol.ErrorResponse
		err = json.NewDecoder(resp.Body).Decode(&er)
		resp.Body.Close()
		if err != nil || resp.StatusCode != c.status || er.Error.Code != c.code.String() {
			t.Errorf("%s: HTTP %d %+v, want %d %s", c.name, resp.StatusCode, er, c.status, c.code)
		}
	}
}
