package protocol

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

// FuzzOpen feeds arbitrary envelope documents to ParseEnvelope and Open.
// Only the seed's signed grant may ever be accepted, and then unchanged.
func FuzzOpen(f *testing.F) {
	root, svc := testKey(1), testKey(2)
	good, err := json.Marshal(seal(f, sampleGrant(), svc, certFor(f, root, svc, now)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"payload":"e30=","signature":"AAAA","certificate":"e30="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ParseEnvelope(data)
		if err != nil {
			if c := hresult.CodeOf(err); c != hresult.BadRequest {
				t.Fatalf("ParseEnvelope error code %v: %v", c, err)
			}
			return
		}
		var g Grant
		if _, err := Open(env, pub(root), now, &g); err != nil {
			if c := hresult.CodeOf(err); c != hresult.BadSignature {
				t.Fatalf("Open error code %v: %v", c, err)
			}
			return
		}
		if !reflect.DeepEqual(g, sampleGrant()) {
			t.Fatalf("Open accepted a grant nobody signed: %+v", g)
		}
	})
}

// FuzzDecodeText checks that DecodeText fails only with BadRequest and that
// whatever it accepts re-encodes to text that decodes to the same request.
func FuzzDecodeText(f *testing.F) {
	text, err := EncodeText(RequestPrefix, sampleRequest())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(text)
	f.Add(mangle(text))
	f.Add("VA1-e30")
	f.Fuzz(func(t *testing.T, s string) {
		var req ActivationRequest
		if err := DecodeText(RequestPrefix, s, &req); err != nil {
			if c := hresult.CodeOf(err); c != hresult.BadRequest {
				t.Fatalf("DecodeText error code %v: %v", c, err)
			}
			return
		}
		again, err := EncodeText(RequestPrefix, req)
		if err != nil {
			t.Fatalf("EncodeText: %v", err)
		}
		var back ActivationRequest
		if err := DecodeText(RequestPrefix, again, &back); err != nil {
			t.Fatalf("re-encoded text does not decode: %v", err)
		}
		a, _ := json.Marshal(req)
		b, _ := json.Marshal(back)
		if string(a) != string(b) {
			t.Fatalf("round trip changed the request:\n%s\n%s", a, b)
		}
	})
}

// FuzzOpenReceipt feeds arbitrary envelope documents, seeded with one
// that carries a receipt, to ParseEnvelope, Open and Tree: only the
// logged grant is accepted, failures are BadRequest or BadSignature.
func FuzzOpenReceipt(f *testing.F) {
	root, svc := testKey(1), testKey(2)
	cert := certFor(f, root, svc, now)
	m := memLog(f, svc, RoleService)
	logged(f, m, "first", cert)
	good, err := json.Marshal(logged(f, m, sampleGrant(), cert))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"payload":"e30=","receipt":{"index":0,"checkpoint":"","proof":[]},"certificate":"e30="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ParseEnvelope(data)
		if err != nil {
			if c := hresult.CodeOf(err); c != hresult.BadRequest {
				t.Fatalf("ParseEnvelope error code %v: %v", c, err)
			}
			return
		}
		var g Grant
		c, err := Open(env, pub(root), now, &g)
		if err != nil {
			if c := hresult.CodeOf(err); c != hresult.BadSignature {
				t.Fatalf("Open error code %v: %v", c, err)
			}
			return
		}
		if !reflect.DeepEqual(g, sampleGrant()) {
			t.Fatalf("Open accepted a grant nobody logged: %+v", g)
		}
		if _, err := Tree(env, c); err != nil {
			t.Fatalf("Tree refused what Open accepted: %v", err)
		}
	})
}
