// Package scenarios is memstorm's library of built-in scenario files,
// embedded in the binary so that `memstorm run NAME` works anywhere. The
// files are decoded and validated by package stress; this package only
// stores and lists them.
package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

//go:embed *.yaml
var files embed.FS

// Names lists the built-in scenarios, sorted: the file names without .yaml.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".") // an embed.FS root always reads
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Read returns the text of the built-in scenario name. An unknown name is
// an error that wraps fs.ErrNotExist.
func Read(name string) ([]byte, error) {
	if !slices.Contains(Names(), name) {
		return nil, fmt.Errorf("no built-in scenario %q: %w", name, fs.ErrNotExist)
	}
	return files.ReadFile(name + ".yaml")
}

// Info is one line of `memstorm list`.
type Info struct {
	Name        string
	Description string // the file's top-level description, first line only
}

// Describe lists the built-in scenarios with their descriptions, sorted by
// name. A file whose description cannot be read (which the tests of package
// stress rule out) says so in Description rather than vanishing from the list.
func Describe() []Info {
	var out []Info
	for _, name := range Names() {
		data, err := Read(name)
		desc := ""
		if err == nil {
			desc, err = description(data)
		}
		if err != nil {
			desc = "(unreadable: " + err.Error() + ")"
		}
		out = append(out, Info{Name: name, Description: desc})
	}
	return out
}

// description returns the first line of the top-level description key.
func description(data []byte) (string, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return "", err
	}
	for _, doc := range f.Docs {
		m, ok := doc.Body.(*ast.MappingNode)
		if !ok {
			continue
		}
		for _, kv := range m.Values {
			if kv.Key.String() != "description" {
				continue
			}
			var text string
			switch v := kv.Value.(type) {
			case *ast.StringNode:
				text = v.Value
			case *ast.LiteralNode:
				text = v.Value.Value
			default:
				return "", fmt.Errorf("description is not a string")
			}
			first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
			return first, nil
		}
	}
	return "", nil
}
