// Package jsonstrict decodes JSON strictly: exactly one value, no unknown
// fields, no duplicate object keys, no field name that matches a struct
// field only by case, and nothing after the value. It is for documents
// volact reads from files and peers, where a typo, an extra field or a
// second copy of a field must be refused, not silently ignored or merged.
//
// encoding/json alone accepts {"sku":"a","SKU":"b"} into a struct with a
// `json:"sku"` field (it matches names case-insensitively and the last
// duplicate wins), so two parsers of one signed or logged document could
// read different values. Decode refuses such documents.
//
// This package imports only the standard library: the client links it
// (catalog, protocol), and so do the servers (internal/httpserve).
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
// object fields, duplicate keys, field names that differ only in case
// from a struct field's name, and trailing data. On failure v may be
// partly filled.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailing
	}
	return checkKeys(data, reflect.TypeOf(v))
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

// KeyError reports an object key that Decode refuses although
// encoding/json would take it: a duplicate, or a name that matches a
// struct field only when case is ignored.
type KeyError struct {
	Key   string // the key as sent (unescaped)
	Field string // the struct field's JSON name; "" for a duplicate
}

// Error says which key is refused and why.
func (e *KeyError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("duplicate key %q", e.Key)
	}
	return fmt.Sprintf("field %q differs in case from %q", e.Key, e.Field)
}
