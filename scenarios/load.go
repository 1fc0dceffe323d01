package scenarios

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"

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
	s, c, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(path, builtinPrefix) {
		c.dir = filepath.Dir(path)
	}
	if err := c.validate(s, defaultName(path)); err != nil {
		return nil, err
	}
	s.Source, s.Path = string(data), path
	return s, nil
}

// decodeText decodes a scenario file into a Scenario, not yet validated,
// and a checker holding the node of every key path.
func decodeText(data []byte) (*Scenario, *checker, error) {
	text, err := checkText(data)
	if err != nil {
		return nil, nil, err
	}
	tokens, err := tokenize(text)
	if err != nil {
		return nil, nil, err
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			pos := ye.GetToken().Position
			return nil, nil, &ScenarioError{Line: pos.Line, Col: pos.Column, Msg: "YAML syntax: " + ye.GetMessage()}
		}
		return nil, nil, &ScenarioError{Msg: "YAML syntax: " + err.Error()}
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch {
	case len(docs) == 0:
		return nil, nil, &ScenarioError{Line: 1, Col: 1, Msg: "empty file: want a mapping with at least phases"}
	case len(docs) > 1:
		return nil, nil, errAt(docs[1].Body, "", "want one YAML document, got %d", len(docs))
	}
	d := newDecoder()
	s := &Scenario{}
	if err := d.decode(docs[0].Body, reflect.ValueOf(s).Elem(), ""); err != nil {
		return nil, nil, err
	}
	return s, &checker{nodes: d.nodes}, nil
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
// An unknown name is an error listing the built-ins. A file must be a
// regular file of at most MaxFileSize: a directory, a FIFO, a device or a
// bigger file is refused as a *ScenarioError naming it, before anything is
// read from it.
func Load(arg string) (*Scenario, error) {
	_, statErr := os.Stat(arg)
	if statErr == nil || strings.Contains(arg, "/") || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		data, err := readFile(arg)
		if err != nil {
			return nil, err
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

// readFile reads a scenario file: checked to be a regular file of at most
// MaxFileSize before it is opened (opening a FIFO blocks, opening some
// devices acts), checked again on the open file (the path may have been
// replaced in between), and read through a limit (the file may grow).
func readFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	if err := checkFileInfo(path, fi); err != nil {
		return nil, err
	}
	// O_NONBLOCK: a FIFO swapped in after the Stat does not block the open.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	if err := checkFileInfo(path, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, &ScenarioError{File: path, Msg: fmt.Sprintf("want a scenario file of at most %v, got more (the file grew while it was read)", Size(MaxFileSize))}
	}
	return data, nil
}

// checkFileInfo refuses what is not a regular file of at most MaxFileSize.
func checkFileInfo(path string, fi fs.FileInfo) error {
	if kind := fileKind(fi.Mode()); kind != "" {
		return &ScenarioError{File: path, Msg: fmt.Sprintf("want a regular file holding a scenario, got %s", kind)}
	}
	if fi.Size() > MaxFileSize {
		return &ScenarioError{File: path, Msg: tooBig(fi.Size())}
	}
	return nil
}

// fileKind names what a file that is not a regular file is; "" for a
// regular file.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a file of type " + m.Type().String()
}
