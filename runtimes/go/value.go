package aiwfrt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Value is a JSON value as the runtime handles it: nil, bool, json.Number, string, []Value
// or *Object. Objects keep their members in order and numbers keep their text, so nothing
// is lost between what a server sent and what the runtime sends on.
type Value = any

// Object is a JSON object that keeps its members in insertion order.
type Object struct {
	keys []string
	vals []Value
	// index finds a member of a large object (smallObject members or fewer are searched:
	// most objects a call handles are small, and a map for each cost more than the search).
	index map[string]int
}

const smallObject = 8

// NewObject returns an empty object.
func NewObject() *Object { return &Object{} }

// find is the position of key, or -1.
func (o *Object) find(key string) int {
	if o.index != nil {
		if i, ok := o.index[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range o.keys {
		if k == key {
			return i
		}
	}
	return -1
}

func (o *Object) reindex() {
	o.index = nil
	if len(o.keys) > smallObject {
		o.index = make(map[string]int, len(o.keys))
		for i, k := range o.keys {
			o.index[k] = i
		}
	}
}

// Set sets key to v; a new key goes last, an existing one keeps its place.
func (o *Object) Set(key string, v Value) *Object {
	if i := o.find(key); i >= 0 {
		o.vals[i] = v
		return o
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	if o.index != nil {
		o.index[key] = len(o.keys) - 1
	} else if len(o.keys) > smallObject {
		o.reindex()
	}
	return o
}

// Get returns the value of key and whether the object has it.
func (o *Object) Get(key string) (Value, bool) {
	if o == nil {
		return nil, false
	}
	if i := o.find(key); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// value is the value of key (nil when the object lacks it).
func (o *Object) value(key string) Value {
	v, _ := o.Get(key)
	return v
}

// Delete removes key.
func (o *Object) Delete(key string) {
	i := o.find(key)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i:i], o.vals[i+1:]...)
	o.reindex()
}

// Keys returns the keys in order.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	return append([]string(nil), o.keys...)
}

// Len returns the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// MarshalJSON writes the object as canonical JSON, members in order.
func (o *Object) MarshalJSON() ([]byte, error) { return Canonical(o) }

// Obj builds an object from key, value pairs; a Missing value leaves its key out (an
// object template in a binding).
func Obj(pairs ...Value) *Object {
	o := NewObject()
	for i := 0; i+1 < len(pairs); i += 2 {
		if IsMissing(pairs[i+1]) {
			continue
		}
		o.Set(pairs[i].(string), pairs[i+1])
	}
	return o
}

type missing struct{}

// Missing is the value of a path that leads nowhere.
var Missing Value = missing{}

// IsMissing reports whether v is Missing.
func IsMissing(v Value) bool {
	_, ok := v.(missing)
	return ok
}

// Whole is v, with Missing as null.
func Whole(v Value) Value {
	if IsMissing(v) {
		return nil
	}
	return v
}

// Int is an integer as a Value.
func Int(i int) Value { return json.Number(strconv.Itoa(i)) }

// At follows path (string keys and int indexes) into v; Missing when it leads nowhere. A
// negative index counts from the end, and an int also finds an object member named by its
// decimal text, as in the aiwf engine.
func At(v Value, path ...any) Value {
	for _, part := range path {
		switch p := part.(type) {
		case int:
			switch c := v.(type) {
			case []Value:
				if p < -len(c) || p >= len(c) {
					return Missing
				}
				if p < 0 {
					p += len(c)
				}
				v = c[p]
			case *Object:
				found, ok := c.Get(strconv.Itoa(p))
				if !ok {
					return Missing
				}
				v = found
			default:
				return Missing
			}
		case string:
			c, ok := v.(*Object)
			if !ok {
				return Missing
			}
			found, ok := c.Get(p)
			if !ok {
				return Missing
			}
			v = found
		default:
			return Missing
		}
	}
	return v
}

// Parse decodes one JSON text into a Value (member order and number text kept).
func Parse(data []byte) (Value, error) {
	if v, ok := quickParse(data); ok {
		return v, nil
	}
	return parseTokens(data)
}

// parseTokens is Parse through encoding/json's token stream: what quickParse is held to,
// and what decodes (or refuses, with encoding/json's message) the texts it leaves.
func parseTokens(data []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: data after the value")
	}
	return v, nil
}

// MustParse is Parse for JSON known to be valid (generated code); it panics otherwise.
func MustParse(text string) Value {
	v, err := Parse([]byte(text))
	if err != nil {
		panic(fmt.Sprintf("aiwfrt.MustParse: %v", err))
	}
	return v
}

func parseValue(dec *json.Decoder) (Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch delim {
	case '{':
		o := NewObject()
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			o.Set(key.(string), v)
		}
		_, err := dec.Token()
		return o, err
	case '[':
		list := []Value{}
		for dec.More() {
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token()
		return list, err
	}
	return nil, fmt.Errorf("invalid JSON: unexpected %v", delim)
}

// ToValue converts a Go value (a contract type, a map, a Value) to a Value through its JSON.
func ToValue(x any) (Value, error) {
	switch x.(type) {
	case nil, bool, string, json.Number, []Value, *Object:
		return x, nil
	}
	data, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Equal reports whether a and b are equal as JSON Schema compares values: numbers by value
// (1 equals 1.0, true does not equal 1), objects whatever their member order.
func Equal(a, b Value) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && numberOf(x).sameAs(numberOf(y))
	case []Value:
		y, ok := b.([]Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, k := range x.keys {
			other, found := y.Get(k)
			if !found || !Equal(x.value(k), other) {
				return false
			}
		}
		return true
	}
	return false
}
