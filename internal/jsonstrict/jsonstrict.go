// Package jsonstrict decodes JSON strictly: exactly one value, no unknown
// fields, nothing after it. It is for documents volact reads from files
// and peers, where a typo or extra data must be refused, not ignored.
package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// errTrailing is returned when data holds more than one JSON value.
var errTrailing = errors.New("unexpected data after the JSON value")

// Decode decodes exactly one JSON value from data into v, refusing unknown
// object fields and trailing data. On failure v may be partly filled.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailing
	}
	return nil
}

// DecodeInto is Decode that leaves *v untouched on failure, so a
// half-decoded value never reaches the caller. v must be a non-nil pointer.
func DecodeInto(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("cannot decode into %T: need a non-nil pointer", v)
	}
	fresh := reflect.New(rv.Elem().Type())
	if err := Decode(data, fresh.Interface()); err != nil {
		return err
	}
	rv.Elem().Set(fresh.Elem())
	return nil
}

// Reason turns a decoding error into a short lower-case phrase for a user
// message, without the "json: " prefix.
func Reason(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the document is empty or truncated"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
