package machine

import (
	"github.com/klauspost/cpuid/v2"
	"github.com/memstorm/memstorm/rundir"
)

// memoryFeatures are the CPU features that change how fast memory is
// touched, copied or zeroed, in the order the report lists them.
var memoryFeatures = []cpuid.FeatureID{
	cpuid.AVX, cpuid.AVX2, cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL,
	cpuid.BMI1, cpuid.BMI2,
	cpuid.ERMS,                     // fast rep movsb/stosb: glibc's large memcpy/memset
	cpuid.FSRM,                     // fast short rep movsb
	cpuid.MOVDIRI, cpuid.MOVDIR64B, // direct stores
	cpuid.HYPERVISOR,
	cpuid.ASIMD, cpuid.SVE, cpuid.SVE2, cpuid.ATOMICS, // arm64
}

// describeCPU fills the CPU fields from cpuid. Cache sizes cpuid cannot
// detect are reported as 0.
func describeCPU() rundir.Machine {
	c := cpuid.CPU
	return rundir.Machine{
		CPUBrand:      c.BrandName,
		PhysicalCores: c.PhysicalCores,
		LogicalCores:  c.LogicalCores,
		L1DBytes:      max(c.Cache.L1D, 0),
		L2Bytes:       max(c.Cache.L2, 0),
		L3Bytes:       max(c.Cache.L3, 0),
		Features:      features(c.Supports),
	}
}

// features lists the memoryFeatures that has reports, never nil.
func features(has func(...cpuid.FeatureID) bool) []string {
	out := []string{}
	for _, f := range memoryFeatures {
		if has(f) {
			out = append(out, f.String())
		}
	}
	return out
}
