package machine

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/cpuid/v2"
)

func TestFeaturesSelection(t *testing.T) {
	has := func(set ...cpuid.FeatureID) func(...cpuid.FeatureID) bool {
		return func(ids ...cpuid.FeatureID) bool {
			for _, id := range ids {
				if !slices.Contains(set, id) {
					return false
				}
			}
			return true
		}
	}
	// Only the memory-relevant ones, in the fixed order; SSE2 is not listed.
	got := features(has(cpuid.SSE2, cpuid.FSRM, cpuid.AVX2, cpuid.ERMS))
	if diff := cmp.Diff([]string{"AVX2", "ERMS", "FSRM"}, got); diff != "" {
		t.Errorf("features (-want +got):\n%s", diff)
	}
	if got := features(has()); got == nil || len(got) != 0 {
		t.Errorf("features(none) = %#v, want an empty non-nil list", got)
	}
}

// cpuid's answers on this machine against the kernel's /proc/cpuinfo and
// sysfs cache description.
func TestDescribeCPUReal(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the cpuinfo flag cross-check is written for x86")
	}
	m := describeCPU()
	if m.CPUBrand == "" {
		t.Error("empty CPU brand")
	}
	if m.LogicalCores < 1 || m.PhysicalCores < 1 || m.PhysicalCores > m.LogicalCores {
		t.Errorf("PhysicalCores %d LogicalCores %d", m.PhysicalCores, m.LogicalCores)
	}
	if m.L1DBytes < 8<<10 || m.L2Bytes < m.L1DBytes {
		t.Errorf("L1D %d L2 %d", m.L1DBytes, m.L2Bytes)
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	var flags []string
	for _, line := range strings.Split(string(info), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			flags = strings.Fields(v)
			break
		}
	}
	if len(flags) == 0 {
		t.Fatal("no flags line in /proc/cpuinfo")
	}
	// The kernel hides a feature the OS does not enable (AVX without XSAVE
	// state), as cpuid does; both should agree on these.
	for _, name := range []string{"AVX2", "AVX512F", "BMI2", "ERMS", "FSRM", "HYPERVISOR"} {
		if got, want := slices.Contains(m.Features, name), slices.Contains(flags, strings.ToLower(name)); got != want {
			t.Errorf("%s: cpuid %v, /proc/cpuinfo %v", name, got, want)
		}
	}
}
