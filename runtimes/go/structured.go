package aiwfrt

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// wrapKey is the property a non-object output is wrapped in.
const wrapKey = "value"

// The repair turns of docs/wire.md §3.
const (
	repairTail        = "\nReply again with only the corrected, complete JSON value."
	repairNotJSON     = "Your previous answer is not valid JSON." + repairTail
	repairCutOff      = "Your previous answer was cut off before the JSON was complete." + repairTail
	repairInvalidHead = "Your previous answer is not valid against the output schema: "
	promptInstruction = "Respond with only one JSON value that matches this JSON Schema: no prose, no code fences.\n"
)

// answerProblem is why an answer needs repair: it is not JSON, it was cut off, or it
// breaks the output contract.
type answerProblem struct {
	outcome  string // invalid or truncated
	notJSON  bool
	problems []Problem
}

// repairTurn is the user turn that asks for a corrected answer.
func (p *answerProblem) repairTurn() string {
	switch {
	case p.outcome == "truncated":
		return repairCutOff
	case p.notJSON:
		return repairNotJSON
	}
	return repairInvalidHead + Summary(p.problems) + repairTail
}

// summary is what the R006 message says about the last answer.
func (p *answerProblem) summary() string {
	switch {
	case p.outcome == "truncated":
		return "the answer was cut off before the JSON was complete"
	case p.notJSON:
		return "the answer is not valid JSON"
	}
	return Summary(p.problems)
}

// checkAnswer parses and validates an answer against the request's output contract. It
// returns the value, the assistant turn to send back if a repair follows, and the problem.
func checkAnswer(ex *exchange, c *completion) (Value, string, *answerProblem) {
	out := ex.req.Output
	if out == nil {
		return c.text, c.text, nil
	}
	turn := c.text
	var value Value
	var err error
	switch {
	case c.hasValue:
		value = c.value
	case ex.mode == "prompt":
		value, err = extractJSON(c.text)
	default:
		value, err = Parse([]byte(c.text))
	}
	if err != nil {
		if c.truncated {
			return nil, turn, &answerProblem{outcome: "truncated", notJSON: true}
		}
		return nil, turn, &answerProblem{outcome: "invalid", notJSON: true}
	}
	if c.hasValue {
		turn = CanonicalString(InContractOrder(value, ex.wire.schema))
	}
	if ex.wire.strict {
		value = stripOptionalNulls(value, out.Wrapped, out.Wrapped)
	}
	if ex.wire.wrapped {
		obj, _ := value.(*Object)
		inner, ok := obj.Get(wrapKey)
		if !ok {
			return nil, turn, &answerProblem{outcome: "invalid", problems: []Problem{{"(root)", "required", "property " + Quote(wrapKey), "nothing"}}}
		}
		value = inner
	}
	if problems := Problems(value, out.Type); len(problems) > 0 {
		return nil, turn, &answerProblem{outcome: "invalid", problems: problems}
	}
	return value, turn, nil
}

// resolveIn follows a schema's $refs within root.
func resolveIn(schema, root Value) Value {
	r, _ := root.(*Object)
	if resolved := resolveSchema(schema, r); resolved != nil {
		return resolved
	}
	return schema
}

func allowsNull(schema, root Value) bool {
	schema = resolveIn(schema, root)
	obj, ok := schema.(*Object)
	if schema == true || (ok && obj.Len() == 0) {
		return true
	}
	if !ok {
		return false
	}
	switch t := At(obj, "type").(type) {
	case string:
		if t == "null" {
			return true
		}
	case []Value:
		for _, x := range t {
			if x == "null" {
				return true
			}
		}
	}
	if enum, ok := At(obj, "enum").([]Value); ok {
		for _, e := range enum {
			if e == nil {
				return true
			}
		}
	}
	if c, ok := obj.Get("const"); ok && c == nil {
		return true
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		list, _ := At(obj, key).([]Value)
		for _, s := range list {
			if allowsNull(s, root) {
				return true
			}
		}
	}
	return false
}

// stripOptionalNulls drops the nulls OpenAI strict mode made the model send for properties
// that schema does not require and that do not allow null themselves.
func stripOptionalNulls(value, schema, root Value) Value {
	s, ok := resolveIn(schema, root).(*Object)
	if !ok {
		return value
	}
	switch v := value.(type) {
	case *Object:
		props, ok := At(s, "properties").(*Object)
		if !ok {
			return value
		}
		required := map[string]bool{}
		list, _ := At(s, "required").([]Value)
		for _, r := range list {
			if name, ok := r.(string); ok {
				required[name] = true
			}
		}
		out := NewObject()
		for _, key := range v.keys {
			item := v.value(key)
			sub, declared := props.Get(key)
			if item == nil && declared && !required[key] && !allowsNull(sub, root) {
				continue
			}
			if declared {
				item = stripOptionalNulls(item, sub, root)
			}
			out.Set(key, item)
		}
		return out
	case []Value:
		if items, ok := At(s, "items").(*Object); ok {
			out := make([]Value, len(v))
			for i, item := range v {
				out[i] = stripOptionalNulls(item, items, root)
			}
			return out
		}
	}
	return value
}

var fence = regexp.MustCompile("(?s)```(?:json|JSON)?\\s*\\n?(.*?)```")

// extractJSON finds the JSON value in a free-text answer: the whole text, else a fenced
// block, else the first { or [ that starts a complete JSON value.
func extractJSON(text string) (Value, error) {
	v, err := Parse([]byte(strings.TrimSpace(text)))
	if err == nil {
		return v, nil
	}
	for _, m := range fence.FindAllStringSubmatch(text, -1) {
		if fv, ferr := Parse([]byte(strings.TrimSpace(m[1]))); ferr == nil {
			return fv, nil
		}
	}
	for i, c := range text {
		if c != '{' && c != '[' {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(text[i:])))
		dec.UseNumber()
		if pv, perr := parseValue(dec); perr == nil {
			return pv, nil
		}
	}
	return nil, err
}

// schemaName is a text.format / tool name: the contract's name with every character
// outside [A-Za-z0-9_-] replaced by _, cut to 64 characters ("output" when empty).
func schemaName(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range name {
		if n == 64 {
			break
		}
		if (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		n++
	}
	if b.Len() == 0 {
		return "output"
	}
	return b.String()
}
