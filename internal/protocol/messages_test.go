package protocol

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/machineid"
)

func sampleRequest() ActivationRequest {
	return ActivationRequest{Version: Version, Kind: KindMAK, SKU: "suite-pro", Key: "BCDFG-HJKMP-QRTVW-XY234-6789B",
		HardwareID: "hw-1", CMID: "cmid-1", ClientTime: now, Nonce: "n1"}
}

func TestActivationRequestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *ActivationRequest)
		want string // empty: valid
	}{
		{"mak ok", func(r *ActivationRequest) {}, ""},
		{"kms ok", func(r *ActivationRequest) { r.Kind, r.Key, r.Group = KindKMS, "", "suite" }, ""},
		{"old version", func(r *ActivationRequest) { r.Version = 0 }, "protocol version 0"},
		{"bad kind", func(r *ActivationRequest) { r.Kind = "retail" }, `unknown kind "retail"`},
		{"mak without key", func(r *ActivationRequest) { r.Key = "" }, "no product key"},
		{"kms without cmid", func(r *ActivationRequest) { r.Kind, r.CMID = KindKMS, "" }, "CMID"},
		{"no nonce", func(r *ActivationRequest) { r.Nonce = "" }, "no nonce"},
		{"no time", func(r *ActivationRequest) { r.ClientTime = time.Time{} }, "no client time"},
		{"committed sources", func(r *ActivationRequest) { r.Sources, r.Nonce = committed(r.HardwareID, testSources()) }, ""},
		{"sources the nonce does not commit to", func(r *ActivationRequest) {
			r.Sources, r.Nonce = committed(r.HardwareID, testSources())
			r.Sources = []machineid.Source{{Name: "machine-id", Digests: []string{strings.Repeat("9", 32)}}}
		}, "not the ones its nonce commits to"},
		{"sources with an opaque nonce", func(r *ActivationRequest) { r.Sources = testSources() }, "not the ones its nonce commits to"},
		{"a malformed digest", func(r *ActivationRequest) {
			r.Sources = []machineid.Source{{Name: "machine-id", Digests: []string{"<script>"}}}
		}, "malformed identity source digest"},
		{"a source named twice", func(r *ActivationRequest) {
			src := testSources()[0]
			r.Sources, r.Nonce = committed(r.HardwareID, []machineid.Source{src, testSources()[1], src})
		}, `names identity source "machine-id" twice`},
		{"too many sources", func(r *ActivationRequest) {
			r.Sources = make([]machineid.Source, MaxSources+1)
		}, "identity sources (limit 16)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleRequest()
			tt.edit(&r)
			err := r.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			wantCode(t, err, hresult.BadRequest, tt.want)
		})
	}
}

func testSources() []machineid.Source {
	return []machineid.Source{{Name: "machine-id", Digests: []string{strings.Repeat("1", 32)}},
		{Name: "macs", Digests: []string{strings.Repeat("a", 32), strings.Repeat("b", 32)}}}
}

// committed returns sources with a nonce that commits to them.
func committed(hwid string, sources []machineid.Source) ([]machineid.Source, string) {
	n, err := machineid.Identity{HardwareID: hwid, Sources: sources}.Nonce()
	if err != nil {
		panic(err)
	}
	return sources, n
}

func TestHostActivationRequestValidate(t *testing.T) {
	ok := HostActivationRequest{Version: Version, HostKey: "K", HostID: "h", PublicKey: pub(testKey(5)), ClientTime: now, Nonce: "n"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	bad := ok
	bad.PublicKey = bad.PublicKey[:5]
	wantCode(t, bad.Validate(), hresult.BadRequest, "Ed25519 public key")
}

func TestErrorResponseRoundTrip(t *testing.T) {
	low := hresult.New(hresult.CountTooLow, "count 3 is below threshold 5").WithHint("wait for more clients")
	low.CurrentCount = 3
	tests := []struct {
		name      string
		err       error
		code      hresult.Code
		exit      int
		msg, hint string
		count     int
	}{
		{"count too low", fmt.Errorf("activate: %w", low), hresult.CountTooLow, hresult.ExitRefused, "count 3 is below threshold 5", "wait for more clients", 3},
		{"exhausted", hresult.New(hresult.KeyExhausted, "key ...6789B has no activations left"), hresult.KeyExhausted, hresult.ExitRefused, "key ...6789B has no activations left", "", -1},
		{"internal cause hidden", errors.New("pq: connection refused to 10.0.0.5"), hresult.Internal, hresult.ExitInternal, "internal error", "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := ErrorFrom(tt.err)
			if resp.Error.Code != tt.code.String() {
				t.Errorf("wire code = %q, want %q", resp.Error.Code, tt.code)
			}
			e := resp.Err()
			if e.Code != tt.code || e.Exit != tt.exit || e.Msg != tt.msg || e.Hint != tt.hint || e.CurrentCount != tt.count {
				t.Errorf("Err() = %+v", e)
			}
		})
	}
}

func TestErrorResponseFromUntrustedPeer(t *testing.T) {
	e := ErrorResponse{Error: ErrorBody{Code: "banana"}}.Err()
	if e.Code != hresult.ServiceFailure || !strings.Contains(e.Msg, `"banana"`) {
		t.Errorf("unreadable code: %+v", e)
	}
	e = ErrorResponse{Error: ErrorBody{Code: "0xC004C003", Message: "blocked\n\x1b[31mrun rm -rf"}}.Err()
	if e.Code != hresult.KeyBlocked || strings.ContainsAny(e.Msg, "\n\x1b") {
		t.Errorf("control characters kept: %+v", e)
	}
	if e = (ErrorResponse{Error: ErrorBody{Code: "0xC004C003", Message: strings.Repeat("x", 5000)}}.Err()); len(e.Msg) > 310 {
		t.Errorf("message not capped: %d bytes", len(e.Msg))
	}
}

func TestNewNonce(t *testing.T) {
	a, err := NewNonce()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewNonce()
	if len(a) != 22 || a == b {
		t.Errorf("nonces %q %q", a, b)
	}
}
