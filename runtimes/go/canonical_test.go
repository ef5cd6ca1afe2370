package aiwfrt

import (
	"encoding/json"
	"testing"
)

// The examples of docs/wire.md §1 and §2.
func TestCanonicalNumbers(t *testing.T) {
	for text, want := range map[string]string{
		"0": "0", "-0": "0", "-0.0": "0", "3.0": "3", "100": "100", "0.000001": "0.000001",
		"1e-7": "1e-7", "1.5e-7": "1.5e-7", "123456789012345680000": "123456789012345680000",
		"1e21": "1e+21", "1E+21": "1e+21", "12345678901234567891": "12345678901234567000",
		"9007199254740993": "9007199254740992", "2.5": "2.5", "0.1": "0.1", "-12.75": "-12.75",
		"1e300": "1e+300", "5e-324": "5e-324", "0.0000001": "1e-7", "1.7976931348623157e308": "1.7976931348623157e+308",
		"100000000000000000000": "100000000000000000000", "1e20": "100000000000000000000",
	} {
		got, err := Canonical(json.Number(text))
		if err != nil || string(got) != want {
			t.Errorf("%s: got %s (%v), want %s", text, got, err, want)
		}
	}
	if _, err := Canonical(json.Number("1e400")); err == nil {
		t.Error("1e400 (an infinity) was written")
	}
}

func TestCanonicalStrings(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                 `"plain"`,
		"quote \" backslash \\": `"quote \" backslash \\"`,
		"\b\t\n\f\r":            `"\b\t\n\f\r"`,
		"\x00\x01\x1f":          `"\u0000\u0001\u001f"`,
		"<>&\x7f é 😀":           "\"<>&\x7f é 😀\"",
		"\u2028\u2029":          `"\u2028\u2029"`,
		"bad \xff byte":         "\"bad \uFFFD byte\"",
	} {
		if got := CanonicalString(in); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
}

func TestCanonicalKeepsMemberOrderAndWritesNoSpace(t *testing.T) {
	v := MustParse(`{ "b" : [1, 2.0, true, null], "a": {"z": "y", "x": {}} , "c": [] }`)
	if got := CanonicalString(v); got != `{"b":[1,2,true,null],"a":{"z":"y","x":{}},"c":[]}` {
		t.Fatal(got)
	}
}

func TestContractOrder(t *testing.T) {
	schema := MustParse(`{
		"type": "object",
		"properties": {"id": {"type": "string"}, "body": {"type": "string"}, "meta": {"$ref": "#/$defs/Meta"}},
		"allOf": [{"properties": {"extra": {"type": "object"}, "id": {}}}],
		"additionalProperties": {"type": "object", "properties": {"z": {}, "a": {}}},
		"$defs": {"Meta": {"properties": {"b": {}, "a": {}}}}
	}`)
	cases := map[string]string{
		// declared first (properties, then allOf's), then the rest by code point
		`{"zeta": 1, "body": "b", "Z": 2, "id": "i", "extra": {"y": 1, "x": 2}}`: `{"id":"i","body":"b","extra":{"x":2,"y":1},"Z":2,"zeta":1}`,
		// $ref followed; additionalProperties orders the other members' values
		`{"meta": {"a": 1, "b": 2, "c": 3}, "other": {"a": 1, "q": 0, "z": 2}}`: `{"meta":{"b":2,"a":1,"c":3},"other":{"z":2,"a":1,"q":0}}`,
		// code point order, not UTF-16 (😀 sorts after ｚ)
		`{"😀": 1, "ｚ": 2, "é": 3, "a": 4}`: `{"a":4,"é":3,"ｚ":2,"😀":1}`,
	}
	for in, want := range cases {
		if got := CanonicalString(InContractOrder(MustParse(in), schema)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", in, got, want)
		}
	}
	// arrays through items; untyped values sorted all the way down
	list := MustParse(`{"type": "array", "items": {"properties": {"b": {}, "a": {}}}}`)
	if got := CanonicalString(InContractOrder(MustParse(`[{"a": 1, "b": {"y": 1, "x": 2}}]`), list)); got != `[{"b":{"x":2,"y":1},"a":1}]` {
		t.Error(got)
	}
	if got := CanonicalString(InContractOrder(MustParse(`{"b": 1, "a": [{"d": 1, "c": 2}]}`), nil)); got != `{"a":[{"c":2,"d":1}],"b":1}` {
		t.Error(got)
	}
}
