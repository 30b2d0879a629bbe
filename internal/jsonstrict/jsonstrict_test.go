package jsonstrict

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type point struct {
	X int `json:"x"`
	Y int `json:"y"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		want       point
		wantReason string // "" = success; else a substring of Reason(err)
	}{
		{name: "valid", data: `{"x": 1, "y": 2}`, want: point{1, 2}},
		{name: "surrounding space", data: " \n{\"x\": 1}\n ", want: point{X: 1}},
		{name: "unknown field", data: `{"x": 1, "z": 3}`, wantReason: `unknown field "z"`},
		{name: "trailing value", data: `{"x": 1} {"y": 2}`, wantReason: "unexpected data after the JSON value"},
		{name: "trailing garbage", data: `{"x": 1} }`, wantReason: "unexpected data after the JSON value"},
		{name: "empty", data: ``, wantReason: "the document is empty or truncated"},
		{name: "only space", data: "  \n", wantReason: "the document is empty or truncated"},
		{name: "truncated", data: `{"x": 1,`, wantReason: "the document is empty or truncated"},
		{name: "wrong type", data: `{"x": "one"}`, wantReason: "cannot unmarshal string"},
		{name: "syntax error", data: `{x: 1}`, wantReason: "invalid character"},
		{name: "duplicate key", data: `{"x": 1, "x": 2}`, wantReason: `duplicate key "x"`},
		{name: "duplicate key escaped", data: `{"x": 1, "\u0078": 2}`, wantReason: `duplicate key "x"`},
		{name: "upper-case name", data: `{"X": 1}`, wantReason: `field "X" differs in case from "x"`},
		{name: "both cases", data: `{"x": 1, "X": 2}`, wantReason: `field "X" differs in case`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got point
			err := Decode([]byte(tt.data), &got)
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("Decode(%q) = %v", tt.data, err)
				}
				if got != tt.want {
					t.Errorf("Decode(%q) gave %+v, want %+v", tt.data, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Decode(%q) succeeded with %+v, want an error", tt.data, got)
			}
			r := Reason(err)
			if !strings.Contains(r, tt.wantReason) || strings.HasPrefix(r, "json:") {
				t.Errorf("Reason = %q, want it to contain %q and not start with json:", r, tt.wantReason)
			}
		})
	}
}

// nested has the shapes whose keys Decode checks: promoted fields, a
// pointer, slices, maps, an interface and a custom unmarshaler.
type nested struct {
	inner
	P     *point           `json:"p"`
	List  []point          `json:"list"`
	ByID  map[string]point `json:"by_id"`
	Any   any              `json:"any"`
	Raw   json.RawMessage  `json:"raw"`
	When  time.Time        `json:"when"`
	Plain string           // no tag: the Go name
	Skip  string           `json:"-"`
	//lint:ignore SA5008 a malformed tag on purpose: the decoder must fall back to the Go name
	Bad  string            `json:"b\"ad"` // not a valid tag name: the Go name
	More map[string]string `json:"more,omitempty"`
}

type inner struct {
	Kelvin string `json:"k"`
}

func TestDecodeKeysNested(t *testing.T) {
	tests := []struct {
		name, data, wantReason string
	}{
		{"valid", `{"k":"a","p":{"x":1},"list":[{"y":2}],"by_id":{"A":{"x":1},"a":{"y":1}},"any":{"X":1,"x":2},"raw":{"Q":1},"when":"2026-01-01T00:00:00Z","Plain":"p","Bad":"b"}`, ""},
		{"promoted field case", `{"K":"a"}`, `field "K" differs in case from "k"`},
		{"kelvin sign folds to k", `{"\u212a":"a"}`, `differs in case from "k"`},
		{"pointer field case", `{"p":{"Y":1}}`, `field "Y" differs in case from "y"`},
		{"slice element case", `{"list":[{"x":1},{"x":1,"Y":2}]}`, `field "Y" differs in case`},
		{"map value case", `{"by_id":{"a":{"X":1}}}`, `field "X" differs in case`},
		{"map keys may differ in case", `{"more":{"a":"1","A":"2"}}`, ""},
		{"map duplicate key", `{"more":{"a":"1","a":"2"}}`, `duplicate key "a"`},
		// encoding/json turns each invalid UTF-8 byte of a key into U+FFFD,
		// so these keys are one key to it.
		{"map duplicate by invalid UTF-8", "{\"more\":{\"a\xff\":\"1\",\"a\xfe\":\"2\"}}", "duplicate key \"a\ufffd\""},
		{"map duplicate by invalid UTF-8 and escape", "{\"more\":{\"a\xff\":\"1\",\"a\\ufffd\":\"2\"}}", "duplicate key \"a\ufffd\""},
		{"distinct invalid UTF-8 keys", "{\"more\":{\"a\xff\":\"1\",\"a\xff\xff\":\"2\"}}", ""},
		{"duplicate inside any", `{"any":[{"a":1,"a":2}]}`, `duplicate key "a"`},
		{"duplicate inside raw", `{"raw":{"a":1,"a":2}}`, `duplicate key "a"`},
		{"untagged name case", `{"plain":"p"}`, `field "plain" differs in case from "Plain"`},
		{"invalid tag uses the Go name", `{"bad":"b"}`, `field "bad" differs in case from "Bad"`},
		{"skipped field", `{"Skip":"s"}`, "unknown field"},
		{"many keys then a duplicate", `{"more":{"a":"","b":"","c":"","d":"","e":"","f":"","g":"","h":"","i":"","j":"","k":"","l":"","m":"","n":"","o":"","p":"","q":"","r":"","a":""}}`, `duplicate key "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got nested
			err := Decode([]byte(tt.data), &got)
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("Decode = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(Reason(err), tt.wantReason) {
				t.Fatalf("Decode = %v, want a reason containing %q", err, tt.wantReason)
			}
		})
	}
}

func TestDecodeInto(t *testing.T) {
	old := point{7, 8}
	tests := []struct {
		name    string
		data    string
		want    point
		wantErr bool
	}{
		{name: "valid replaces whole value", data: `{"x": 1}`, want: point{X: 1}},
		{name: "error after a field keeps old", data: `{"x": 1, "z": 3}`, want: old, wantErr: true},
		{name: "trailing data keeps old", data: `{"x": 1} 2`, want: old, wantErr: true},
		{name: "truncated keeps old", data: `{"x": 1, "y"`, want: old, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := old
			err := DecodeInto([]byte(tt.data), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("DecodeInto(%q) error = %v, want error %v", tt.data, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("DecodeInto(%q) left %+v, want %+v", tt.data, got, tt.want)
			}
		})
	}
}

func TestDecodeIntoNeedsPointer(t *testing.T) {
	var nilPtr *point
	for _, v := range []any{point{}, nilPtr, nil} {
		if err := DecodeInto([]byte(`{}`), v); err == nil {
			t.Errorf("DecodeInto(%T) succeeded, want an error", v)
		}
	}
}
