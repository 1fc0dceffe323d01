package machine

import (
	"fmt"
	"strconv"
	"strings"
)

// parseOvercommit parses vm.overcommit_memory: 0 heuristic, 1 always, 2
// never (strict accounting, where malloc fails with ENOMEM instead of the
// OOM killer acting later).
func parseOvercommit(s string) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("overcommit_memory %q: %w", s, err)
	}
	if v < 0 || v > 2 {
		return 0, fmt.Errorf("overcommit_memory %d: want 0, 1 or 2", v)
	}
	return v, nil
}
