package jsonstrict

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode"
)

// checkKeys walks the one JSON value in data (already decoded without
// error) alongside the Go type t and refuses duplicate keys in any object
// and keys that name a struct field of t only when case is ignored.
func checkKeys(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	return walk(dec, t)
}

// walk reads one value from dec. t is the Go type it decodes into, or nil
// when the type gives no field names (interfaces, maps of any, custom
// unmarshalers): then only duplicates are checked.
func walk(dec *json.Decoder, t reflect.Type) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	t = underlying(t)
	switch d {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walk(dec, elem); err != nil {
				return err
			}
		}
	case '{':
		var fields []field
		var elem reflect.Type
		switch {
		case t == nil:
		case t.Kind() == reflect.Struct:
			fields = fieldsOf(t)
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		}
		var seen keySet
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key := kt.(string)
			if !seen.add(key) {
				return &KeyError{Key: key}
			}
			next := elem
			if t != nil && t.Kind() == reflect.Struct {
				f, exact := lookup(fields, key)
				if f != nil && !exact {
					return &KeyError{Key: key, Field: f.name}
				}
				if f != nil {
					next = f.typ
				}
			}
			if err := walk(dec, next); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// underlying strips pointers from t and returns nil for types whose JSON
// form is not decided by their fields (custom unmarshalers, interfaces).
func underlying(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler) ||
			reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			return t
		}
	}
	return nil
}

// field is one JSON object member of a struct type.
type field struct {
	name  string
	typ   reflect.Type
	depth int // len of the index path: promoted fields are deeper
}

// lookup finds key among fields: exactly (exact = true), else by the
// case-insensitive match encoding/json uses (strings.EqualFold, which
// also folds the Kelvin sign and the long s), else nil. An exact match at
// any depth wins over a folded one.
func lookup(fields []field, key string) (f *field, exact bool) {
	for i := range fields {
		if fields[i].name == key {
			return &fields[i], true
		}
	}
	for i := range fields {
		if strings.EqualFold(fields[i].name, key) {
			return &fields[i], false
		}
	}
	return nil, false
}

// fieldCache maps a struct type to its []field.
var fieldCache sync.Map

// fieldsOf lists the JSON names of struct type t's fields, promoted ones
// included, as encoding/json names them (tag name, else the Go name;
// "-" skips). Where a name occurs twice the shallower field wins. It may
// list a name that encoding/json drops as ambiguous; that is harmless,
// since Decode has refused unknown fields already.
func fieldsOf(t reflect.Type) []field {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]field)
	}
	var out []field
	index := map[string]int{}
	for _, sf := range reflect.VisibleFields(t) {
		if !sf.IsExported() && !sf.Anonymous {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if !validTag(name) {
			name = sf.Name
		}
		f := field{name: name, typ: sf.Type, depth: len(sf.Index)}
		if i, dup := index[name]; dup {
			if f.depth < out[i].depth {
				out[i] = f
			}
			continue
		}
		index[name] = len(out)
		out = append(out, f)
	}
	v, _ := fieldCache.LoadOrStore(t, out)
	return v.([]field)
}

// validTag reports whether encoding/json takes name from a tag; when it
// does not, it uses the Go field name (encoding/json's isValidTag).
func validTag(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// keySet remembers the keys of one object. Objects are small: a slice
// until 16 keys, then a map.
type keySet struct {
	list []string
	m    map[string]struct{}
}

// add adds key and reports whether it was new.
func (s *keySet) add(key string) bool {
	if s.m != nil {
		if _, ok := s.m[key]; ok {
			return false
		}
		s.m[key] = struct{}{}
		return true
	}
	for _, k := range s.list {
		if k == key {
			return false
		}
	}
	if len(s.list) < 16 {
		s.list = append(s.list, key)
		return true
	}
	s.m = make(map[string]struct{}, 2*len(s.list))
	for _, k := range s.list {
		s.m[k] = struct{}{}
	}
	s.m[key] = struct{}{}
	return true
}
