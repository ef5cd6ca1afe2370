package aiwfrt

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// quickParse gives exactly what encoding/json's token stream gives, and leaves to it only
// texts it refuses: on hand-picked texts and on random ones, valid and damaged.

var parseCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+3`, `-12.25E-2`, `true`, `false`, `null`,
	` {"a" : [1, 2.0, "x", {"b": null}], "a": 3, "c": {}} `,
	`{"k\"ey": "v\\alue", "u": "\u00e9\ud83d\ude00", "raw": "é😀", "ctl": "\n\t"}`,
	`"\ud800"`, "\"\xff\xfe\"", `[1,]`, `{"a":1,}`, `01`, `1.`, `.5`, `1e`, `-`, `+1`,
	`[1 2]`, `{"a" 1}`, `{a:1}`, `tru`, `nulll`, `[`, `{"a":`, `"abc`, "\"a\x01b\"", ``, ` `,
	`1 2`, `{} x`, `[[[[]]]]`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat("[", 9999) + strings.Repeat("]", 9999),
}

func agree(t *testing.T, text string) bool {
	t.Helper()
	quick, ok := quickParse([]byte(text))
	ref, err := parseTokens([]byte(text))
	if ok && (err != nil || !reflect.DeepEqual(quick, ref)) {
		t.Fatalf("%q: quick %#v, encoding/json %#v (%v)", text, quick, ref, err)
	}
	if !ok && err == nil && !strings.Contains(text, strings.Repeat("[", 10001)) {
		t.Fatalf("%q: quick refused a text encoding/json reads (%#v)", text, ref)
	}
	got, gerr := Parse([]byte(text))
	if (gerr == nil) != (err == nil) || (err != nil && gerr.Error() != err.Error()) || !reflect.DeepEqual(got, ref) {
		t.Fatalf("%q: Parse %#v (%v), encoding/json %#v (%v)", text, got, gerr, ref, err)
	}
	return ok
}

func TestQuickParseAgreesOnKnownTexts(t *testing.T) {
	for _, text := range parseCases {
		agree(t, text)
	}
}

func randomJSON(r *rand.Rand, depth int, b *strings.Builder) {
	pick := r.Intn(9)
	if depth > 3 && pick < 2 {
		pick += 2
	}
	switch pick {
	case 0:
		b.WriteString("{")
		for i, n := 0, r.Intn(4); i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			randomString(r, b)
			b.WriteString(strings.Repeat(" ", r.Intn(2)) + ":")
			randomJSON(r, depth+1, b)
		}
		b.WriteString("}")
	case 1:
		b.WriteString("[")
		for i, n := 0, r.Intn(4); i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			randomJSON(r, depth+1, b)
		}
		b.WriteString("]")
	case 2, 3:
		randomString(r, b)
	case 4, 5:
		parts := []string{"-", "0", "7", "123", ".5", "e3", "E-2", "e+1"}
		b.WriteString(parts[r.Intn(3)] + parts[1+r.Intn(3)])
		if r.Intn(2) == 0 {
			b.WriteString(parts[4+r.Intn(4)])
		}
	case 6:
		b.WriteString([]string{"true", "false", "null"}[r.Intn(3)])
	default:
		b.WriteString(strings.Repeat(" ", r.Intn(3)))
		randomJSON(r, depth+1, b)
	}
}

func randomString(r *rand.Rand, b *strings.Builder) {
	pieces := []string{"a", "key", "é", "😀", `\n`, `\"`, `\\`, `\u00e9`, `\ud83d\ude00`, `\ud800`, "\xff", " "}
	b.WriteString(`"`)
	for i, n := 0, r.Intn(4); i < n; i++ {
		b.WriteString(pieces[r.Intn(len(pieces))])
	}
	b.WriteString(`"`)
}

func TestQuickParseAgreesOnRandomTexts(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	quick := 0
	const n = 20000
	for i := 0; i < n; i++ {
		var b strings.Builder
		randomJSON(r, 0, &b)
		text := b.String()
		if i%3 == 0 && len(text) > 0 { // damage one byte of a third of them
			at := r.Intn(len(text))
			text = text[:at] + string("{}[]\",: x1"[r.Intn(10)]) + text[at+1:]
		}
		if agree(t, text) {
			quick++
		}
	}
	if quick < n/2 {
		t.Fatalf("quickParse decoded only %d of %d texts itself", quick, n)
	}
}
