package cref

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/memstorm/memstorm/alloc"
)

func TestSteps(t *testing.T) {
	for _, tc := range []struct {
		got  Step
		want string
	}{
		{Fill(1<<20, alloc.Dist{Kind: alloc.Uniform, Min: 64, Max: 4096}), "fill:1048576:uniform:64:4096"},
		{Fill(100, alloc.Dist{Kind: alloc.Fixed, Value: 32}), "fill:100:fixed:32"},
		{Fill(100, alloc.Dist{Kind: alloc.Lognormal, Median: 100, Sigma: 1.5, Max: 9000}), "fill:100:lognormal:100:1.5:1:9000"},
		{Fill(100, alloc.Dist{Kind: alloc.Pareto, Min: 16, Alpha: 1.2, Max: 1 << 20}), "fill:100:pareto:16:1.2:1048576"},
		{FillUntouched(100, alloc.Dist{Kind: alloc.Fixed, Value: 32}), "fill:100:fixed:32:notouch"},
		{Free(alloc.Selection{Pattern: alloc.All}), "free:all"},
		{Free(alloc.Selection{Pattern: alloc.EveryNth, N: 2, Last: 10}), "free:every:2:last=10"},
		{Free(alloc.Selection{Pattern: alloc.KeepOnePerPage}), "free:keep-one-per-page"},
		{Free(alloc.Selection{Pattern: alloc.Random, Fraction: 0.25, Seed: 7}), "free:random:0.25:7"},
		{Free(alloc.Selection{Pattern: alloc.Oldest, Fraction: 0.5}), "free:oldest:0.5"},
		{Free(alloc.Selection{Pattern: alloc.LargerThan, Size: 1024}), "free:larger:1024"},
		{Trim(), "trim"},
		{Hold(1500 * time.Millisecond), "hold:1500"},
		{Pin(32), "pin:32"},
		{Poke(48), "poke:48"},
	} {
		if string(tc.got) != tc.want {
			t.Errorf("step %q, want %q", tc.got, tc.want)
		}
	}
}

func TestParseTwinRejectsMalformedReports(t *testing.T) {
	for _, report := range []string{
		"start\t1\n",            // too few fields
		"start\tx\t-1\tlibc\n",  // anon not a number
		"start\t-5\t-1\tlibc\n", // negative anon
		"start\t1\t1.5\tlibc\n", // held not an integer
	} {
		if _, err := parseTwin([]byte(report)); err == nil {
			t.Errorf("parseTwin(%q) accepted", report)
		}
	}
	p, err := parseTwin([]byte("start\t4096\t-1\t/lib/libc.so.6 2.36\ntrim\t0\t10\tmalloc_trim(0) (released memory)\n"))
	if err != nil || len(p) != 2 || p[1].Held != 10 || p[1].Detail != "malloc_trim(0) (released memory)" {
		t.Fatalf("parseTwin = %+v, %v", p, err)
	}
}

func TestTwinRejectsBadSteps(t *testing.T) {
	bin := buildTwin(t)
	for _, s := range []Step{
		Fill(100, alloc.Dist{Kind: alloc.Histogram}),
		"fill:100:uniform:10:5",
		"free:every:0",
		"free:random:2:1",
		"hold:-1",
		"jump",
	} {
		_, err := Twin{Bin: bin, Seed: 1, Steps: []Step{s}}.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "bad step") {
			t.Errorf("twin with step %q: %v, want a bad-step error", s, err)
		}
	}
}
