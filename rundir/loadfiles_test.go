package rundir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readDirFiles reads the regular files of dir into a map.
func readDirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range ents {
		if e.Type().IsRegular() {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files[e.Name()] = b
		}
	}
	return files
}

// TestLoadRunFilesIsLoadRun: the same run read from disk and from memory
// loads the same, and the same faults are refused naming the file.
func TestLoadRunFilesIsLoadRun(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "rundirs", "*"))
	if len(dirs) < 5 {
		t.Fatalf("%d run directories in testdata/rundirs, want the fixtures", len(dirs))
	}
	for _, dir := range dirs {
		want, werr := LoadRun(dir)
		got, gerr := LoadRunFiles(dir, readDirFiles(t, dir))
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Errorf("%s: LoadRun error %v, LoadRunFiles error %v", dir, werr, gerr)
			continue
		}
		if diff := cmp.Diff(want, got); werr == nil && diff != "" {
			t.Errorf("%s (-LoadRun +LoadRunFiles):\n%s", dir, diff)
		}
	}
	for _, tc := range []struct {
		files map[string][]byte
		want  string
	}{
		{map[string][]byte{}, "x/y: not a memstorm run directory"},
		{map[string][]byte{SummaryFile: []byte(`{"outcome": "completed"}`)}, "x/y/samples.csv: no such file or directory"},
		{map[string][]byte{SummaryFile: []byte(`{"outcome": "exploded"}`)}, `x/y/summary.json:1: outcome "exploded"`},
		{map[string][]byte{SamplesFile: []byte("t_s\n1,2\n")}, "x/y/samples.csv"},
	} {
		_, err := LoadRunFiles("x/y", tc.files)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("LoadRunFiles(%v) = %v, want an InputError starting %q", tc.files, err, tc.want)
		}
	}
}
