package alloc

import (
	"testing"
	"time"
)

var churnDist = Dist{Kind: Uniform, Min: 16, Max: 512}

// BenchmarkEngineMallocFree: one op = one free + one malloc of a seeded
// 16-512 B size over 1000 live slots, the whole stream in one cgo call.
func BenchmarkEngineMallocFree(b *testing.B) {
	if err := churn(1, churnDist, 1000, int64(b.N)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCgoPerCall: one op = C.malloc and C.free as two cgo calls, the
// cost per pair when the loop runs in Go.
func BenchmarkCgoPerCall(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		cgoMallocFree(16 + i%497)
	}
}

// BenchmarkFill: one op = one 16-512 B object malloc'd by Fill and freed
// by Free(All), in batches of 4096.
func BenchmarkFill(b *testing.B) {
	e, _ := newEngine(b, 1)
	spec := FillSpec{Via: Malloc, Dist: churnDist, MaxCount: 4096}
	for n := 0; n < b.N; n += 4096 {
		if r, err := e.Fill(spec, time.Hour); err != nil || r.Status != FillDone {
			b.Fatal(r, err)
		}
		if _, _, err := e.Free(Selection{Pattern: All}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFillTouchMmap: one op = one 64 KiB mmap object, touched, then unmapped.
func BenchmarkFillTouchMmap(b *testing.B) {
	e, _ := newEngine(b, 1)
	spec := FillSpec{Via: Mmap, Dist: Dist{Kind: Fixed, Value: 64 << 10}, Touch: true, MaxCount: 256}
	b.SetBytes(64 << 10)
	for n := 0; n < b.N; n += 256 {
		if r, err := e.Fill(spec, time.Hour); err != nil || r.Status != FillDone {
			b.Fatal(r, err)
		}
		if _, _, err := e.Free(Selection{Pattern: All}); err != nil {
			b.Fatal(err)
		}
	}
}
