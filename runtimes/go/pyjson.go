package aiwfrt

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// pythonJSON writes v as Python's json.dumps(v, sort_keys=True, separators=(",", ":"),
// ensure_ascii=False) does, floats as Python's repr: the text the aiwf engine hashes for
// replay fingerprints.
func pythonJSON(v Value) string {
	var b strings.Builder
	writePython(&b, v)
	return b.String()
}

func writePython(b *strings.Builder, v Value) {
	switch x := v.(type) {
	case nil, missing:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		b.WriteByte('"')
		for _, r := range x {
			switch r {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			default:
				if r < 0x20 {
					fmt.Fprintf(b, `\u%04x`, r)
				} else {
					b.WriteRune(r)
				}
			}
		}
		b.WriteByte('"')
	case json.Number:
		b.WriteString(pythonNumber(string(x)))
	case []Value:
		b.WriteByte('[')
		for i, elem := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writePython(b, elem)
		}
		b.WriteByte(']')
	case *Object:
		keys := x.Keys()
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writePython(b, k)
			b.WriteByte(':')
			writePython(b, x.value(k))
		}
		b.WriteByte('}')
	default:
		parsed, err := ToValue(x)
		if err != nil {
			b.WriteString("null")
			return
		}
		writePython(b, parsed)
	}
}

// pythonNumber is a JSON number as Python writes the value json.loads made of it: an
// integer as it is, a float as repr(float).
func pythonNumber(text string) string {
	n := numberOf(json.Number(text))
	if n.integer != nil {
		return n.integer.String()
	}
	f := n.float
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	mantissa, expText, _ := strings.Cut(sci, "e")
	exp, _ := strconv.Atoi(expText)
	if exp >= -4 && exp < 16 {
		fixed := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(fixed, ".") {
			fixed += ".0"
		}
		return fixed
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	return fmt.Sprintf("%se%s%02d", mantissa, sign, exp)
}
