package workload

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// variant is one shape of a tagged union block (rate, message.size,
// message.payload, keys): the fields it requires and the ones it may
// take. Every other field of the block, but the tag, must be unset.
type variant struct {
	required []string
	optional []string
}

// fields returns the variant's fields, required first.
func (v variant) fields() []string { return append(slices.Clone(v.required), v.optional...) }

// uses reports whether the variant takes field.
func (v variant) uses(field string) bool {
	return slices.Contains(v.required, field) || slices.Contains(v.optional, field)
}

// checkVariant checks the block block (a struct value) at path for the
// variant called name, whose tag field is tag: a required field missing
// from the file, or a field set (in the file, or non-zero in code) that
// the variant does not use, is an error naming the field.
func (s *Scenario) checkVariant(path string, block any, tag, kind, name string, vr variant) *Error {
	v := reflect.ValueOf(block)
	names, index := fieldNames(v.Type())
	for j, n := range names {
		if n == tag || vr.uses(n) {
			continue
		}
		if s.set(path+"."+n, v.Field(index[j])) {
			return s.errorf(path+"."+n, "not used by %s %s (%s)", kind, quote(name), vr.describe())
		}
	}
	for _, n := range vr.required {
		if s.missing(path + "." + n) {
			return s.errorf(path+"."+n, "required for %s %s (%s)", kind, quote(name), vr.describe())
		}
	}
	return nil
}

// describe lists the variant's fields for error messages.
func (v variant) describe() string {
	if len(v.required)+len(v.optional) == 0 {
		return "it takes no other fields"
	}
	var b strings.Builder
	b.WriteString("its fields: ")
	b.WriteString(strings.Join(v.required, ", "))
	if len(v.optional) > 0 {
		if len(v.required) > 0 {
			b.WriteString(", ")
		}
		b.WriteString("optional ")
		b.WriteString(strings.Join(v.optional, ", "))
	}
	return b.String()
}

// marshalVariant writes block (a struct value) as a JSON object holding
// its tag field, the variant's required fields and its optional fields
// that are non-zero, in declaration order, so that the JSON form parses
// back to the same block without fields the variant does not use.
func marshalVariant(block any, tag string, vr variant) ([]byte, error) {
	v := reflect.ValueOf(block)
	names, index := fieldNames(v.Type())
	var b bytes.Buffer
	b.WriteByte('{')
	for j, n := range names {
		f := v.Field(index[j])
		switch {
		case n == tag, slices.Contains(vr.required, n):
		case slices.Contains(vr.optional, n) && !f.IsZero():
		default:
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		b.Write(k)
		b.WriteByte(':')
		val, err := json.Marshal(f.Interface())
		if err != nil {
			return nil, err
		}
		b.Write(val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// union lists a tagged union's variants in documentation order.
type union []namedVariant

// namedVariant is one variant of a union and its tag value.
type namedVariant struct {
	name string
	variant
}

// get returns the variant called name.
func (u union) get(name string) (variant, bool) {
	for _, nv := range u {
		if nv.name == name {
			return nv.variant, true
		}
	}
	return variant{}, false
}

// names lists the variants' names as "a, b or c".
func (u union) names() string {
	var b strings.Builder
	for i, nv := range u {
		switch {
		case i == 0:
		case i == len(u)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(nv.name)
	}
	return b.String()
}

// unmarshalScalarOr unmarshals the JSON b of a block written either as a
// scalar or as a mapping (Range, SizeSpec): an object (or null, the zero
// block) as the mapping's fields F, passed to fields, anything else as a
// scalar S, passed to scalar.
func unmarshalScalarOr[S, F any](b []byte, scalar func(S), fields func(F)) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' || string(b) == "null" {
		var f F
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		fields(f)
		return nil
	}
	var v S
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	scalar(v)
	return nil
}
