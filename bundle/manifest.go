package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/memstorm/memstorm/rundir"
)

// Names of the files of a bundle and of a results directory.
const (
	ManifestFile = "bundle.json"
	JUnitFile    = "junit.xml"
	RunsDir      = "runs"
	DoneFile     = "done"
)

// Format is the manifest's format tag; a reader refuses any other.
const Format = "memstorm-bundle/1"

// Bounds of what a reader accepts.
const (
	// MaxManifestBytes bounds bundle.json: a few hundred bytes per run.
	MaxManifestBytes = 4 << 20
	// MaxRuns bounds the runs of one bundle.
	MaxRuns = 10_000
	// maxNodeName is a Kubernetes node name's longest (a DNS subdomain).
	maxNodeName = 253
)

// Manifest is bundle.json.
type Manifest struct {
	Format   string   `json:"format"`
	Node     string   `json:"node"`          // the node (or host) the runs ran on
	Pod      string   `json:"pod,omitempty"` // the pod, when run in Kubernetes
	Host     Host     `json:"host"`
	Started  string   `json:"started"`  // RFC 3339
	Finished string   `json:"finished"` // RFC 3339
	Command  []string `json:"command"`
	// ExitCode is the exit code memstorm run returned: 0 held, 1 an
	// expectation failed, 3 harness failure.
	ExitCode int    `json:"exit_code"`
	JUnit    string `json:"junit,omitempty"` // JUnitFile when written
	Runs     []Run  `json:"runs"`
	// Provisional marks the manifest memstorm run --bundle writes as each
	// run starts, listing the runs so far, and replaces when it finishes.
	// One still provisional was left by a memstorm that did not finish,
	// killed with its container (an OOM group kill): Finished is empty,
	// ExitCode is the 137 Kubernetes shows for it, and the last run's
	// directory holds the record up to the kill.
	Provisional bool `json:"provisional,omitempty"`
}

// Host describes the machine the bundle was made on.
type Host struct {
	Hostname string         `json:"hostname"`
	Machine  rundir.Machine `json:"machine"`
}

// Run is one run directory of the bundle.
type Run struct {
	Dir       string         `json:"dir"` // relative to the bundle's root, under RunsDir
	Scenario  string         `json:"scenario"`
	Allocator string         `json:"allocator"`
	Outcome   rundir.Outcome `json:"outcome,omitempty"` // "" when the run left no summary.json
	Passed    bool           `json:"passed"`
}

// ValidNode reports whether name can name a node in a bundle: 1 to 253
// letters, digits, '.', '-' or '_' (a Kubernetes node name, or a host's).
func ValidNode(name string) error {
	if name == "" || len(name) > maxNodeName {
		return fmt.Errorf("node name %q: want 1 to %d characters", name, maxNodeName)
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
		default:
			return fmt.Errorf("node name %q: want letters, digits, '.', '-' and '_' only, got %q", name, c)
		}
	}
	if name == "." || name == ".." {
		return fmt.Errorf("node name %q is not a name", name)
	}
	return nil
}

// Encode writes m as indented JSON.
func (m *Manifest) Encode(w io.Writer) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", ManifestFile, err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// DecodeManifest reads bundle.json strictly: unknown keys, a second JSON
// value, another format, a bad node name, or a run directory that is not
// a local path under runs/ are InputErrors at path.
func DecodeManifest(r io.Reader, path string) (*Manifest, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > MaxManifestBytes {
		return nil, &rundir.InputError{Path: path, Err: fmt.Errorf("is more than the %d bytes a %s may be", MaxManifestBytes, ManifestFile)}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, jsonError(b, path, err)
	}
	if dec.More() {
		return nil, &rundir.InputError{Path: path, Err: errors.New("more than one JSON value")}
	}
	if err := m.check(); err != nil {
		return nil, &rundir.InputError{Path: path, Err: err}
	}
	return &m, nil
}

// check holds a decoded manifest to what Write writes.
func (m *Manifest) check() error {
	if m.Format != Format {
		return fmt.Errorf("format %q: want %q", m.Format, Format)
	}
	if err := ValidNode(m.Node); err != nil {
		return err
	}
	if len(m.Runs) > MaxRuns {
		return fmt.Errorf("%d runs: at most %d", len(m.Runs), MaxRuns)
	}
	if m.JUnit != "" && m.JUnit != JUnitFile {
		return fmt.Errorf("junit %q: want %q", m.JUnit, JUnitFile)
	}
	seen := map[string]bool{}
	for i, r := range m.Runs {
		if !localUnder(r.Dir, RunsDir) {
			return fmt.Errorf("runs[%d].dir %q: want a relative path under %s/", i, r.Dir, RunsDir)
		}
		if seen[r.Dir] {
			return fmt.Errorf("runs[%d].dir %q: listed twice", i, r.Dir)
		}
		seen[r.Dir] = true
		if r.Outcome != "" && !rundir.KnownOutcome(string(r.Outcome)) {
			return fmt.Errorf("runs[%d].outcome %q is not an outcome", i, r.Outcome)
		}
	}
	return nil
}

// localUnder reports whether p is a clean local path equal to dir or below it.
func localUnder(p, dir string) bool {
	return filepath.IsLocal(p) && filepath.Clean(p) == p && (p == dir || strings.HasPrefix(p, dir+"/"))
}

// jsonError is an InputError at the line and column of a JSON fault.
func jsonError(b []byte, path string, err error) error {
	e := &rundir.InputError{Path: path, Err: errors.New(strings.TrimPrefix(err.Error(), "json: "))}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		e.Line, e.Col = lineCol(b, syn.Offset-1)
	case errors.As(err, &typ):
		e.Line, _ = lineCol(b, typ.Offset)
	case errors.Is(err, io.EOF):
		e.Err = errors.New("empty: want a JSON object")
	}
	return e
}

// lineCol is the 1-based line and column of byte offset off in b.
func lineCol(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
