package aiwfrt

import "strings"

// Binding is how a step's input (or a workflow's result) is built from the values of a run,
// with the aiwf engine's rules (aiwf/engine/_bindings.py): a reference reads the workflow
// input, a step's output, the scatter item or index and walks its path; a path that leads
// nowhere is Missing, which an object template leaves out, an array template and a whole
// value turn into null, and a string template into nothing.
type Binding interface {
	eval(s *scope) Value
}

type scope struct {
	input   Value
	outputs map[string]Value
	item    Value
	index   int // -1 outside a scattered step
}

type refBinding struct {
	root string // input, step, item or index
	step string
	path []any
}

func (b refBinding) eval(s *scope) Value {
	var base Value
	switch b.root {
	case "input":
		base = s.input
	case "step":
		found, ok := s.outputs[b.step]
		if !ok {
			return Missing
		}
		base = found
	case "item":
		base = s.item
	case "index":
		if s.index < 0 {
			return Missing
		}
		base = Int(s.index)
	}
	if IsMissing(base) || len(b.path) == 0 {
		return base
	}
	return At(base, b.path...)
}

// Input reads the workflow input at path (string keys, int indexes).
func Input(path ...any) Binding { return refBinding{root: "input", path: path} }

// StepOutput reads the output of a step at path.
func StepOutput(step string, path ...any) Binding {
	return refBinding{root: "step", step: step, path: path}
}

// Item reads the scatter item at path.
func Item(path ...any) Binding { return refBinding{root: "item", path: path} }

// Index is the scatter index.
func Index() Binding { return refBinding{root: "index"} }

type literalBinding struct{ value Value }

func (b literalBinding) eval(*scope) Value { return b.value }

// Literal is a JSON value written in the spec (JSON text).
func Literal(json string) Binding { return literalBinding{MustParse(json)} }

type templateBinding struct{ parts []any }

func (b templateBinding) eval(s *scope) Value {
	var out strings.Builder
	for _, part := range b.parts {
		switch p := part.(type) {
		case string:
			out.WriteString(p)
		case Binding:
			out.WriteString(Interpolate(p.eval(s)))
		}
	}
	return out.String()
}

// Template is a string template: string parts are text, Binding parts are interpolated.
func Template(parts ...any) Binding { return templateBinding{parts} }

// Interpolate is how a value appears inside a string template (docs/wire.md §3): a string
// as it is, Missing as nothing, any other value as canonical JSON with every object's
// members sorted.
func Interpolate(v Value) string {
	switch x := v.(type) {
	case missing:
		return ""
	case string:
		return x
	}
	return CanonicalString(InContractOrder(v, nil))
}

type objectBinding struct {
	keys   []string
	values []Binding
}

func (b objectBinding) eval(s *scope) Value {
	out := NewObject()
	for i, key := range b.keys {
		if v := b.values[i].eval(s); !IsMissing(v) {
			out.Set(key, v)
		}
	}
	return out
}

// ObjectTemplate is an object template from key, Binding pairs.
func ObjectTemplate(pairs ...any) Binding {
	var b objectBinding
	for i := 0; i+1 < len(pairs); i += 2 {
		b.keys = append(b.keys, pairs[i].(string))
		b.values = append(b.values, pairs[i+1].(Binding))
	}
	return b
}

type arrayBinding struct{ items []Binding }

func (b arrayBinding) eval(s *scope) Value {
	out := make([]Value, len(b.items))
	for i, item := range b.items {
		out[i] = Whole(item.eval(s))
	}
	return out
}

// ArrayTemplate is an array template.
func ArrayTemplate(items ...Binding) Binding { return arrayBinding{items} }

// evaluate is the value of a whole binding (Missing becomes null).
func evaluate(b Binding, s *scope) Value { return Whole(b.eval(s)) }
