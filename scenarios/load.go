package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Parse decodes and validates a scenario file. path names the file in
// errors and becomes the scenario's Path; data is its text. Every problem is
// returned as one *ScenarioError with the file, line and column of the
// offending node. Defaults are filled in (see docs/scenarios.md); a scenario
// without a name is named after its file.
func Parse(path string, data []byte) (*Scenario, error) {
	s, err := parse(path, data)
	if err != nil {
		var se *ScenarioError
		if errors.As(err, &se) && se.File == "" {
			se.File = path
		}
		return nil, err
	}
	return s, nil
}

func parse(path string, data []byte) (*Scenario, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			pos := ye.GetToken().Position
			return nil, &ScenarioError{Line: pos.Line, Col: pos.Column, Msg: "YAML syntax: " + ye.GetMessage()}
		}
		return nil, &ScenarioError{Msg: "YAML syntax: " + err.Error()}
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch {
	case len(docs) == 0:
		return nil, &ScenarioError{Line: 1, Col: 1, Msg: "empty file: want a mapping with at least phases"}
	case len(docs) > 1:
		return nil, errAt(docs[1].Body, "", "want one YAML document, got %d", len(docs))
	}
	d := newDecoder()
	s := &Scenario{}
	if err := d.decode(docs[0].Body, reflect.ValueOf(s).Elem(), ""); err != nil {
		return nil, err
	}
	c := &checker{nodes: d.nodes}
	if err := c.validate(s, defaultName(path)); err != nil {
		return nil, err
	}
	s.Source, s.Path = string(data), path
	return s, nil
}

// defaultName is the scenario name derived from its path: "x" for
// "dir/x.yaml" and for "builtin:x", characters a name may not hold replaced
// by '-' ("my test.yaml" gives "my-test"), "scenario" when nothing is left.
func defaultName(path string) string {
	base := filepath.Base(strings.TrimPrefix(path, builtinPrefix))
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
	name := strings.Map(func(r rune) rune {
		if r < 128 && nameRE.MatchString(string(r)) || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '-'
	}, base)
	name = strings.TrimLeft(name, "-_.")
	if name == "" {
		return "scenario"
	}
	return name
}

// builtinPrefix marks the Path of a scenario from the embedded library.
const builtinPrefix = "builtin:"

// Load reads a scenario named on the command line. arg is a file when it
// exists, contains a '/' or ends in .yaml or .yml; otherwise it names a
// built-in scenario (package scenarios), whose Path becomes "builtin:NAME".
// An unknown name is an error listing the built-ins.
func Load(arg string) (*Scenario, error) {
	_, statErr := os.Stat(arg)
	if statErr == nil || strings.Contains(arg, "/") || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		data, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("reading scenario: %w", err)
		}
		return Parse(arg, data)
	}
	data, err := Read(arg)
	if err != nil {
		return nil, fmt.Errorf("scenario %q is neither a file nor a built-in (built-ins: %s): %w",
			arg, strings.Join(Names(), ", "), err)
	}
	return Parse(builtinPrefix+arg, data)
}
