package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/httpserve/httpservetest"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/protocol"
)

// TestStrictRequests sends the same bad requests (duplicate keys, a field
// name in another case, unknown fields, trailing data, no or another
// Content-Type, oversize bodies) to real `volactd kms serve` and `volactd
// mak serve` processes: both refuse each with the same status (400, 413 or
// 415) and a BadRequest error body.
func TestStrictRequests(t *testing.T) {
	now := time.Now().UTC()
	hc := &http.Client{Timeout: 10 * time.Second}

	t.Run("kms serve", func(t *testing.T) {
		dir := kmstest.ActivatedDir(t, kmstest.Authority(t, now), now, "server-std")
		p := startServe(t, []string{"NO_COLOR=1"}, "kms", "serve", "--data", dir, "--listen", "127.0.0.1:0")
		valid, err := json.Marshal(kmsRequest("strict-1"))
		if err != nil {
			t.Fatal(err)
		}
		httpservetest.Run(t, hc, "http://"+p.addr+"/v1/kms/activate", valid, "sku", kms.MaxRequestBody)
	})

	t.Run("mak serve", func(t *testing.T) {
		s := newMakSetup(t, "", 5)
		p := s.serve(t)
		valid, err := json.Marshal(protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindMAK,
			SKU: "workstation-ent", Key: s.key, HardwareID: "hw-strict", ClientTime: now, Nonce: "n-strict"})
		if err != nil {
			t.Fatal(err)
		}
		httpservetest.Run(t, hc, strings.TrimSuffix(p.addr, "/")+"/v1/activate", valid, "sku", mak.MaxBodySize)
	})
}
