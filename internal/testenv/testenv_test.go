package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const helperEnv = "MEMSTORM_TESTENV_HELPER"

// TestHelperNeedsTheImpossible is the child of TestMissingFailsInCI: it
// requires an allocator that exists nowhere.
func TestHelperNeedsTheImpossible(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("run by TestMissingFailsInCI")
	}
	RequireAllocator(t, "no-such-allocator")
	t.Log("reached past a missing requirement")
}

// TestMissingFailsInCI: the same missing requirement skips a test on a
// developer's machine and fails it under MEMSTORM_CI=1.
func TestMissingFailsInCI(t *testing.T) {
	for _, tc := range []struct {
		ci       string
		wantFail bool
		want     string
	}{
		{"", false, "--- SKIP: TestHelperNeedsTheImpossible"},
		{"1", true, "--- FAIL: TestHelperNeedsTheImpossible"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNeedsTheImpossible$", "-test.v")
		env := []string{helperEnv + "=1"}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, CIEnv+"=") {
				env = append(env, kv)
			}
		}
		if tc.ci != "" {
			env = append(env, CIEnv+"="+tc.ci)
		}
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tc.wantFail || !strings.Contains(string(out), tc.want) {
			t.Errorf("%s=%q: err %v, want failure=%v and %q in:\n%s", CIEnv, tc.ci, err, tc.wantFail, tc.want, out)
		}
		if strings.Contains(string(out), "reached past") {
			t.Errorf("%s=%q: the test went on past its missing requirement", CIEnv, tc.ci)
		}
	}
}
