package record

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ShimSource is the recording shim's C source.
//
//go:embed shimsrc/preload.c
var ShimSource []byte

// ShimName is the file name BuildShim gives the shared object.
const ShimName = "memstorm-preload.so"

// BuildShim compiles the shim into dir with $CC (default cc) and returns
// the shared object's path.
func BuildShim(dir string) (string, error) {
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	ccPath, err := exec.LookPath(cc)
	if err != nil {
		return "", fmt.Errorf("record compiles its LD_PRELOAD shim with a C compiler, and %q was not found (set CC): %w", cc, err)
	}
	src := filepath.Join(dir, "preload.c")
	if err := os.WriteFile(src, ShimSource, 0o600); err != nil {
		return "", fmt.Errorf("writing the shim source: %w", err)
	}
	so := filepath.Join(dir, ShimName)
	cmd := exec.Command(ccPath, "-O2", "-fPIC", "-shared", "-fvisibility=default", "-o", so, src, "-ldl", "-pthread")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("compiling the shim with %s: %w: %s", ccPath, err, strings.TrimSpace(string(out)))
	}
	return so, nil
}
