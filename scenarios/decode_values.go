package scenarios

import (
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Filling Go values from YAML nodes: scalars of the matching YAML type, and
// structs from mappings whose keys must all be known.

// decodeScalar fills a string, integer, float or bool from a scalar node of
// the same YAML type.
func decodeScalar(n ast.Node, v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.String:
		switch s := n.(type) {
		case *ast.StringNode:
			v.SetString(s.Value)
			return nil
		case *ast.LiteralNode:
			v.SetString(s.Value.Value)
			return nil
		}
		return errAt(n, path, "want a string, got %s", got(n))
	case reflect.Int, reflect.Int64, reflect.Int32:
		in, ok := n.(*ast.IntegerNode)
		if !ok {
			return errAt(n, path, "want an integer, got %s", got(n))
		}
		i, ok := intValue(in)
		if !ok || v.OverflowInt(i) {
			return errAt(n, path, "want an integer in range, got %s", got(n))
		}
		v.SetInt(i)
		return nil
	case reflect.Uint64, reflect.Uint, reflect.Uint32:
		in, ok := n.(*ast.IntegerNode)
		if !ok {
			return errAt(n, path, "want a non-negative integer, got %s", got(n))
		}
		var u uint64
		switch x := in.Value.(type) {
		case int64:
			if x < 0 {
				return errAt(n, path, "want a non-negative integer, got %s", got(n))
			}
			u = uint64(x)
		case uint64:
			u = x
		}
		if v.OverflowUint(u) {
			return errAt(n, path, "want an integer in range, got %s", got(n))
		}
		v.SetUint(u)
		return nil
	case reflect.Float64:
		switch f := n.(type) {
		case *ast.FloatNode:
			v.SetFloat(f.Value)
			return nil
		case *ast.IntegerNode:
			i, _ := intValue(f)
			v.SetFloat(float64(i))
			return nil
		}
		return errAt(n, path, "want a number, got %s", got(n))
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			return errAt(n, path, "want true or false, got %s", got(n))
		}
		v.SetBool(b.Value)
		return nil
	}
	return errAt(n, path, "cannot decode into %s", v.Type())
}

// structField is one settable key of a struct, inline embedded fields
// flattened.
type structField struct {
	name  string
	index []int
}

// fieldsOf lists the YAML keys of a struct type in declaration order.
func fieldsOf(t reflect.Type) []structField {
	var out []structField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && strings.Contains(opts, "inline") {
			for _, sub := range fieldsOf(f.Type) {
				out = append(out, structField{sub.name, append([]int{i}, sub.index...)})
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, structField{name, []int{i}})
	}
	return out
}

// decodeStruct fills a struct from a mapping, refusing unknown keys.
func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) error {
	kvs, ok := entries(n)
	if !ok {
		return errAt(n, path, "want a mapping, got %s", got(n))
	}
	fields, ok := d.fields[v.Type()]
	if !ok {
		fields = fieldsOf(v.Type())
		d.fields[v.Type()] = fields
	}
	for _, kv := range kvs {
		k, err := key(kv, path)
		if err != nil {
			return err
		}
		var f *structField
		for i := range fields {
			if fields[i].name == k {
				f = &fields[i]
			}
		}
		if f == nil {
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = f.name
			}
			return errAt(kv.Key, path, "unknown key %q, want one of %s", k, strings.Join(names, ", "))
		}
		p := childPath(path, k)
		d.nodes[p+"<key>"] = kv.Key
		if err := d.decode(kv.Value, v.FieldByIndex(f.index), p); err != nil {
			return err
		}
	}
	return nil
}

// scalar returns the text of a scalar node or a "want" error.
func scalar(n ast.Node, path, want string) (string, error) {
	s, ok := scalarText(n)
	if !ok {
		return "", errAt(n, path, "%s, got %s", want, got(n))
	}
	return s, nil
}
