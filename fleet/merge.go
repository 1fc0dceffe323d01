package fleet

import (
	"cmp"
	"slices"
)

// Fleet is the merged result of many bundles: fleet.json.
type Fleet struct {
	Bundles    int `json:"bundles"`
	Duplicates int `json:"duplicates"` // further copies of bundles already found, not counted again
	// Cells are the scenario × allocator columns of the verdict table, in order.
	Cells []Cell  `json:"cells"`
	Nodes []*Node `json:"nodes"` // worst first
	Worst string  `json:"worst_node,omitempty"`
	Rows  []Row   `json:"runs"` // by node, scenario, allocator
	// Counts of runs by verdict.
	Verdicts map[Verdict]int `json:"verdicts"`
}

// Cell is one scenario × allocator column.
type Cell struct {
	Scenario  string `json:"scenario"`
	Allocator string `json:"allocator"`
}

// Node is one node's line of the verdict table.
type Node struct {
	Name   string `json:"name"`
	Kernel string `json:"kernel,omitempty"`
	Cgroup int    `json:"cgroup_version"`
	Runs   int    `json:"runs"`
	// NotPassed counts the runs whose verdict is not pass.
	NotPassed int `json:"not_passed"`
	// MaxPeakShare is the highest peak usage over limit of its runs.
	MaxPeakShare *float64 `json:"max_peak_share"`
	// MinTimeToKillS is its soonest OOM kill.
	MinTimeToKillS *float64 `json:"min_time_to_kill_s"`
	Worst          bool     `json:"worst,omitempty"`
	// ByCell indexes Fleet.Rows by the position of each Cell: the runs of
	// this node in that column (usually one).
	ByCell [][]int `json:"-"`
}

// merge orders the rows and builds the table.
func merge(rows []Row) *Fleet {
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Scenario, b.Scenario),
			cmp.Compare(a.Allocator, b.Allocator), cmp.Compare(a.Bundle, b.Bundle), cmp.Compare(a.Run, b.Run))
	})
	f := &Fleet{Rows: rows, Verdicts: map[Verdict]int{}}
	cells := map[Cell]int{}
	for _, r := range rows {
		c := Cell{r.Scenario, r.Allocator}
		if _, ok := cells[c]; !ok {
			cells[c] = len(f.Cells)
			f.Cells = append(f.Cells, c)
		}
	}
	slices.SortFunc(f.Cells, func(a, b Cell) int {
		return cmp.Or(cmp.Compare(a.Scenario, b.Scenario), cmp.Compare(a.Allocator, b.Allocator))
	})
	for i, c := range f.Cells {
		cells[c] = i
	}
	nodes := map[string]*Node{}
	for i, r := range rows {
		f.Verdicts[r.Verdict]++
		n := nodes[r.Node]
		if n == nil {
			n = &Node{Name: r.Node, Kernel: r.Kernel, Cgroup: r.Cgroup, ByCell: make([][]int, len(f.Cells))}
			nodes[r.Node] = n
			f.Nodes = append(f.Nodes, n)
		}
		n.Runs++
		if r.Verdict != VerdictPass {
			n.NotPassed++
		}
		n.MaxPeakShare = maxPtr(n.MaxPeakShare, r.PeakShare)
		if r.TimeToKillS != nil && (n.MinTimeToKillS == nil || *r.TimeToKillS < *n.MinTimeToKillS) {
			n.MinTimeToKillS = r.TimeToKillS
		}
		c := cells[Cell{r.Scenario, r.Allocator}]
		n.ByCell[c] = append(n.ByCell[c], i)
	}
	slices.SortStableFunc(f.Nodes, worse)
	if len(f.Nodes) > 0 {
		f.Nodes[0].Worst = true
		f.Worst = f.Nodes[0].Name
	}
	return f
}

// worse orders nodes worst first: more runs that did not pass, then the
// cgroup nearest its limit, then the soonest OOM kill, then by name.
func worse(a, b *Node) int {
	return cmp.Or(cmp.Compare(b.NotPassed, a.NotPassed),
		cmp.Compare(val(b.MaxPeakShare, -1), val(a.MaxPeakShare, -1)),
		cmp.Compare(val(a.MinTimeToKillS, 1e300), val(b.MinTimeToKillS, 1e300)),
		cmp.Compare(a.Name, b.Name))
}

func val(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

func maxPtr(a, b *float64) *float64 {
	if a == nil || (b != nil && *b > *a) {
		return b
	}
	return a
}

// Count is how many runs have verdict v.
func (f *Fleet) Count(v Verdict) int { return f.Verdicts[v] }
