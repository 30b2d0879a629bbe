package client

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/volact/volact/internal/license"
)

// statusName is a license.Status that JSON writes by name ("oob_grace"),
// the form of design §8. license.Status itself marshals as its number,
// which is the form the store keeps (license.Product.GraceKind), so the
// documents the client hands out (ProductStatus, Result) convert to it
// when they are marshalled.
type statusName license.Status

// MarshalText writes the status's name.
func (s statusName) MarshalText() ([]byte, error) {
	st := license.Status(s)
	if !st.Valid() {
		return nil, fmt.Errorf("invalid license status %d", int(s))
	}
	return []byte(st.String()), nil
}

// UnmarshalText reads a status by name.
func (s *statusName) UnmarshalText(b []byte) error {
	for _, st := range []license.Status{license.Unlicensed, license.Licensed, license.OOBGrace, license.OOTGrace, license.Notification} {
		if st.String() == string(b) {
			*s = statusName(st)
			return nil
		}
	}
	return fmt.Errorf("unknown license status %q", b)
}

// MarshalJSON writes p as design §8 shows it, the status by name.
func (p ProductStatus) MarshalJSON() ([]byte, error) { return marshalByName(p) }

// UnmarshalJSON reads what MarshalJSON writes.
func (p *ProductStatus) UnmarshalJSON(b []byte) error { return unmarshalByName(b, p) }

// MarshalJSON writes r as act --json shows it, the status by name.
func (r Result) MarshalJSON() ([]byte, error) { return marshalByName(r) }

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Result) UnmarshalJSON(b []byte) error { return unmarshalByName(b, r) }

var (
	statusType     = reflect.TypeFor[license.Status]()
	statusNameType = reflect.TypeFor[statusName]()
	byNameTypes    sync.Map // struct type -> the same struct with statusName fields
)

// byNameType returns t (a struct of exported fields) with every
// license.Status field turned into statusName: same fields, same order,
// same tags, so the JSON differs only in how a status is spelled.
func byNameType(t reflect.Type) reflect.Type {
	if bt, ok := byNameTypes.Load(t); ok {
		return bt.(reflect.Type)
	}
	fields := make([]reflect.StructField, t.NumField())
	for i := range fields {
		f := t.Field(i)
		if f.Type == statusType {
			f.Type = statusNameType
		}
		fields[i] = f
	}
	bt := reflect.StructOf(fields)
	byNameTypes.Store(t, bt)
	return bt
}

// marshalByName marshals the struct v with its statuses by name.
func marshalByName(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	out := reflect.New(byNameType(rv.Type())).Elem()
	for i := 0; i < rv.NumField(); i++ {
		out.Field(i).Set(rv.Field(i).Convert(out.Field(i).Type()))
	}
	return json.Marshal(out.Interface())
}

// unmarshalByName is the inverse of marshalByName; ptr points to the struct.
func unmarshalByName(b []byte, ptr any) error {
	rv := reflect.ValueOf(ptr).Elem()
	in := reflect.New(byNameType(rv.Type()))
	if err := json.Unmarshal(b, in.Interface()); err != nil {
		return err
	}
	for i := 0; i < rv.NumField(); i++ {
		rv.Field(i).Set(in.Elem().Field(i).Convert(rv.Field(i).Type()))
	}
	return nil
}
