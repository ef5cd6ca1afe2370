package aiwfrt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Canonical writes v as canonical JSON (docs/wire.md §1): no whitespace, members in their
// order, the fixed string escaping and ECMAScript number formatting. encoding/json is not
// canonical (it escapes <, > and &, writes \u0008, and sorts map keys), so every JSON text
// the runtime sends goes through here.
func Canonical(v Value) ([]byte, error) {
	var w canonicalWriter
	if err := w.value(v); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

// CanonicalString is Canonical as a string; a value that cannot be written (NaN, a Go value
// encoding/json refuses) gives "null" (it cannot come from parsed JSON).
func CanonicalString(v Value) string {
	data, err := Canonical(v)
	if err != nil {
		return "null"
	}
	return string(data)
}

type canonicalWriter struct {
	buf bytes.Buffer
}

// written is a value's canonical JSON, which a request body carries as it is.
type written []byte

// schemas holds the canonical JSON of each schema object a request has carried.
var schemas sync.Map // *Object -> written

// schemaJSON is a schema as a request body carries it: its canonical JSON, written once
// per schema object (the schemas of an SDK are made once, by its generated code, and never
// change; writing them was most of the work of building a request).
func schemaJSON(schema Value) Value {
	o, ok := schema.(*Object)
	if !ok || o == nil {
		return schema
	}
	if found, ok := schemas.Load(o); ok {
		return found.(written)
	}
	data, err := Canonical(o)
	if err != nil {
		return schema
	}
	schemas.Store(o, written(data))
	return written(data)
}

// schemaText is schemaJSON as text (CanonicalString of the schema).
func schemaText(schema Value) string {
	if data, ok := schemaJSON(schema).(written); ok {
		return string(data)
	}
	return CanonicalString(schema)
}

func (w *canonicalWriter) value(v Value) error {
	switch x := v.(type) {
	case written:
		w.buf.Write(x)
	case nil, missing:
		w.buf.WriteString("null")
	case bool:
		if x {
			w.buf.WriteString("true")
		} else {
			w.buf.WriteString("false")
		}
	case string:
		w.quote(x)
	case json.Number:
		text, err := canonicalNumber(x)
		if err != nil {
			return err
		}
		w.buf.WriteString(text)
	case []Value:
		w.buf.WriteByte('[')
		for i, item := range x {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			if err := w.value(item); err != nil {
				return err
			}
		}
		w.buf.WriteByte(']')
	case *Object:
		if x == nil {
			w.buf.WriteString("null")
			return nil
		}
		w.buf.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.quote(k)
			w.buf.WriteByte(':')
			if err := w.value(x.vals[i]); err != nil {
				return err
			}
		}
		w.buf.WriteByte('}')
	case int:
		w.buf.WriteString(strconv.Itoa(x))
	case int64:
		return w.value(json.Number(strconv.FormatInt(x, 10)))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return errNotFinite
		}
		text, _ := formatNumber(x)
		w.buf.WriteString(text)
	default:
		parsed, err := ToValue(x)
		if err != nil {
			return fmt.Errorf("not a JSON value: %w", err)
		}
		return w.value(parsed)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// quote writes a JSON string: \" \\ \b \t \n \f \r, \u00xx for the other control
// characters, \u2028 and \u2029 escaped, everything else as UTF-8 (invalid UTF-8 as U+FFFD).
func (w *canonicalWriter) quote(s string) {
	w.buf.WriteByte('"')
	for i := 0; i < len(s); {
		// A run of printable ASCII other than the two escaped characters goes as it is.
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] < 0x80 && s[j] != '"' && s[j] != '\\' {
			j++
		}
		if j > i {
			w.buf.WriteString(s[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '"':
			w.buf.WriteString(`\"`)
		case '\\':
			w.buf.WriteString(`\\`)
		case '\b':
			w.buf.WriteString(`\b`)
		case '\t':
			w.buf.WriteString(`\t`)
		case '\n':
			w.buf.WriteString(`\n`)
		case '\f':
			w.buf.WriteString(`\f`)
		case '\r':
			w.buf.WriteString(`\r`)
		case '\u2028':
			w.buf.WriteString(`\u2028`)
		case '\u2029':
			w.buf.WriteString(`\u2029`)
		default:
			if r < 0x20 {
				w.buf.WriteString(`\u00`)
				w.buf.WriteByte(hexDigits[r>>4])
				w.buf.WriteByte(hexDigits[r&0xf])
				continue
			}
			w.buf.WriteRune(r) // utf8.RuneError for invalid bytes: U+FFFD
		}
	}
	w.buf.WriteByte('"')
}

// Quote is a string as a canonical JSON string literal.
func Quote(s string) string {
	var w canonicalWriter
	w.quote(s)
	return w.buf.String()
}
