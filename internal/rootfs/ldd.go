package rootfs

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
)

// parseLDD returns the absolute paths of the libraries in ldd's output,
// the loader's included, in the order given. Lines without a path
// (linux-vdso.so.1, which the kernel maps) are skipped; a library ldd
// did not find ("libx.so => not found") is an error naming it.
func parseLDD(r io.Reader) ([]string, error) {
	var paths []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		name, rest, arrow := strings.Cut(line, "=>")
		if arrow {
			rest = strings.TrimSpace(rest)
			if strings.HasPrefix(rest, "not found") {
				return nil, fmt.Errorf("library %s not found", strings.TrimSpace(name))
			}
		} else {
			rest = line
		}
		f := strings.Fields(rest)
		if len(f) == 0 || !filepath.IsAbs(f[0]) {
			continue
		}
		paths = append(paths, filepath.Clean(f[0]))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return paths, nil
}

// libraries runs ldd on file and returns the libraries it needs.
func libraries(file string) ([]string, error) {
	out, err := exec.Command("ldd", file).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w (is it a dynamically linked ELF file?)", file, err)
	}
	paths, err := parseLDD(strings.NewReader(string(out)))
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", file, err)
	}
	return paths, nil
}
