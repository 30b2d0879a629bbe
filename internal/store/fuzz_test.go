package store

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the state file parser: it must never
// panic, must report damage as a *badFile, and whatever it accepts must
// survive another encode and decode unchanged.
func FuzzDecode(f *testing.F) {
	good, err := encode(testState{Counter: 3, IDs: []string{"a"}}, fixedNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{"format": 2, "state": {}}`))
	f.Add([]byte(`{"format": 1, "sha256": "", "state": null}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var st testState
		err := decode(data, &st)
		if err != nil {
			var bad *badFile
			if !errors.As(err, &bad) {
				t.Fatalf("decode error %v (%T) is not a *badFile", err, err)
			}
			return
		}
		again, err := encode(st, fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		var st2 testState
		if err := decode(again, &st2); err != nil {
			t.Fatalf("decode of a fresh encode: %v", err)
		}
		if !reflect.DeepEqual(st, st2) {
			t.Fatalf("round trip changed %+v into %+v", st, st2)
		}
	})
}
