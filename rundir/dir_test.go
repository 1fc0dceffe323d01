package rundir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirNeverFollowsOrOverwrites: a file created in a run directory is
// new; a symbolic link planted under its name (between memstorm's check and
// its write) is neither followed nor replaced, and its target is untouched.
func TestDirNeverFollowsOrOverwrites(t *testing.T) {
	root := t.TempDir()
	victim := filepath.Join(root, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Create(filepath.Join(root, "run"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.Symlink(victim, filepath.Join(root, "run", "worker.log")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Create("worker.log"); err == nil {
		t.Error("Create followed or replaced a planted symlink")
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the link's target now holds %q", b)
	}
	if err := d.WriteFile(SummaryFile, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile(SummaryFile, []byte("{}")); err == nil {
		t.Error("a second WriteFile of the same name overwrote the first")
	}
	for _, bad := range []string{"../escape", "a/b", ".."} {
		if _, err := d.Create(bad); err == nil {
			t.Errorf("Create(%q) made a file outside the directory", bad)
		}
	}
}

// TestCreateRefusesWhatIsNotAnEmptyDirectory: an existing empty directory
// is used; a non-empty one, a link to a directory and a file are refused.
func TestCreateRefusesWhatIsNotAnEmptyDirectory(t *testing.T) {
	root := t.TempDir()
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	if d, err := Create(empty); err != nil {
		t.Errorf("empty directory: %v", err)
	} else {
		d.Close()
	}
	full := filepath.Join(root, "full")
	os.Mkdir(full, 0o755)
	os.WriteFile(filepath.Join(full, "x"), nil, 0o644)
	link := filepath.Join(root, "link")
	os.Symlink(empty, link)
	file := filepath.Join(root, "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct{ path, want string }{
		{full, "not empty"}, {link, "opening run directory"}, {file, "opening run directory"},
	} {
		if d, err := Create(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Create(%s) = %v, want an error containing %q", tc.path, err, tc.want)
			if d != nil {
				d.Close()
			}
		}
	}
}
