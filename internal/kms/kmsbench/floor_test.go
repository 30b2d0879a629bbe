package kmsbench_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmsbench"
	"github.com/volact/volact/internal/protocol"
)

func TestFloor(t *testing.T) {
	now := time.Now().UTC()
	good, _ := json.Marshal(protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindKMS, SKU: "suite-pro",
		HardwareID: "hw-c1", CMID: "c1", ClientTime: now, Nonce: "n-c1"})
	for _, tc := range []struct {
		name   string
		noSign bool
		method string
		body   string
		status int
		signed bool
		want   string // in the body of an error answer
	}{
		{"signed floor grants", false, "POST", string(good), 200, true, ""},
		{"unsigned floor grants without a signature", true, "POST", string(good), 200, false, ""},
		{"signed floor refuses bad JSON", false, "POST", "{", 400, false, "not valid JSON"},
		{"unsigned floor refuses bad JSON", true, "POST", "{", 400, false, "not valid JSON"},
		{"unsigned floor refuses unknown fields", true, "POST", `{"evil":1}`, 400, false, "not valid JSON"},
		{"unsigned floor refuses trailing data", true, "POST", string(good) + "{}", 400, false, "after the JSON"},
		{"unsigned floor refuses an oversize body", true, "POST", `{"sku":"` + strings.Repeat("a", 20000) + `"}`, 413, false, "larger than"},
		{"only POST", true, "GET", "", 405, false, ""},
		{"only JSON", true, "POST", string(good), 415, false, "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := kmsbench.FloorHandler(kmsbench.FloorOptions{Issuer: "kms1", NoSign: tc.noSign})
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			r := httptest.NewRequest(tc.method, "/v1/kms/activate", bytes.NewReader([]byte(tc.body)))
			if tc.status != http.StatusUnsupportedMediaType {
				r.Header.Set("Content-Type", "application/json")
			}
			h.ServeHTTP(w, r)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
				t.Fatalf("got %d %s, want %d containing %q", w.Code, w.Body, tc.status, tc.want)
			}
			if w.Code != http.StatusOK {
				return
			}
			var env protocol.Envelope
			if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
				t.Fatalf("answer is not an envelope: %v: %s", err, w.Body)
			}
			if got := env.Signature != ""; got != tc.signed {
				t.Fatalf("signature %q, want signed: %v", env.Signature, tc.signed)
			}
			if env.Certificate == "" {
				t.Fatal("no certificate: the floors answer one of the same size")
			}
			payload, err := base64.StdEncoding.DecodeString(env.Payload)
			if err != nil {
				t.Fatal(err)
			}
			var g protocol.Grant
			if err := json.Unmarshal(payload, &g); err != nil {
				t.Fatal(err)
			}
			if g.Kind != protocol.KindKMS || g.CMID != "c1" || g.HardwareID != "hw-c1" || g.Nonce != "n-c1" || g.Issuer != "kms1" ||
				g.ExpiresAt.Sub(g.IssuedAt) != kms.Validity || g.CurrentCount == 0 {
				t.Fatalf("grant %+v does not answer the request as the host would", g)
			}
		})
	}
}
