package procfs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/memstorm/memstorm/internal/testenv"
)

// hostFS is the captured /proc tree of each kind of host memstorm supports.
var hostFS = map[string]FS{
	"v1-hybrid": NewFS("testdata/v1-hybrid/proc"),
	"v2":        NewFS("testdata/v2/proc"),
}

// openCase opens an error-case fixture named for what it shows.
func openCase(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "cases", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// skipOrFail skips a test that needs the real host, but fails it when CI
// demands the environment (MEMSTORM_CI=1).
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	testenv.Missing(t, "%s", why)
}

func TestFSPath(t *testing.T) {
	fs := NewFS("/x/proc")
	if got, want := fs.Path("sys", "vm", "overcommit_memory"), "/x/proc/sys/vm/overcommit_memory"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	if got, want := fs.Proc(42).Path("status"), "/x/proc/42/status"; got != want {
		t.Errorf("Proc(42).Path = %q, want %q", got, want)
	}
	if got, want := fs.Self().Path("cgroup"), "/x/proc/self/cgroup"; got != want {
		t.Errorf("Self().Path = %q, want %q", got, want)
	}
	if DefaultFS.Root() != "/proc" {
		t.Errorf("DefaultFS.Root() = %q, want /proc", DefaultFS.Root())
	}
}
