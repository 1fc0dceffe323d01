package cref

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestBuildAndRun(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler (cc) on PATH")
	}
	bin, err := Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"churn", []string{"churn", "1", "100", "10000", "16", "512"}},
		{"fill", []string{"fill", "1", "1048576", "64", "4096"}},
		{"populate", []string{"populate", "1048576"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(bin, tc.args...).Output()
			if err != nil {
				t.Fatalf("cref %v: %v", tc.args, err)
			}
			ns, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
			if err != nil || ns <= 0 {
				t.Errorf("cref %v printed %q, want a positive nanosecond count", tc.args, out)
			}
		})
	}
	if err := exec.Command(bin, "churn", "x").Run(); err == nil {
		t.Error("cref with bad arguments exited 0")
	}
}
