package mak

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve/httpservetest"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

// TestSameAnswersAsHost sends the bad requests of httpservetest to the
// service's real HTTP endpoint: it answers each with the status the KMS
// host answers it with (internal/kms TestSameAnswersAsService), and so it
// does for a client clock off by more than 4 hours (403) and an unknown
// SKU (404). None of them spends an activation.
func TestSameAnswersAsHost(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "suite-pro", 5)
	valid := mustJSON(t, makReq(key, "suite-pro", "strict"))
	httpservetest.Run(t, e.ts.Client(), e.ts.URL+"/v1/activate", valid, "sku", MaxBodySize)

	skewed := makReq(key, "suite-pro", "skewed")
	skewed.ClientTime = now.Add(-5 * time.Hour)
	for _, c := range []struct {
		name   string
		req    protocol.ActivationRequest
		status int
		code   hresult.Code
	}{
		{"client clock 5h behind", skewed, http.StatusForbidden, hresult.ClockSkew},
		{"unknown SKU", makReq(key, "no-such-sku", "nosku"), http.StatusNotFound, hresult.SKUNotFound},
	} {
		_, status, herr := e.activate(c.req)
		if herr == nil || status != c.status || herr.Code != c.code {
			t.Errorf("%s: HTTP %d %v, want %d %s", c.name, status, herr, c.status, c.code)
		}
	}
	if st := e.remaining(key); st.Used != 1 { // the charset=utf-8 request is valid
		t.Errorf("after the bad requests: %+v, want 1 used", st)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
