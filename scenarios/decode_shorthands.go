package scenarios

import (
	"reflect"

	"github.com/goccy/go-yaml/ast"
)

// The shorthands of the scenario grammar: a plain value where a mapping is
// expected, read as the mapping it stands for.

// decodeNode reads `size: 4KiB` as {dist: fixed, value: 4KiB} and a mapping
// as itself.
func (sd *SizeDist) decodeNode(d *decoder, n ast.Node, path string) error {
	if _, ok := entries(n); ok {
		type plain SizeDist // no decodeNode: decoded field by field
		return d.decodeStruct(n, reflect.ValueOf((*plain)(sd)).Elem(), path)
	}
	var v Size
	if err := v.decodeNode(d, n, path); err != nil {
		return err
	}
	*sd = SizeDist{Dist: DistFixed, Value: v}
	d.nodes[childPath(path, "value")] = n
	return nil
}

// decodeNode reads `until: oom` and `until: enomem` as {oom: true} and
// {enomem: true}, and a mapping as itself.
func (u *Until) decodeNode(d *decoder, n ast.Node, path string) error {
	if _, ok := entries(n); ok {
		type plain Until
		return d.decodeStruct(n, reflect.ValueOf((*plain)(u)).Elem(), path)
	}
	text, _ := scalarText(n)
	switch text {
	case "oom":
		*u = Until{OOM: true}
	case "enomem":
		*u = Until{ENOMEM: true}
	default:
		return errAt(n, path, "want %s, got %s", untilWant(), got(n))
	}
	d.nodes[childPath(path, text)] = n
	return nil
}

// decodeNode reads `free: all` (any pattern name) as {pattern: all}, and a
// mapping as itself.
func (f *Free) decodeNode(d *decoder, n ast.Node, path string) error {
	if _, ok := entries(n); ok {
		type plain Free
		return d.decodeStruct(n, reflect.ValueOf((*plain)(f)).Elem(), path)
	}
	text, err := scalar(n, path, "want a pattern like all or every-other, or a mapping with pattern")
	if err != nil {
		return err
	}
	*f = Free{Selection: Selection{Pattern: Pattern(text)}}
	d.nodes[childPath(path, "pattern")] = n
	return nil
}
