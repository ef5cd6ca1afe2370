package aiwfrt

import (
	"sort"
	"strings"
)

// InContractOrder is v with every object's members in contract order (docs/wire.md §2)
// against schema, a JSON Schema whose $refs point into itself (nil: untyped): the members
// the schema declares first, in declaration order, then the others sorted by code point.
// So a caller's member order never reaches the wire.
func InContractOrder(v Value, schema Value) Value {
	root, _ := schema.(*Object)
	return order(v, schema, root)
}

const maxSchemaDepth = 64

func resolveSchema(schema Value, root *Object) Value {
	for hops := 0; hops < maxSchemaDepth; hops++ {
		obj, ok := schema.(*Object)
		if !ok {
			return schema
		}
		ref, ok := At(obj, "$ref").(string)
		if !ok {
			return schema
		}
		if root == nil || !strings.HasPrefix(ref, "#") {
			return nil
		}
		var target Value = root
		parts := strings.Split(ref[1:], "/")
		for _, part := range parts[1:] {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			next, ok := target.(*Object)
			if !ok {
				return nil
			}
			found, ok := next.Get(part)
			if !ok {
				return nil
			}
			target = found
		}
		schema = target
	}
	return schema
}

type declaredMember struct {
	name   string
	schema Value
}

// declared appends the members schema declares (its properties, then those of each allOf,
// anyOf and oneOf variant), each name once, with the first schema declaring it.
func declared(schema Value, root *Object, found []declaredMember, seen map[string]bool, depth int) []declaredMember {
	obj, ok := resolveSchema(schema, root).(*Object)
	if !ok || depth > maxSchemaDepth {
		return found
	}
	if props, ok := At(obj, "properties").(*Object); ok {
		for _, name := range props.keys {
			if !seen[name] {
				seen[name] = true
				found = append(found, declaredMember{name, props.value(name)})
			}
		}
	}
	for _, keyword := range []string{"allOf", "anyOf", "oneOf"} {
		if variants, ok := At(obj, keyword).([]Value); ok {
			for _, variant := range variants {
				found = declared(variant, root, found, seen, depth+1)
			}
		}
	}
	return found
}

func order(v Value, schema Value, root *Object) Value {
	schema = resolveSchema(schema, root)
	obj, typed := schema.(*Object)
	typed = typed && obj.Len() > 0
	switch x := v.(type) {
	case []Value:
		var items Value
		if typed {
			items = At(obj, "items")
			if IsMissing(items) {
				items = nil
			}
		}
		out := make([]Value, len(x))
		for i, item := range x {
			out[i] = order(item, items, root)
		}
		return out
	case *Object:
		out := NewObject()
		var extra Value
		if typed {
			seen := map[string]bool{}
			for _, member := range declared(obj, root, nil, seen, 0) {
				if value, ok := x.Get(member.name); ok {
					out.Set(member.name, order(value, member.schema, root))
				}
			}
			if additional, ok := At(obj, "additionalProperties").(*Object); ok {
				extra = additional
			}
		}
		var rest []string
		for _, k := range x.keys {
			if _, done := out.Get(k); !done {
				rest = append(rest, k)
			}
		}
		sort.Strings(rest) // UTF-8 byte order is code point order
		for _, k := range rest {
			out.Set(k, order(x.value(k), extra, root))
		}
		return out
	}
	return v
}
