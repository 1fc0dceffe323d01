package scenarios

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadBuiltins parses and validates every embedded scenario.
func TestLoadBuiltins(t *testing.T) {
	names := Names()
	if len(names) == 0 {
		t.Fatal("no built-in scenarios embedded")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s, err := Load(name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Path != "builtin:"+name || s.Name != name {
				t.Errorf("Path %q, Name %q; want builtin:%s and %s (a built-in's name matches its file)", s.Path, s.Name, name, name)
			}
			if s.Description == "" {
				t.Errorf("built-in %s has no description for `memstorm list`", name)
			}
			if len(s.Steps()) == 0 {
				t.Errorf("built-in %s has no steps", name)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	path := filepath.Join("testdata", "scenarios", "good-shorthands.yaml")
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Path != path || s.Name != "shorthands" {
		t.Errorf("Path %q, Name %q; want %q, shorthands", s.Path, s.Name, path)
	}

	_, err = Load(filepath.Join("testdata", "scenarios", "bad-workers-zero.yaml"))
	var se *ScenarioError
	if !errors.As(err, &se) || se.File != filepath.Join("testdata", "scenarios", "bad-workers-zero.yaml") {
		t.Errorf("Load(bad file) = %v, want a *ScenarioError naming the file", err)
	}

	_, err = Load("no/such/file.yaml")
	if !errors.Is(err, fs.ErrNotExist) || errors.As(err, &se) || !strings.Contains(err.Error(), "no/such/file.yaml") {
		t.Errorf("Load(missing file) = %v, want a not-exist error naming the path, not a ScenarioError", err)
	}
}

// TestLoadFileShadowsBuiltin checks that an existing file wins over a
// built-in of the same name, even without a '/' or an extension.
func TestLoadFileShadowsBuiltin(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("every-other", []byte("name: local\nphases: [{hold: 1s}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load("every-other")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "local" || s.Path != "every-other" {
		t.Errorf("Load read %q from %q, want the local file", s.Name, s.Path)
	}
}

func TestLoadUnknownName(t *testing.T) {
	_, err := Load("no-such-scenario")
	if err == nil {
		t.Fatal("Load accepted an unknown name")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	for _, name := range Names() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list built-in %s", err, name)
		}
	}
}

func TestDefaultName(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"scenarios/x.yaml", "x"},
		{"x.yml", "x"},
		{"builtin:sawtooth", "sawtooth"},
		{"dir/my test (2).yaml", "my-test--2-"},
		{"docs/scenarios.md example", "scenarios.md-example"},
		{".hidden.yaml", "hidden"},
		{"/tmp/ü.yaml", "scenario"},
		{"-", "scenario"},
	} {
		got := defaultName(tc.path)
		if got != tc.want || !nameRE.MatchString(got) {
			t.Errorf("defaultName(%q) = %q, want %q (a valid name)", tc.path, got, tc.want)
		}
	}
}

// TestLoadRefusesWhatIsNotAScenarioFile: devices, FIFOs, directories and
// files over MaxFileSize are refused as a ScenarioError naming the file,
// before anything is read (a FIFO without a writer would block a read).
func TestLoadRefusesWhatIsNotAScenarioFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("phases: [{hold: 1s}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 100<<20); err != nil {
		t.Fatal(err)
	}
	edge := filepath.Join(dir, "edge.yaml")
	if err := os.WriteFile(edge, []byte("phases: [{hold: 1s}]\n"+strings.Repeat("#", MaxFileSize-21)), 0o644); err != nil {
		t.Fatal(err)
	}
	over := filepath.Join(dir, "over.yaml")
	if err := os.WriteFile(over, []byte("phases: [{hold: 1s}]\n"+strings.Repeat("#", MaxFileSize-20)), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"/dev/zero", "want a regular file holding a scenario, got a character device"},
		{"/dev/urandom", "got a character device"},
		{link, "got a character device"},
		{fifo, "got a FIFO (named pipe)"},
		{dir, "got a directory"},
		{big, "want a scenario file of at most 128KiB, got 100 MiB (104857600 bytes)"},
		{over, "want a scenario file of at most 128KiB, got 128 KiB (131073 bytes)"},
		{edge, ""},
	} {
		s, err := Load(tc.path)
		if tc.want == "" {
			if err != nil || len(s.Source) != MaxFileSize {
				t.Errorf("Load(%s) = %v, want a scenario of MaxFileSize bytes", tc.path, err)
			}
			continue
		}
		var se *ScenarioError
		if !errors.As(err, &se) || se.File != tc.path || se.Line != 0 || !strings.Contains(se.Msg, tc.want) {
			t.Errorf("Load(%s) = %v, want a ScenarioError naming the file: %s", tc.path, err, tc.want)
		}
	}
}
