package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable writes r as a table: figure, value, goal and whether it is met.
func WriteTable(w io.Writer, r *Result) error {
	m := r.Machine
	fmt.Fprintf(w, "machine: %s, %d cores (%d logical), %s RAM, kernel %s, THP %s, cgroup v%d\n\n",
		m.CPUBrand, m.PhysicalCores, m.LogicalCores, fmtGiB(m.MemTotalBytes), m.Kernel, m.THP, m.CgroupVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tVALUE\tGOAL\tMET")
	vals := r.Values()
	for _, g := range Goals {
		v := vals[g.Key]
		met := "-"
		switch {
		case g.NA != "" && v < 0:
			fmt.Fprintf(tw, "%s\tn/a\t%s\t%s\n", g.Key, g.Text, g.NA)
			continue
		case g.Met != nil && g.Met(v):
			met = "yes"
		case g.Met != nil:
			met = "NO"
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%s\t%s\n", g.Key, v, g.Text, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	d := r.Detail
	_, err := fmt.Fprintf(w, "\nmalloc+free pair: engine %.1f ns, C %.1f ns; fill (%s): memstorm %.2f GB/s, C %.2f GB/s;\n"+
		"mmap fill %.2f GB/s, MAP_POPULATE %.2f GB/s; to 1 GiB limit: stress-ng %.2f s, memstorm %.2f s;\n"+
		"%d threads; report of %d samples; fleet of %d bundles (%d runs, %d-byte tarballs);\n"+
		"start-up %.2f ms of package initialisation; medians of %d side-by-side repetitions\n",
		d.EngineNsPerPair, d.CNsPerPair, fmtGiB(d.FillBytes), d.FillGBps, d.CFillGBps, d.MmapFillGBps, d.PopulateGBps,
		d.StressNGSeconds, d.MemstormSeconds, d.Threads, d.ReportSamples, d.FleetBundles, d.FleetRuns, d.FleetTarBytes,
		d.StartupInitMs, d.Reps)
	return err
}

func fmtGiB(n int64) string { return fmt.Sprintf("%.2f GiB", float64(n)/float64(gib)) }

// Failed lists the figures that miss their goal (those with NA only when measured).
func (r *Result) Failed() []string {
	var out []string
	vals := r.Values()
	for _, g := range Goals {
		v := vals[g.Key]
		if g.Met == nil || (g.NA != "" && v < 0) {
			continue
		}
		if !g.Met(v) {
			out = append(out, g.Key)
		}
	}
	return out
}
