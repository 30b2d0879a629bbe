package jsonstrict

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// fuzzDoc is the target of FuzzDecode: a nested struct, a slice and a map.
type fuzzDoc struct {
	SKU   string            `json:"sku"`
	Count int               `json:"count,omitempty"`
	In    *fuzzInner        `json:"in,omitempty"`
	List  []fuzzInner       `json:"list"`
	Tags  map[string]string `json:"tags"`
}

type fuzzInner struct {
	Kind string `json:"k"`
}

// FuzzDecode feeds arbitrary documents to Decode. It must never panic;
// whatever it accepts encoding/json (with unknown fields refused) reads
// the same way, every object key in it is spelled exactly as a field's
// JSON name and occurs once, and the value survives a round trip.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"sku":"suite-pro","count":2,"in":{"k":"a"},"list":[{"k":"b"}],"tags":{"a":"1","A":"2"}}`,
		`{"sku":"a","sku":"b"}`, `{"SKU":"a"}`, `{"sku":"a","in":{"K":"x"}}`, `{"\u212a":1}`,
		`{"sku":"a"} {}`, `{"sku":"a","x":1}`, `[]`, `null`, ``, `{"tags":{"a":"1","a":"2"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got fuzzDoc
		if err := Decode(data, &got); err != nil {
			_ = Reason(err)
			return
		}
		var std fuzzDoc
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&std); err != nil || !reflect.DeepEqual(got, std) {
			t.Fatalf("Decode accepted %q as %+v; encoding/json: %+v, %v", data, got, std, err)
		}
		checkExactKeys(t, data, map[string]bool{"sku": true, "count": true, "in": true, "list": true, "tags": true})
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) == nil {
			if in, ok := obj["in"]; ok {
				checkExactKeys(t, in, map[string]bool{"k": true})
			}
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var back fuzzDoc
		if err := Decode(again, &back); err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("round trip of %s: %+v, %v", again, back, err)
		}
	})
}

// checkExactKeys fails t if data is an object with a key outside names or
// a key given twice. Anything else passes.
func checkExactKeys(t *testing.T, data []byte, names map[string]bool) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		if !names[key] || seen[key] {
			t.Fatalf("Decode accepted %q with key %q (duplicate: %v)", data, key, seen[key])
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
}
