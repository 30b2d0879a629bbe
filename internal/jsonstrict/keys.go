package jsonstrict

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// checkKeys walks the one JSON value in data (already decoded without
// error, so well-formed) alongside the Go type t and refuses duplicate
// keys in any object and keys that name a struct field of t only when
// case is ignored. It allocates only for keys with escapes or invalid
// UTF-8 and for objects of more than 16 keys.
func checkKeys(data []byte, t reflect.Type) error {
	s := scanner{data: data}
	return s.value(t)
}

// scanner reads a well-formed JSON document.
type scanner struct {
	data []byte
	i    int
}

// space skips white space.
func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value reads one value. t is the Go type it decodes into, or nil when
// the type gives no field names (interfaces, custom unmarshalers): then
// only duplicates are checked.
func (s *scanner) value(t reflect.Type) error {
	s.space()
	if s.i >= len(s.data) {
		return nil
	}
	switch s.data[s.i] {
	case '{':
		return s.object(underlying(t))
	case '[':
		t = underlying(t)
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		s.i++
		for {
			s.space()
			if s.data[s.i] == ']' {
				s.i++
				return nil
			}
			if err := s.value(elem); err != nil {
				return err
			}
			s.space()
			if s.data[s.i] == ',' {
				s.i++
			}
		}
	case '"':
		s.str()
	default: // number, true, false, null
		for s.i < len(s.data) && !strings.ContainsRune(",]} \t\n\r", rune(s.data[s.i])) {
			s.i++
		}
	}
	return nil
}

// object reads an object into type t (nil, a struct, a map or other).
func (s *scanner) object(t reflect.Type) error {
	var fields []field
	var elem reflect.Type
	isStruct := t != nil && t.Kind() == reflect.Struct
	switch {
	case isStruct:
		fields = fieldsOf(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	var seen keySet
	s.i++ // {
	for {
		s.space()
		if s.data[s.i] == '}' {
			s.i++
			return nil
		}
		raw, escaped := s.str()
		key := raw
		// encoding/json unescapes a key and turns each invalid UTF-8 byte
		// into U+FFFD: compare keys as it will see them.
		if escaped || !utf8.Valid(raw) {
			var k string
			if err := json.Unmarshal(s.data[s.i-len(raw)-2:s.i], &k); err != nil {
				return err
			}
			key = []byte(k)
		}
		if !seen.add(key) {
			return &KeyError{Key: string(key)}
		}
		next := elem
		if isStruct {
			f, exact := lookup(fields, key)
			if f != nil && !exact {
				return &KeyError{Key: string(key), Field: f.name}
			}
			if f != nil {
				next = f.typ
			}
		}
		s.space()
		s.i++ // :
		if err := s.value(next); err != nil {
			return err
		}
		s.space()
		if s.data[s.i] == ',' {
			s.i++
		}
	}
}

// str reads a string and returns its raw contents (between the quotes)
// and whether they hold an escape.
func (s *scanner) str() (raw []byte, escaped bool) {
	s.i++ // "
	start := s.i
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case '\\':
			escaped = true
			s.i += 2
		case '"':
			raw = s.data[start:s.i]
			s.i++
			return raw, escaped
		default:
			s.i++
		}
	}
	return s.data[start:], escaped
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
func lookup(fields []field, key []byte) (f *field, exact bool) {
	for i := range fields {
		if fields[i].name == string(key) {
			return &fields[i], true
		}
	}
	for i := range fields {
		if bytes.EqualFold([]byte(fields[i].name), key) {
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

// keySet remembers the keys of one object. Objects are small: an array
// of 16 keys, then a map.
type keySet struct {
	list [16][]byte
	n    int
	m    map[string]struct{}
}

// add adds key and reports whether it was new.
func (s *keySet) add(key []byte) bool {
	if s.m != nil {
		if _, ok := s.m[string(key)]; ok {
			return false
		}
		s.m[string(key)] = struct{}{}
		return true
	}
	for _, k := range s.list[:s.n] {
		if bytes.Equal(k, key) {
			return false
		}
	}
	if s.n < len(s.list) {
		s.list[s.n] = key
		s.n++
		return true
	}
	s.m = make(map[string]struct{}, 2*s.n)
	for _, k := range s.list {
		s.m[string(k)] = struct{}{}
	}
	s.m[string(key)] = struct{}{}
	return true
}
