package aiwfrt

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Problem is one way a value breaks its contract type (docs/wire.md §6): where (a JSON
// Pointer), the keyword, what was expected and what was there.
type Problem struct {
	Pointer  string
	Keyword  string
	Expected string
	Actual   string
}

// String renders the problem as every aiwf runner does:
// "/tickets/0/urgency: maximum: expected at most 5, got 9".
func (p Problem) String() string {
	return p.Pointer + ": " + p.Keyword + ": expected " + p.Expected + ", got " + p.Actual
}

// Problems is every problem of v against t, in the order of docs/wire.md §6 (none: v is
// valid).
func Problems(v Value, t *Type) []Problem {
	var c checker
	c.check(v, t, nil)
	return c.out
}

// Summary joins problems as messages show them: at most three, joined by "; ", then
// " (and N more)".
func Summary(problems []Problem) string {
	const shown = 3
	parts := make([]string, 0, shown)
	for i, p := range problems {
		if i == shown {
			break
		}
		parts = append(parts, p.String())
	}
	text := strings.Join(parts, "; ")
	if len(problems) > shown {
		text += fmt.Sprintf(" (and %d more)", len(problems)-shown)
	}
	return text
}

// ValidationError is a value that breaks a contract: its problems, in order.
type ValidationError struct {
	Problems []Problem
}

// Error is the Summary of the problems.
func (e *ValidationError) Error() string { return Summary(e.Problems) }

// Check is nil when v is valid for t, else a *ValidationError with every problem.
func Check(v Value, t *Type) error {
	if problems := Problems(v, t); len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// Pointer is the RFC 6901 JSON Pointer of a path ("(root)" for the empty path).
func Pointer(path []any) string {
	if len(path) == 0 {
		return "(root)"
	}
	var b strings.Builder
	for _, part := range path {
		b.WriteByte('/')
		switch p := part.(type) {
		case int:
			b.WriteString(strconv.Itoa(p))
		case string:
			b.WriteString(strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1"))
		}
	}
	return b.String()
}

// shown is a value as a problem shows it: its canonical JSON, cut to 60 code points.
func shown(v Value) string {
	text := CanonicalString(v)
	if utf8.RuneCountInString(text) <= 60 {
		return text
	}
	return string([]rune(text)[:60]) + "..."
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func numberText(n *json.Number) string {
	text, err := canonicalNumber(*n)
	if err != nil {
		return string(*n)
	}
	return text
}

// kindOf is a value's JSON kind; an integral number is an integer.
func kindOf(v Value) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		if numberOf(x).isIntegral() {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []Value:
		return "array"
	case *Object:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

type checker struct {
	out []Problem
}

func (c *checker) add(path []any, keyword, expected, actual string) {
	c.out = append(c.out, Problem{Pointer(path), keyword, expected, actual})
}

func extend(path []any, part any) []any {
	return append(path[:len(path):len(path)], part)
}

func (c *checker) kind(path []any, t *Type, name, got string) {
	if t.Nullable && name != "null" {
		name += " or null"
	}
	c.add(path, "type", name, got)
}

func (c *checker) check(v Value, t *Type, path []any) {
	if v == nil && t.Nullable {
		return
	}
	if t.Kind == "ref" {
		c.check(v, t.resolved(), path)
		return
	}
	kind := kindOf(v)
	switch t.Kind {
	case "any":
	case "never":
		c.add(path, "not", "no value here", shown(v))
	case "null":
		if v != nil {
			c.kind(path, t, "null", kind)
		}
	case "boolean":
		if kind != "boolean" {
			c.kind(path, t, "boolean", kind)
		}
	case "integer", "number":
		c.number(v, t, path, kind)
	case "string":
		c.string(v, t, path, kind)
	case "enum":
		for _, allowed := range t.Values {
			if Equal(v, allowed) {
				return
			}
		}
		c.add(path, "enum", "one of "+CanonicalString(t.Values), shown(v))
	case "const":
		if !Equal(v, t.Const) {
			c.add(path, "const", CanonicalString(t.Const), shown(v))
		}
	case "array":
		c.array(v, t, path, kind)
	case "object":
		c.object(v, t, path, kind)
	case "union":
		matches := 0
		for _, variant := range t.Variants {
			if len(Problems(v, variant)) == 0 {
				matches++
			}
		}
		n := len(t.Variants)
		switch {
		case !t.Exclusive && matches == 0:
			c.add(path, "anyOf", fmt.Sprintf("a match for one of %d variants", n), "none")
		case t.Exclusive && matches == 0:
			c.add(path, "oneOf", fmt.Sprintf("exactly one of %d variants", n), "none")
		case t.Exclusive && matches > 1:
			c.add(path, "oneOf", fmt.Sprintf("exactly one of %d variants", n), fmt.Sprintf("%d matches", matches))
		}
	case "intersection":
		for _, variant := range t.Variants {
			c.check(v, variant, path)
		}
	case "by_kind":
		var facet *Type
		switch kind {
		case "object":
			facet = t.ObjectFacet
		case "array":
			facet = t.ArrayFacet
		case "string":
			facet = t.StringFacet
		case "integer", "number":
			facet = t.NumberFacet
		}
		if facet != nil {
			c.check(v, facet, path)
		}
	}
}

func (c *checker) number(v Value, t *Type, path []any, kind string) {
	if kind != "integer" && kind != "number" {
		c.kind(path, t, t.Kind, kind)
		return
	}
	if t.Kind == "integer" && kind != "integer" {
		c.kind(path, t, "integer", "number")
		return
	}
	n := numberOf(v.(json.Number))
	bound := func(b *json.Number, keyword, words string, fails func(int) bool) {
		if b != nil && fails(n.cmp(numberOf(*b))) {
			c.add(path, keyword, words+numberText(b), shown(v))
		}
	}
	bound(t.Minimum, "minimum", "at least ", func(c int) bool { return c < 0 })
	bound(t.Maximum, "maximum", "at most ", func(c int) bool { return c > 0 })
	bound(t.ExclusiveMinimum, "exclusiveMinimum", "more than ", func(c int) bool { return c <= 0 })
	bound(t.ExclusiveMaximum, "exclusiveMaximum", "less than ", func(c int) bool { return c >= 0 })
	if t.MultipleOf != nil && !n.multipleOf(numberOf(*t.MultipleOf)) {
		c.add(path, "multipleOf", "a multiple of "+numberText(t.MultipleOf), shown(v))
	}
}

func (c *checker) string(v Value, t *Type, path []any, kind string) {
	if kind != "string" {
		c.kind(path, t, "string", kind)
		return
	}
	s := v.(string)
	length := utf8.RuneCountInString(s)
	if t.MinLength != nil && length < *t.MinLength {
		c.add(path, "minLength", "at least "+plural(*t.MinLength, "character"), plural(length, "character"))
	}
	if t.MaxLength != nil && length > *t.MaxLength {
		c.add(path, "maxLength", "at most "+plural(*t.MaxLength, "character"), plural(length, "character"))
	}
	if t.Pattern != nil {
		if re := compiledPattern(*t.Pattern); re != nil && !re.MatchString(s) {
			c.add(path, "pattern", "a match for "+*t.Pattern, shown(v))
		}
	}
	if t.Format != "" && !CheckFormat(t.Format, s) {
		c.add(path, "format", "a valid "+t.Format, shown(v))
	}
}

func (c *checker) array(v Value, t *Type, path []any, kind string) {
	if kind != "array" {
		c.kind(path, t, "array", kind)
		return
	}
	items := v.([]Value)
	if t.MinItems != nil && len(items) < *t.MinItems {
		c.add(path, "minItems", "at least "+plural(*t.MinItems, "item"), plural(len(items), "item"))
	}
	if t.MaxItems != nil && len(items) > *t.MaxItems {
		c.add(path, "maxItems", "at most "+plural(*t.MaxItems, "item"), plural(len(items), "item"))
	}
	if t.UniqueItems {
		for i := range items {
			repeated := false
			for j := 0; j < i; j++ {
				if Equal(items[i], items[j]) {
					repeated = true
					break
				}
			}
			if repeated {
				c.add(path, "uniqueItems", "unique items", fmt.Sprintf("a repeated item at index %d", i))
				break
			}
		}
	}
	for i, item := range items {
		c.check(item, t.Items, extend(path, i))
	}
}

func (c *checker) object(v Value, t *Type, path []any, kind string) {
	if kind != "object" {
		c.kind(path, t, "object", kind)
		return
	}
	obj := v.(*Object)
	declared := make(map[string]bool, len(t.Properties))
	for _, p := range t.Properties {
		declared[p.Name] = true
		if value, ok := obj.Get(p.Name); ok {
			c.check(value, p.Type, extend(path, p.Name))
		} else if p.Required {
			c.add(path, "required", "property "+Quote(p.Name), "nothing")
		}
	}
	if t.AdditionalAllowed && t.Additional == nil {
		return
	}
	var others []string
	for _, k := range obj.keys {
		if !declared[k] {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	for _, k := range others {
		if !t.AdditionalAllowed {
			c.add(path, "additionalProperties", "no property "+Quote(k), "property "+Quote(k))
		} else {
			c.check(obj.value(k), t.Additional, extend(path, k))
		}
	}
}

var patterns sync.Map // pattern -> *regexp.Regexp, nil when RE2 cannot compile it

// compiledPattern is a JSON Schema pattern compiled with Go's RE2 engine; nil for a
// pattern RE2 cannot compile (lookaround, backreferences), which is then not checked.
func compiledPattern(pattern string) *regexp.Regexp {
	if cached, ok := patterns.Load(pattern); ok {
		re, _ := cached.(*regexp.Regexp)
		return re
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		re = nil
	}
	patterns.Store(pattern, re)
	return re
}
