package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/memstorm/memstorm/stress"
	"github.com/memstorm/memstorm/units"
)

// progressPrinter shows a run while it goes: on a terminal one status line
// redrawn a few times a second; elsewhere (CI logs) a plain line every few
// seconds; nothing with --quiet.
type progressPrinter struct {
	w     io.Writer
	label string
	quiet bool
	tty   bool
	last  time.Time
	width int
}

const plainEvery = 5 * time.Second

func newProgressPrinter(w io.Writer, quiet bool, label string) *progressPrinter {
	// The first plain line comes after plainEvery: a short run prints only
	// its summary.
	return &progressPrinter{w: w, quiet: quiet, label: label, tty: isTerminal(w), last: time.Now()}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// terminalWidth is the width of the terminal w writes to; 0 when unknown.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}

func (p *progressPrinter) update(pr stress.Progress) {
	if p.quiet || pr.Phase == "" {
		return
	}
	if !p.tty && time.Since(p.last) < plainEvery {
		return
	}
	p.last = time.Now()
	line := formatProgress(p.label, pr)
	if p.tty {
		// One line that fits the terminal: a wrapped status line cannot be
		// redrawn in place.
		if cols := terminalWidth(p.w); cols > 1 && len([]rune(line)) > cols-1 {
			line = string([]rune(line)[:cols-1])
		}
		pad := ""
		if n := p.width - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(p.w, "\r%s%s", line, pad)
		p.width = len(line)
		return
	}
	fmt.Fprintln(p.w, line)
}

// clear removes the status line before the final summary.
func (p *progressPrinter) clear() {
	if p.tty && p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
}

func formatProgress(label string, pr stress.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %6.1fs  %-14s", label, pr.Elapsed.Seconds(), pr.Phase)
	if pr.PhaseShare >= 0 {
		fmt.Fprintf(&b, " %3.0f%%", 100*pr.PhaseShare)
	}
	fmt.Fprintf(&b, "  RSS %9s  live %9s", units.FormatBytes(pr.RSS), units.FormatBytes(pr.Live))
	if pr.CgroupUsage >= 0 {
		fmt.Fprintf(&b, "  cgroup %9s", units.FormatBytes(pr.CgroupUsage))
		if lim, ok := pr.Limit.Bytes(); ok {
			fmt.Fprintf(&b, " (%3.0f%% of limit)", 100*float64(pr.CgroupUsage)/float64(lim))
		}
	}
	fmt.Fprintf(&b, "  alloc %s/s", units.FormatBytes(int64(pr.AllocRate)))
	if pr.Stalled != "" {
		fmt.Fprintf(&b, "  STOPPED: %s", pr.Stalled)
	}
	return b.String()
}
