package stress

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/cgroup"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/scenarios"
	"github.com/memstorm/memstorm/units"
	"github.com/memstorm/memstorm/wire"
)

// hostRoots are the roots of a host tree captured under testdata/hosts/.
func hostRoots(host string) cgroup.Roots {
	dir := filepath.Join("testdata", "hosts", host)
	return cgroup.Roots{Proc: filepath.Join(dir, "proc"), FS: dir}
}

// TestPrepareReadsTheGivenHost: Prepare decides from the host it is
// pointed at, not from the machine the test runs on. The captured v2 host
// has 125 GiB available, the v1 one 23 GiB; only v2 accepts oom_group.
func TestPrepareReadsTheGivenHost(t *testing.T) {
	const fill = `
name: fill
phases:
  - allocate: {size: 4KiB, until: {bytes: 40GiB}}
`
	for _, tc := range []struct {
		host, text string
		limit      *scenarios.Limit
		want       string // "" for accepted
	}{
		{"v2", fill, nil, ""},
		{"v1-hybrid", fill, nil, "more than 80% of MemAvailable (23.1 GiB)"},
		{"v2", fill, &scenarios.Limit{Max: 1 << 30, OOMGroup: true}, ""},
		{"v1-hybrid", fill, &scenarios.Limit{Max: 1 << 30, OOMGroup: true}, "needs the memory controller on cgroup v2; this host's is on v1"},
	} {
		sc, err := scenarios.Parse("fill.yaml", []byte(tc.text))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Prepare(sc, Options{Limit: tc.limit, Cgroup: CgroupChild, Roots: hostRoots(tc.host)})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %+v: %v, want accepted", tc.host, tc.limit, err)
		case tc.want != "" && (err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %+v: %v, want a usage error containing %q", tc.host, tc.limit, err, tc.want)
		}
	}
}

// TestPrepareResolvesOnce: the limits are the scenario's overlaid field by
// field with the command line's, and the allocator is resolved into what
// the worker preloads and what its detection must report.
func TestPrepareResolvesOnce(t *testing.T) {
	sc, err := scenarios.Parse("x.yaml", []byte(`
name: x
limit: {max: 256MiB, high: 200MiB}
phases:
  - allocate: {size: 4KiB, until: {bytes: 1MiB}}
`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(sc, Options{Limit: &scenarios.Limit{Max: 128 << 20, High: 100 << 20}, Roots: hostRoots("v2")})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := p.Limits.Max.Bytes(); b != 128<<20 {
		t.Errorf("max %v, want the flag's 128 MiB", p.Limits.Max)
	}
	if p.Limits.Swap.IsSet() {
		t.Errorf("swap %v, want unset", p.Limits.Swap)
	}
	if p.Allocator.Label != "glibc" || p.Allocator.Preload != "" || p.Allocator.Expect != "glibc" {
		t.Errorf("allocator %+v, want glibc with nothing to preload", p.Allocator)
	}
	if _, err := Prepare(sc, Options{Allocator: "hoard", Roots: hostRoots("v2")}); err == nil || !errors.Is(err, ErrUsage) {
		t.Errorf("unknown allocator: %v, want a usage error", err)
	}
	if got := settingsFor(p.Limits); got.Max != units.LimitOf(128<<20) || got.High != units.LimitOf(100<<20) || got.Swap != units.BytesLimit(0) {
		t.Errorf("cgroup settings %+v: want max 128 MiB, high 100 MiB, no swap past the limit", got)
	}
	if got := settingsFor(Limits{}); got.Max.IsSet() || got.Swap.IsSet() {
		t.Errorf("no limits: settings %+v, want max and swap left at max", got)
	}
}

// TestHostSafety: what a run may do without a limit that is enforced, and
// which limits the host cannot honour, decided on the captured v1 host
// (23.1 GiB available, no swap) whatever the test machine has.
func TestHostSafety(t *testing.T) {
	const (
		oom = `
name: oom
limit: {max: 64MiB}
phases:
  - allocate: {size: 4KiB, until: oom}
`
		small = `
name: small
phases:
  - allocate: {size: 4KiB, until: {bytes: 256MiB}}
`
	)
	for _, tc := range []struct {
		name, text string
		opt        Options
		want       string // "" accepted
	}{
		{"oom in a child cgroup", oom, Options{}, ""},
		{"--cgroup none drops the limit", oom, Options{Cgroup: CgroupNone}, "(--cgroup none: the limit 64MiB is not enforced)"},
		{"--cgroup none with a byte target", small, Options{Cgroup: CgroupNone}, ""},
		{"a limit beyond the host", oom, Options{Limit: &scenarios.Limit{Max: 1 << 40}}, "more than this host has free (MemAvailable 23.1 GiB + SwapFree 0 B)"},
		{"--risk-host-oom", oom, Options{Limit: &scenarios.Limit{Max: 1 << 40}, RiskHostOOM: true}, ""},
		{"a limit beyond the host that is never reached", small, Options{Limit: &scenarios.Limit{Max: 1 << 40}}, ""},
		{"swap without a limit", small, Options{Limit: &scenarios.Limit{Swap: 1 << 20}}, "needs a hard limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := scenarios.Parse("x.yaml", []byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			tc.opt.Roots = hostRoots("v1-hybrid")
			if tc.opt.Cgroup == "" {
				tc.opt.Cgroup = CgroupChild
			}
			_, err = Prepare(sc, tc.opt)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%v, want accepted", err)
			case tc.want != "" && (err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("%v, want a usage error containing %q", err, tc.want)
			}
		})
	}
}

// TestPhaseShare: the progress line's share of the running phase's target,
// from live bytes added, time spent or cgroup usage, whichever is furthest.
func TestPhaseShare(t *testing.T) {
	for _, tc := range []struct {
		pt   phaseTarget
		v    rundir.Sample
		want float64
	}{
		{phaseTarget{startLive: 10, bytes: 100}, rundir.Sample{Live: 60}, 0.5},
		{phaseTarget{startT: 1, seconds: 4}, rundir.Sample{T: 2, CgroupUsage: -1}, 0.25},
		{phaseTarget{usage: 200}, rundir.Sample{CgroupUsage: 150}, 0.75},
		{phaseTarget{startLive: 100, bytes: 100}, rundir.Sample{Live: 50}, 0}, // freed below the start
		{phaseTarget{bytes: 100}, rundir.Sample{Live: 500}, 1},
		{phaseTarget{}, rundir.Sample{Live: 500}, -1},
	} {
		if got := tc.pt.share(tc.v); got != tc.want {
			t.Errorf("%+v at %+v: share %v, want %v", tc.pt, tc.v, got, tc.want)
		}
	}
}

// TestAllocatorMismatch: the worker's detected allocator must be the one
// asked for, by name, or for a library given by path, that very file.
func TestAllocatorMismatch(t *testing.T) {
	libc, err := filepath.EvalSymlinks("/lib/x86_64-linux-gnu/libc.so.6")
	if err != nil {
		t.Skip("no x86-64 libc to name")
	}
	hello := wire.Message{AllocName: "glibc", AllocPath: "/lib/x86_64-linux-gnu/libc.so.6"}
	for _, tc := range []struct {
		c    allocators.Choice
		want string
	}{
		{allocators.Default, ""},
		{allocators.Choice{Label: "jemalloc", Expect: "jemalloc"}, "allocator jemalloc was requested, but malloc in the worker is served by glibc"},
		{allocators.Choice{Label: "/opt/my.so", ExpectPath: "/opt/my.so"}, "allocator library /opt/my.so was requested"},
		{allocators.Choice{Label: "libc", ExpectPath: libc}, ""},
	} {
		if got := allocatorMismatch(tc.c, hello); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
}

// TestPrepareInheritsTheLimit: limit inherit takes the smallest limit at or
// above memstorm's own cgroup (here a systemd slice's 512 MiB above an
// unlimited session scope; the v2 host tree with memory.max files added),
// whether the scenario file or the command line says inherit; a size on
// the command line overrides a file's inherit; with no limit anywhere the
// run is refused as bad usage, naming the cgroup.
func TestPrepareInheritsTheLimit(t *testing.T) {
	const text = `
name: eat
limit: {max: inherit}
phases:
  - allocate: {size: 4KiB, until: oom}
`
	sc, err := scenarios.Parse("eat.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, host string
		flags      *scenarios.Limit
		want       int64  // bytes; 0 when refused
		refused    string // part of the usage error
	}{
		{"file inherits", "v2-limited", nil, 512 << 20, ""},
		{"flag inherits", "v2-limited", &scenarios.Limit{Inherit: true}, 512 << 20, ""},
		{"flag size wins", "v2-limited", &scenarios.Limit{Max: 64 << 20}, 64 << 20, ""},
		{"no limit above", "v2-unlimited", nil, 0, "user.slice/session-1.scope and those above it have no limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Prepare(sc, Options{Limit: tc.flags, Cgroup: CgroupChild, Roots: hostRoots(tc.host)})
			if tc.refused != "" {
				if err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("Prepare: %v, want a usage error containing %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, ok := p.Limits.Max.Bytes(); !ok || b != tc.want {
				t.Errorf("max %v, want %v", p.Limits.Max, units.FormatBytes(tc.want))
			}
		})
	}
}
