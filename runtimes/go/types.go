package aiwfrt

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Type is a contract type of aiwf's type model (the IR's types, aiwf/_ir/types.py): what
// the generated code validates values against. Kind is one of any, never, null, boolean,
// integer, number, string, enum, const, array, object, union, intersection, by_kind and
// ref; the other fields are those of the kind.
type Type struct {
	Kind     string
	Nullable bool

	// integer and number
	Minimum, Maximum, ExclusiveMinimum, ExclusiveMaximum, MultipleOf *json.Number
	// string
	MinLength, MaxLength *int
	Pattern              *string
	Format               string
	// enum and const
	Values []Value
	Const  Value
	// array
	Items              *Type
	MinItems, MaxItems *int
	UniqueItems        bool
	// object: Additional nil with AdditionalAllowed true is any other member, nil with
	// AdditionalAllowed false is none, a type is a map of other members to it.
	Properties        []Property
	Additional        *Type
	AdditionalAllowed bool
	// union (Exclusive: oneOf) and intersection
	Variants  []*Type
	Exclusive bool
	// by_kind: the facet that applies to a value of each kind (nil: any value passes)
	ObjectFacet, ArrayFacet, StringFacet, NumberFacet *Type
	// ref: a contract of the same Types
	Ref   string
	types *Types
}

// Property is a property of an object type (Name is the exact JSON key).
type Property struct {
	Name     string
	Type     *Type
	Required bool
}

// Types are the contract types of an SDK, by contract name; a ref type resolves within
// the Types it was read with.
type Types struct {
	byName map[string]*Type
}

// MustTypes reads the contract types of an SDK: contract name -> the type as the aiwf IR
// writes it in JSON (generated code; it panics on a malformed descriptor).
func MustTypes(descriptors map[string]string) *Types {
	ts := &Types{byName: map[string]*Type{}}
	names := make([]string, 0, len(descriptors))
	for name := range descriptors {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t, err := ts.Parse(descriptors[name])
		if err != nil {
			panic(fmt.Sprintf("aiwfrt: contract %q: %v", name, err))
		}
		ts.byName[name] = t
	}
	return ts
}

// Contract is the type of the named contract; it panics on an unknown name (generated
// code names only its own contracts).
func (ts *Types) Contract(name string) *Type {
	t, ok := ts.byName[name]
	if !ok {
		panic(fmt.Sprintf("aiwfrt: no contract %q", name))
	}
	return t
}

// Lookup is the type of the named contract and whether there is one.
func (ts *Types) Lookup(name string) (*Type, bool) {
	t, ok := ts.byName[name]
	return t, ok
}

// MustType reads one type (a nested type of a contract) within ts.
func (ts *Types) MustType(descriptor string) *Type {
	t, err := ts.Parse(descriptor)
	if err != nil {
		panic(fmt.Sprintf("aiwfrt: %v", err))
	}
	return t
}

// Parse reads a type as the aiwf IR writes it in JSON.
func (ts *Types) Parse(descriptor string) (*Type, error) {
	v, err := Parse([]byte(descriptor))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return ts.read(v)
}

func (ts *Types) read(v Value) (*Type, error) {
	obj, ok := v.(*Object)
	if !ok {
		return nil, fmt.Errorf("a type must be an object, not %s", kindOf(v))
	}
	t := &Type{types: ts}
	t.Kind, _ = At(obj, "kind").(string)
	t.Nullable, _ = At(obj, "nullable").(bool)
	num := func(key string) *json.Number {
		if n, ok := At(obj, key).(json.Number); ok {
			return &n
		}
		return nil
	}
	count := func(key string) *int {
		if n, ok := At(obj, key).(json.Number); ok {
			i, err := n.Int64()
			if err == nil {
				c := int(i)
				return &c
			}
		}
		return nil
	}
	sub := func(key string) (*Type, error) {
		x := At(obj, key)
		if IsMissing(x) || x == nil {
			return nil, nil
		}
		return ts.read(x)
	}
	var err error
	switch t.Kind {
	case "any", "never", "null", "boolean":
	case "integer", "number":
		t.Minimum, t.Maximum = num("minimum"), num("maximum")
		t.ExclusiveMinimum, t.ExclusiveMaximum = num("exclusive_minimum"), num("exclusive_maximum")
		t.MultipleOf = num("multiple_of")
	case "string":
		t.MinLength, t.MaxLength = count("min_length"), count("max_length")
		if p, ok := At(obj, "pattern").(string); ok {
			t.Pattern = &p
		}
		t.Format, _ = At(obj, "format").(string)
	case "enum":
		t.Values, _ = At(obj, "values").([]Value)
	case "const":
		t.Const = Whole(At(obj, "value"))
	case "array":
		t.MinItems, t.MaxItems = count("min_items"), count("max_items")
		t.UniqueItems, _ = At(obj, "unique_items").(bool)
		if t.Items, err = sub("items"); err != nil {
			return nil, err
		}
		if t.Items == nil {
			t.Items = &Type{Kind: "any", types: ts}
		}
	case "object":
		props, _ := At(obj, "properties").([]Value)
		for _, p := range props {
			name, _ := At(p, "name").(string)
			required, _ := At(p, "required").(bool)
			pt, err := ts.read(At(p, "type"))
			if err != nil {
				return nil, fmt.Errorf("property %q: %w", name, err)
			}
			t.Properties = append(t.Properties, Property{Name: name, Type: pt, Required: required})
		}
		switch a := At(obj, "additional").(type) {
		case bool:
			t.AdditionalAllowed = a
		case *Object:
			t.AdditionalAllowed = true
			if t.Additional, err = ts.read(a); err != nil {
				return nil, err
			}
		default:
			t.AdditionalAllowed = true
		}
	case "union", "intersection":
		t.Exclusive, _ = At(obj, "exclusive").(bool)
		variants, _ := At(obj, "variants").([]Value)
		for _, variant := range variants {
			vt, err := ts.read(variant)
			if err != nil {
				return nil, err
			}
			t.Variants = append(t.Variants, vt)
		}
	case "by_kind":
		for key, facet := range map[string]**Type{"object": &t.ObjectFacet, "array": &t.ArrayFacet, "string": &t.StringFacet, "number": &t.NumberFacet} {
			if *facet, err = sub(key); err != nil {
				return nil, err
			}
		}
	case "ref":
		t.Ref, _ = At(obj, "name").(string)
	default:
		return nil, fmt.Errorf("unknown type kind %q", t.Kind)
	}
	return t, nil
}

// resolved is the type a ref names (any: a name the Types do not hold).
func (t *Type) resolved() *Type {
	if target, ok := t.types.byName[t.Ref]; ok {
		return target
	}
	return &Type{Kind: "any"}
}
