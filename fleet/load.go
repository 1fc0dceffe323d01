package fleet

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/memstorm/memstorm/bundle"
)

// Load finds the bundles at paths (bundle directories, tarballs, or
// directories holding them: bundle.Finder, which reads tarballs into
// memory), loads every run of every bundle, workers at a time (0: one per
// CPU), and merges them. A bundle found twice (a results directory holds
// the bundle and its tarball; two copies gathered twice) counts once. The
// first fault in any file is returned, naming the file (inside its
// tarball for one that came in one).
func Load(paths []string, workers int) (*Fleet, error) {
	finder := &bundle.Finder{}
	var bundles []*bundle.Bundle
	seen := map[string]bool{}
	dups := 0
	for _, p := range paths {
		bs, err := finder.Find(p)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			k := identity(b.Manifest)
			if seen[k] {
				dups++
				continue
			}
			seen[k] = true
			bundles = append(bundles, b)
		}
	}
	type job struct {
		b *bundle.Bundle
		i int
	}
	var jobs []job
	for _, b := range bundles {
		for i := range b.Manifest.Runs {
			jobs = append(jobs, job{b, i})
		}
	}
	rows := make([]Row, len(jobs))
	errs := make([]error, len(jobs))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, max(len(jobs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				j := jobs[k]
				r, err := j.b.LoadRun(j.i)
				if err != nil {
					errs[k] = err
					continue
				}
				rows[k] = rowOf(j.b, j.i, r)
			}
		}()
	}
	for k := range jobs {
		next <- k
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	f := merge(rows)
	f.Bundles, f.Duplicates = len(bundles), dups
	return f, nil
}

// identity tells one bundle from another: the same node, pod, times and
// command are the same bundle, however many copies were gathered.
func identity(m *bundle.Manifest) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s", m.Node, m.Pod, m.Started, m.Finished, strings.Join(m.Command, "\x00"))
}
