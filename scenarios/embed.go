package scenarios

// The built-in scenario files are embedded in the binary, so that
// `memstorm run NAME` works anywhere.

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

// firstSentence joins the description's lines and returns its first
// sentence, at most maxSummary characters (cut at a word, with an ellipsis).
func firstSentence(text string) string {
	joined := strings.Join(strings.Fields(text), " ")
	if i := strings.Index(joined, ". "); i >= 0 {
		joined = joined[:i+1]
	}
	if len(joined) <= maxSummary {
		return joined
	}
	cut := joined[:maxSummary]
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return cut + "…"
}

// maxSummary is how long a one-line summary may be.
const maxSummary = 100

// description returns the summary of the top-level description key: its
// first sentence.
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
			return firstSentence(text), nil
		}
	}
	return "", nil
}
