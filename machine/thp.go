package machine

import (
	"fmt"
	"strings"
)

// parseTHP returns the selected mode of transparent_hugepage/enabled, the
// bracketed word of e.g. "always [madvise] never". The mode decides whether
// a large malloc arena is backed by 2 MiB pages, which changes RSS curves.
func parseTHP(s string) (string, error) {
	for _, w := range strings.Fields(s) {
		if len(w) > 2 && w[0] == '[' && w[len(w)-1] == ']' {
			return w[1 : len(w)-1], nil
		}
	}
	return "", fmt.Errorf("no [selected] mode in %q", s)
}
