package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// ScenarioError is a scenario file that cannot be used: a YAML syntax error,
// an unknown key, a value of the wrong type or an impossible value. It names
// the file, the 1-based line and column of the offending node and what was
// expected there, e.g.
//
//	scenarios/x.yaml:7:13: phases[0].allocate.size.min: want a size like 64, 4KiB or 2MiB, got "-3"
//
// The CLI maps it to exit status 2 (use errors.As).
type ScenarioError struct {
	File string // as given to Parse; "builtin:NAME" for the embedded library
	Line int    // 1-based; 0 when the position is unknown
	Col  int    // 1-based; 0 when the position is unknown
	Path string // the key path of the node, "phases[1].allocate.until"; "" for the whole file
	Msg  string // what is expected and what was found
}

// Error prints FILE:LINE:COL: PATH: MSG, leaving out what is unknown.
func (e *ScenarioError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// nodeDecoder is implemented by the scenario types that have their own YAML
// grammar (sizes, durations, shorthands).
type nodeDecoder interface {
	decodeNode(d *decoder, n ast.Node, path string) error
}

// decoder turns a goccy/go-yaml AST into the scenario types. It is strict:
// every key must name a field, every scalar must have the field's type (no
// 1.5 into an int, no "yes" into a bool), and it records the node of every
// path it decodes so that validation can point at the offending value.
//
// Aliases are expanded as they are met, so a small file can stand for a
// huge scenario (ten aliases of ten aliases of ... is 10^depth values). The
// decoder refuses, at the alias that crosses it, more than MaxValues values
// in all or a nesting deeper than maxDecodeDepth, and an alias inside the
// node its anchor names (which would expand forever).
type decoder struct {
	nodes   map[string]ast.Node // key path -> value node
	anchors map[string]ast.Node // anchor name -> anchored value
	open    map[string]bool     // anchors whose value is being decoded
	values  int                 // values decoded so far, aliases expanded
	depth   int                 // nesting of decode calls
	alias   ast.Node            // the outermost alias being expanded, nil outside one
	aliasAt string              // the path of alias

	fields map[reflect.Type][]structField // fieldsOf each struct type met
}

// MaxValues is how many values (scalars, mappings and lists) a scenario
// may hold once its aliases are expanded: a 256 KiB file written out holds
// fewer than MaxTokens.
const MaxValues = 1 << 16

// maxDecodeDepth bounds the nesting of decode calls: at most two per YAML
// level (a pointer field is decoded in two steps), and MaxDepth levels.
const maxDecodeDepth = 2*MaxDepth + 8

func newDecoder() *decoder {
	return &decoder{nodes: map[string]ast.Node{}, anchors: map[string]ast.Node{}, open: map[string]bool{},
		fields: map[reflect.Type][]structField{}}
}

// enter accounts for decoding one more value at n, one level deeper, and
// refuses the file past the bounds. The caller calls leave when done.
func (d *decoder) enter(n ast.Node, path string) error {
	d.values++
	d.depth++
	at := n
	if d.alias != nil {
		at, path = d.alias, d.aliasAt
	}
	switch {
	case d.values > MaxValues && d.alias != nil:
		return errAt(at, path, "want at most %d values once aliases are expanded, got more (an alias of aliases multiplies them)", MaxValues)
	case d.values > MaxValues:
		return errAt(at, path, "want at most %d values, got more", MaxValues)
	case d.depth > maxDecodeDepth:
		return errAt(at, path, "want values nested at most %d deep once aliases are expanded, got deeper", MaxDepth)
	}
	return nil
}

func (d *decoder) leave() { d.depth-- }

// errAt builds the error for node n at path.
func errAt(n ast.Node, path, format string, args ...any) *ScenarioError {
	e := &ScenarioError{Path: path, Msg: fmt.Sprintf(format, args...)}
	e.Line, e.Col = position(n)
	return e
}

// position is where a node starts: for a block mapping its first key (the
// parser's token for it is the first ':').
func position(n ast.Node) (line, col int) {
	switch m := n.(type) {
	case nil:
		return 0, 0
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 {
			return position(m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return position(m.Key)
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line, tk.Position.Column
	}
	return 0, 0
}

// intValue is an integer node's value as int64, false when it does not fit.
func intValue(n *ast.IntegerNode) (int64, bool) {
	switch x := n.Value.(type) {
	case int64:
		return x, true
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

// childPath appends a key to a path.
func childPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// scalarText is a scalar's text as written (without quotes), and whether n
// is a non-null scalar at all.
func scalarText(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		return n.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	}
	return "", false
}

// got describes what was found at n, for "want X, got Y" messages.
func got(n ast.Node) string {
	if s, ok := scalarText(n); ok {
		return strconv.Quote(s)
	}
	switch n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	return n.Type().String()
}

// resolve unwraps anchors and aliases and refuses tags and merge keys.
// The anchors it passes are open until the caller calls close with them.
func (d *decoder) resolve(n ast.Node, path string) (ast.Node, []string, error) {
	var opened []string
	for {
		switch a := n.(type) {
		case *ast.AnchorNode:
			name, _ := scalarText(a.Name)
			d.anchors[name] = a.Value
			if !d.open[name] {
				d.open[name] = true
				opened = append(opened, name)
			}
			n = a.Value
			continue
		case *ast.AliasNode:
			name, _ := scalarText(a.Value)
			v, ok := d.anchors[name]
			if !ok {
				return nil, opened, errAt(n, path, "alias *%s names no anchor defined before it", name)
			}
			if d.open[name] {
				return nil, opened, errAt(n, path, "alias *%s stands inside the value of its own anchor: want an alias of a complete value", name)
			}
			if d.alias == nil {
				d.alias, d.aliasAt = a, path
			}
			n = v
			continue
		case *ast.TagNode:
			return nil, opened, errAt(n, path, "YAML tags (%s) are not supported: write the value plainly", a.Start.Value)
		}
		return n, opened, nil
	}
}

// close ends what resolve opened: the anchors, and the alias expansion
// when alias is the one resolve started.
func (d *decoder) close(opened []string, outer ast.Node) {
	for _, name := range opened {
		delete(d.open, name)
	}
	d.alias = outer
}

// entries returns the key/value pairs of a mapping node.
func entries(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

// key returns the text of a mapping key, refusing merge keys and non-string keys.
func key(kv *ast.MappingValueNode, path string) (string, error) {
	if kv.Key.IsMergeKey() {
		return "", errAt(kv.Key, path, "merge keys (<<) are not supported")
	}
	k, ok := kv.Key.(*ast.StringNode)
	if !ok {
		return "", errAt(kv.Key, path, "want a key name, got %s", got(kv.Key))
	}
	return k.Value, nil
}

var nodeDecoderType = reflect.TypeFor[nodeDecoder]()

// decode fills v from n. path names n for errors and for d.nodes.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string) error {
	outer := d.alias
	n, opened, err := d.resolve(n, path)
	defer d.close(opened, outer)
	if err != nil {
		return err
	}
	if err := d.enter(n, path); err != nil {
		return err
	}
	defer d.leave()
	d.nodes[path] = n
	return d.decodeValue(n, v, path)
}

// decodeValue fills v from n, resolved and accounted for by decode.
func (d *decoder) decodeValue(n ast.Node, v reflect.Value, path string) error {
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecoderType) {
		return v.Addr().Interface().(nodeDecoder).decodeNode(d, n, path)
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return d.decodeValue(n, v.Elem(), path)
	case reflect.Struct:
		return d.decodeStruct(n, v, path)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			return errAt(n, path, "want a list, got %s", got(n))
		}
		s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			if err := d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		kvs, ok := entries(n)
		if !ok {
			return errAt(n, path, "want a mapping, got %s", got(n))
		}
		m := reflect.MakeMapWithSize(v.Type(), len(kvs))
		for _, kv := range kvs {
			k, err := key(kv, path)
			if err != nil {
				return err
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			p := childPath(path, k)
			d.nodes[p+"<key>"] = kv.Key
			if elem.Kind() == reflect.String {
				// Map values (env) keep any scalar as written: GOGC: 100.
				if err := d.enter(kv.Value, p); err != nil {
					return err
				}
				d.leave()
				text, ok := scalarText(kv.Value)
				if !ok {
					return errAt(kv.Value, p, "want a string, got %s", got(kv.Value))
				}
				d.nodes[p] = kv.Value
				elem.SetString(text)
			} else if err := d.decode(kv.Value, elem, p); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k), elem)
		}
		v.Set(m)
		return nil
	}
	return decodeScalar(n, v, path)
}
