package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable writes r as a table: figure, median, min and max over the
// repetitions, goal and whether it is met; a skipped figure with its reason.
func WriteTable(w io.Writer, r *Result) error {
	m := r.Machine
	fmt.Fprintf(w, "machine: %s, %d cores (%d logical), %s RAM, kernel %s, THP %s, cgroup v%d\n\n",
		m.CPUBrand, m.PhysicalCores, m.LogicalCores, fmtGiB(m.MemTotalBytes), m.Kernel, m.THP, m.CgroupVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tMEDIAN\tMIN\tMAX\tN\tGOAL\tMET")
	vals := r.Values()
	for _, g := range Goals {
		if why, ok := r.Skipped[g.Key]; ok {
			fmt.Fprintf(tw, "%s\tskipped\t\t\t\t%s\t%s\n", g.Key, g.Text, why)
			continue
		}
		v := vals[g.Key]
		met := "-"
		switch {
		case g.Met != nil && g.Met(v):
			met = "yes"
		case g.Met != nil:
			met = "NO"
		}
		min, max, n := "", "", "1"
		if sp, ok := r.Spread[g.Key]; ok {
			min, max, n = fmt.Sprintf("%.4g", sp.Min), fmt.Sprintf("%.4g", sp.Max), fmt.Sprint(sp.N)
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%s\t%s\t%s\t%s\t%s\n", g.Key, v, min, max, n, g.Text, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	d := r.Detail
	_, err := fmt.Fprintf(w, "\nmalloc+free pair: engine %.1f ns, C %.1f ns; fill (%s): memstorm %.2f GB/s, C %.2f GB/s;\n"+
		"mmap fill %.2f GB/s; C: MAP_POPULATE %.2f GB/s, 1 MiB mmaps touched %.2f GB/s, MADV_POPULATE_WRITE %.2f GB/s;\n"+
		"to 1 GiB limit: stress-ng %.2f s, memstorm %.2f s; OOM fill of 64 MiB %.3f s;\n"+
		"sampler floor (C, statm + usage): %.4f at 100 Hz, %.4f at 1 kHz; one cold pread: statm %.0f ns, stat %.0f ns, status %.0f ns;\n"+
		"fleet of %d bundles (%d runs, %d-byte tarballs); start-up %.2f ms of package initialisation;\n"+
		"%d threads; reports of %d and %d samples; pinned to CPU %d; medians of %d repetitions\n",
		d.EngineNsPerPair, d.CNsPerPair, fmtGiB(d.FillBytes), d.FillGBps, d.CFillGBps, d.MmapFillGBps,
		d.PopulateGBps, d.MmapTouchGBps, d.PopulateWriteGBps,
		d.StressNGSeconds, d.MemstormSeconds, d.OOMFillSeconds,
		d.SamplerFloor100Hz, d.SamplerFloor1KHz, d.StatmReadNs, d.StatReadNs, d.StatusReadNs,
		d.FleetBundles, d.FleetRuns, d.FleetTarBytes, d.StartupInitMs,
		d.Threads, d.ReportSamples, d.ReportSamples10, d.PinnedCPU, d.Reps)
	return err
}

func fmtGiB(n int64) string { return fmt.Sprintf("%.2f GiB", float64(n)/float64(gib)) }

// Failed lists the figures that miss their goal (skipped ones are not
// failures: the table and Skipped say why they are missing).
func (r *Result) Failed() []string {
	var out []string
	vals := r.Values()
	for _, g := range Goals {
		if _, skipped := r.Skipped[g.Key]; g.Met == nil || skipped {
			continue
		}
		if !g.Met(vals[g.Key]) {
			out = append(out, g.Key)
		}
	}
	return out
}
