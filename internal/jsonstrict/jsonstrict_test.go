package jsonstrict

import (
	"strings"
	"testing"
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
