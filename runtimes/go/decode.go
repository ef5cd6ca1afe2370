package aiwfrt

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"reflect"
	"sort"
)

// The JSON encoding of the generated contract types: objects through a table of their
// fields (so any key, quotes and emoji included, is written exactly and in schema order),
// and a strict decoder that reports what Go cannot hold as validation problems.

// Field is a property of a generated struct: its exact JSON key and a pointer to the Go
// field holding it.
type Field struct {
	Key      string
	Ptr      any
	Required bool
}

// setter is a value that can tell an absent member from a present one (the SDK's
// Nullable[T]).
type setter interface{ IsSet() bool }

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

// present reports whether an optional field holds a member to write.
func present(v reflect.Value) bool {
	if s, ok := v.Interface().(setter); ok {
		return s.IsSet()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return !v.IsNil()
	}
	return true
}

// fieldValue is a Go field as a Value: a nil required list is [], a nil map {}, an empty
// raw value null.
func fieldValue(v reflect.Value) (Value, error) {
	switch {
	case v.Type() == rawMessageType:
		if v.Len() == 0 {
			return nil, nil
		}
		return Parse(v.Bytes())
	case v.Kind() == reflect.Slice && v.IsNil():
		return []Value{}, nil
	case v.Kind() == reflect.Map && v.IsNil():
		return NewObject(), nil
	}
	return ToValue(v.Interface())
}

// MarshalObject writes a generated struct: its fields in schema order (optional ones only
// when set), then extra (a map of the members the schema does not name, may be nil)
// sorted by key, as canonical JSON.
func MarshalObject(fields []Field, extra any) ([]byte, error) {
	out := NewObject()
	for _, f := range fields {
		v := reflect.ValueOf(f.Ptr).Elem()
		if !f.Required && !present(v) {
			continue
		}
		value, err := fieldValue(v)
		if err != nil {
			return nil, err
		}
		out.Set(f.Key, value)
	}
	if extra != nil {
		m := reflect.ValueOf(extra)
		keys := make([]string, 0, m.Len())
		for _, k := range m.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, named := out.Get(k); named {
				continue
			}
			value, err := fieldValue(m.MapIndex(reflect.ValueOf(k)))
			if err != nil {
				return nil, err
			}
			out.Set(k, value)
		}
	}
	return Canonical(out)
}

// UnmarshalObject reads a generated struct: each member into its field, the others into
// extra (a pointer to a map; nil for a closed object, which refuses them). Missing required
// members, unknown members of a closed object and values Go cannot hold are problems.
func UnmarshalObject(data []byte, fields []Field, extra any) error {
	v, err := Parse(data)
	if err != nil {
		return &ValidationError{[]Problem{{"(root)", "type", "JSON", "invalid JSON"}}}
	}
	obj, ok := v.(*Object)
	if !ok {
		return &ValidationError{[]Problem{{"(root)", "type", "object", kindOf(v)}}}
	}
	var problems []Problem
	byKey := make(map[string]*Field, len(fields))
	for i := range fields {
		byKey[fields[i].Key] = &fields[i]
	}
	var extraMap reflect.Value
	if extra != nil {
		extraMap = reflect.ValueOf(extra).Elem()
		extraMap.Set(reflect.Zero(extraMap.Type()))
	}
	for _, f := range fields {
		target := reflect.ValueOf(f.Ptr).Elem()
		target.Set(reflect.Zero(target.Type()))
		value, ok := obj.Get(f.Key)
		if !ok {
			if f.Required {
				problems = append(problems, Problem{"(root)", "required", "property " + Quote(f.Key), "nothing"})
			}
			continue
		}
		problems = append(problems, under(f.Key, decodeValue(value, target))...)
	}
	others := []string{}
	for _, k := range obj.keys {
		if _, named := byKey[k]; !named {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	for _, k := range others {
		if extra == nil {
			problems = append(problems, Problem{"(root)", "additionalProperties", "no property " + Quote(k), "property " + Quote(k)})
			continue
		}
		if extraMap.IsNil() {
			extraMap.Set(reflect.MakeMap(extraMap.Type()))
		}
		item := reflect.New(extraMap.Type().Elem()).Elem()
		problems = append(problems, under(k, decodeValue(obj.value(k), item))...)
		extraMap.SetMapIndex(reflect.ValueOf(k), item)
	}
	if len(problems) > 0 {
		return &ValidationError{problems}
	}
	return nil
}

// under puts problems below a member (a key or an index).
func under(part any, problems []Problem) []Problem {
	prefix := Pointer([]any{part})
	out := make([]Problem, len(problems))
	for i, p := range problems {
		if p.Pointer == "(root)" {
			p.Pointer = prefix
		} else {
			p.Pointer = prefix + p.Pointer
		}
		out[i] = p
	}
	return out
}

// Decode reads JSON into target (a pointer) strictly: null only where the Go type can hold
// it, objects through their UnmarshalJSON, and every failure as a *ValidationError.
func Decode(data []byte, target any) error {
	v := reflect.ValueOf(target)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return errors.New("aiwfrt.Decode needs a non-nil pointer")
	}
	value, err := Parse(bytes.TrimSpace(data))
	if err != nil {
		return &ValidationError{[]Problem{{"(root)", "type", "JSON", "invalid JSON"}}}
	}
	if problems := decodeValue(value, v.Elem()); len(problems) > 0 {
		return &ValidationError{problems}
	}
	return nil
}

// DecodeValue reads a Value into target (a pointer), as Decode.
func DecodeValue(value Value, target any) error {
	v := reflect.ValueOf(target)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return errors.New("aiwfrt.DecodeValue needs a non-nil pointer")
	}
	if problems := decodeValue(value, v.Elem()); len(problems) > 0 {
		return &ValidationError{problems}
	}
	return nil
}

func wrong(expected string, value Value) []Problem {
	return []Problem{{"(root)", "type", expected, kindOf(value)}}
}

func decodeValue(value Value, v reflect.Value) []Problem {
	if v.Type() == rawMessageType {
		data, err := Canonical(value)
		if err != nil {
			return wrong("JSON", value)
		}
		v.SetBytes(data)
		return nil
	}
	if v.Kind() != reflect.Pointer && v.CanAddr() {
		if u, ok := v.Addr().Interface().(json.Unmarshaler); ok {
			data, err := Canonical(value)
			if err == nil {
				err = u.UnmarshalJSON(data)
			}
			var ve *ValidationError
			if errors.As(err, &ve) {
				return ve.Problems
			}
			if err != nil {
				return []Problem{{"(root)", "type", expectedName(v.Type()), kindOf(value)}}
			}
			return nil
		}
	}
	if value == nil {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
			v.Set(reflect.Zero(v.Type()))
			return nil
		}
		return wrong(expectedName(v.Type()), value)
	}
	switch v.Kind() {
	case reflect.Pointer:
		fresh := reflect.New(v.Type().Elem())
		if problems := decodeValue(value, fresh.Elem()); len(problems) > 0 {
			return problems
		}
		v.Set(fresh)
	case reflect.Interface:
		v.Set(reflect.ValueOf(value))
	case reflect.String:
		s, ok := value.(string)
		if !ok {
			return wrong("string", value)
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := value.(bool)
		if !ok {
			return wrong("boolean", value)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := value.(json.Number)
		if !ok || !numberOf(n).isIntegral() {
			return wrong("integer", value)
		}
		i, ok := integerOf(numberOf(n))
		if !ok || v.OverflowInt(i) {
			return []Problem{{"(root)", "type", "an integer that fits in " + v.Type().String(), CanonicalString(value)}}
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		n, ok := value.(json.Number)
		if !ok {
			return wrong("number", value)
		}
		v.SetFloat(numberOf(n).float)
	case reflect.Slice:
		list, ok := value.([]Value)
		if !ok {
			return wrong("array", value)
		}
		out := reflect.MakeSlice(v.Type(), len(list), len(list))
		var problems []Problem
		for i, item := range list {
			problems = append(problems, under(i, decodeValue(item, out.Index(i)))...)
		}
		if len(problems) > 0 {
			return problems
		}
		v.Set(out)
	case reflect.Map:
		obj, ok := value.(*Object)
		if !ok {
			return wrong("object", value)
		}
		out := reflect.MakeMapWithSize(v.Type(), obj.Len())
		var problems []Problem
		for _, key := range obj.keys {
			item := reflect.New(v.Type().Elem()).Elem()
			problems = append(problems, under(key, decodeValue(obj.value(key), item))...)
			out.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), item)
		}
		if len(problems) > 0 {
			return problems
		}
		v.Set(out)
	default:
		data, err := Canonical(value)
		if err == nil {
			err = json.Unmarshal(data, v.Addr().Interface())
		}
		if err != nil {
			return wrong(expectedName(v.Type()), value)
		}
	}
	return nil
}

func integerOf(n number) (int64, bool) {
	if n.integer != nil {
		return n.integer.Int64(), n.integer.IsInt64()
	}
	if n.float < math.MinInt64 || n.float >= math.MaxInt64 {
		return 0, false
	}
	i, _ := big.NewFloat(n.float).Int64()
	return i, true
}

func expectedName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return expectedName(t.Elem())
	}
	return "object"
}

// Convert decodes a Value into the Go type T (a value already checked against T's
// contract).
func Convert[T any](v Value) (T, error) {
	var out T
	err := DecodeValue(v, &out)
	return out, err
}

// CheckGo checks a Go value (a generated contract type) against its contract type.
func CheckGo(x any, t *Type) error {
	v, err := ToValue(x)
	if err != nil {
		return err
	}
	return Check(v, t)
}

// MarshalList writes a slice, nil as [].
func MarshalList[T any](list []T) ([]byte, error) {
	if list == nil {
		return []byte("[]"), nil
	}
	v, err := ToValue(list)
	if err != nil {
		return nil, err
	}
	return Canonical(v)
}

// MarshalMap writes a map (keys sorted), nil as {}.
func MarshalMap[T any](m map[string]T) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := NewObject()
	for _, k := range keys {
		v, err := ToValue(m[k])
		if err != nil {
			return nil, err
		}
		out.Set(k, v)
	}
	return Canonical(out)
}

// MarshalRaw writes a raw JSON value, empty as null.
func MarshalRaw(raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return []byte("null"), nil
	}
	return raw, nil
}
