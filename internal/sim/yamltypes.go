package sim

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// typeError is the first value of the YAML document n that does not fit
// its field of type t (a [Scenario] at the top): text or a fraction where
// a whole number belongs, a negative number for the seed, a single value
// where a list belongs, a list where a text belongs. It says which field
// and on which line, which the decoder does not: it names Go types, and it
// would quietly cut count: 2.5 to 2. Fields t does not have are left to the
// decoder (unknown field); nil when every value fits.
func typeError(file string, n *yaml.Node, t reflect.Type, path []any) *InputError {
	switch {
	case n == nil || n.Kind == 0: // an empty document
		return nil
	case n.Kind == yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return typeError(file, n.Content[0], t, path)
	case n.Kind == yaml.AliasNode:
		return typeError(file, n.Alias, t, path)
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil // an empty value: the field's zero, which check judges
	}
	bad := func(format string, args ...any) *InputError {
		msg := fmt.Sprintf(format, args...)
		if len(path) == 0 {
			msg = "the scenario is " + msg + " (name, seed, days, ...)"
		} else {
			msg = pathString(path) + ": " + describe(n) + " " + msg
		}
		return &InputError{File: file, Line: n.Line, Msg: msg}
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if len(path) == 0 {
				return bad("%s, not a mapping of fields", describe(n))
			}
			return bad("is not a mapping of fields")
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if f, ok := fieldOf(t, key); ok {
				if e := typeError(file, n.Content[i+1], f.Type, append(path[:len(path):len(path)], key)); e != nil {
					return e
				}
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return bad("is not a list")
		}
		for i, c := range n.Content {
			if e := typeError(file, c, t.Elem(), append(path[:len(path):len(path)], i)); e != nil {
				return e
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		switch {
		case n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int":
			return bad("is not a whole number")
		case t.Kind() >= reflect.Uint && strings.HasPrefix(n.Value, "-"):
			return bad("is negative")
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return bad("is not a text")
		}
	}
	return nil
}

// fieldOf is the field of struct type t that YAML names key.
func fieldOf(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// describe is how an error shows a value: a scalar quoted (a number as it
// is), else its kind.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	if n.ShortTag() == "!!int" {
		return n.Value
	}
	return fmt.Sprintf("%q", n.Value)
}
