package aiwfrt

import (
	"encoding/json"
	"unicode/utf8"
)

// A one-pass decoder of JSON texts into Values, for the texts a call reads (request
// templates, answers, the model's output). encoding/json's token stream, which Parse used
// alone before, allocates for every token and costs most of a call's CPU. This decoder
// gives exactly what the token stream gives (member order, duplicate keys resolved the
// same way, number text kept, strings decoded by encoding/json whenever they hold an
// escape or a byte that is not plain UTF-8), and leaves to encoding/json every text it
// does not accept, so that errors and their messages stay encoding/json's.

// maxDepth is encoding/json's limit on nesting.
const maxDepth = 10000

type parser struct {
	data  []byte
	pos   int
	depth int
}

// quickParse decodes data as Parse does; ok is false when the text is to be left to
// encoding/json (it is invalid, or nested deeper than encoding/json allows).
func quickParse(data []byte) (v Value, ok bool) {
	p := parser{data: data}
	v, ok = p.value()
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.pos == len(p.data)
}

func (p *parser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (Value, bool) {
	p.space()
	if p.pos >= len(p.data) {
		return nil, false
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.word("true")
	case c == 'f':
		return false, p.word("false")
	case c == 'n':
		return nil, p.word("null")
	}
	return nil, false
}

func (p *parser) word(w string) bool {
	if len(p.data)-p.pos < len(w) || string(p.data[p.pos:p.pos+len(w)]) != w {
		return false
	}
	p.pos += len(w)
	return true
}

func (p *parser) object() (Value, bool) {
	if p.depth++; p.depth > maxDepth {
		return nil, false
	}
	p.pos++ // {
	o := NewObject()
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return o, true
	}
	for {
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, false
		}
		key, ok := p.str()
		if !ok {
			return nil, false
		}
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, false
		}
		p.pos++
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		o.Set(key.(string), v)
		p.space()
		if p.pos >= len(p.data) {
			return nil, false
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return o, true
		default:
			return nil, false
		}
	}
}

func (p *parser) array() (Value, bool) {
	if p.depth++; p.depth > maxDepth {
		return nil, false
	}
	p.pos++ // [
	list := []Value{}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return list, true
	}
	for {
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		list = append(list, v)
		p.space()
		if p.pos >= len(p.data) {
			return nil, false
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return list, true
		default:
			return nil, false
		}
	}
}

// str reads a string: as it is when it holds no escape and is plain UTF-8, else through
// encoding/json (escapes, surrogates, and invalid UTF-8 replaced as it replaces them).
func (p *parser) str() (Value, bool) {
	start := p.pos
	escaped, ascii := false, true
	i := start + 1
	for ; i < len(p.data); i++ {
		c := p.data[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			escaped = true
			i++ // the escaped byte cannot end the string
			continue
		}
		if c < 0x20 {
			return nil, false // a control character: encoding/json refuses the text
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if i >= len(p.data) {
		return nil, false
	}
	p.pos = i + 1
	body := p.data[start+1 : i]
	if !escaped && (ascii || utf8.Valid(body)) {
		return string(body), true
	}
	var s string
	if json.Unmarshal(p.data[start:i+1], &s) != nil {
		return nil, false
	}
	return s, true
}

// number reads a number as JSON's grammar has it and keeps its text (json.Number).
func (p *parser) number() (Value, bool) {
	d, start := p.data, p.pos
	i := start
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i++; i < len(d) && d[i] >= '0' && d[i] <= '9'; i++ {
		}
	default:
		return nil, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return nil, false
		}
		for ; i < len(d) && d[i] >= '0' && d[i] <= '9'; i++ {
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return nil, false
		}
		for ; i < len(d) && d[i] >= '0' && d[i] <= '9'; i++ {
		}
	}
	p.pos = i
	return json.Number(d[start:i]), true
}
