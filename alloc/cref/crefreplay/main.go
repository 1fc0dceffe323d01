// Command crefreplay replays a trace in memstorm's plain-C reference
// program (alloc/cref's replay mode) and prints the figures memstorm's
// replay table prints, so that the two can be set side by side
// (scripts/replay-fidelity.sh):
//
//	go run ./alloc/cref/crefreplay [-speed N] [-lib LIBRARY] TRACE
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/memstorm/memstorm/alloc/cref"
	"github.com/memstorm/memstorm/units"
)

func main() {
	speed := flag.Float64("speed", 0, "0: as fast as it goes; N: N times the recorded pace")
	lib := flag.String("lib", "", "an allocator library to LD_PRELOAD")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: crefreplay [-speed N] [-lib LIBRARY] TRACE")
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "crefreplay-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	defer os.RemoveAll(dir)
	bin, err := cref.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	x := cref.Replay{Bin: bin, Trace: flag.Arg(0), Speed: *speed, Touch: true}
	if *lib != "" {
		x.Env = []string{"LD_PRELOAD=" + *lib}
	}
	res, err := x.Run(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Printf("plain C replay of %s: peak live %s, live at the recorded peak %s", flag.Arg(0),
		units.FormatBytes(res.PeakLive), units.FormatBytes(res.AtRecordedPeak))
	if f := res.RSS; f != nil {
		fmt.Printf("; peak RSS %s (recorded %s, %+.1f%%), RSS at end %s (recorded %s, %+.1f%%), baseline %s",
			units.FormatBytes(f.Peak), units.FormatBytes(f.RecPeak), pct(f.Peak, f.RecPeak),
			units.FormatBytes(f.Last), units.FormatBytes(f.RecLast), pct(f.Last, f.RecLast), units.FormatBytes(f.Baseline))
	}
	fmt.Println()
}

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a-b) / float64(b)
}
