// Package bench measures memstorm against references run side by side on the
// same machine: the engine's malloc/free op stream against the same stream in
// a plain C program (alloc/cref), filling memory against plain C and against
// mmap(MAP_POPULATE), the supervisor's sampling cost, how exactly it captures
// a peak, the engine's bookkeeping per object, report rendering time and the
// time to reach a cgroup limit against stress-ng.
//
// Every ratio is taken per repetition from a reference run and a memstorm run
// made back to back (alternating which goes first), and the median of the
// repetitions is reported, so that a noisy, shared machine moves both sides
// of a ratio together. Runs that allocate hundreds of MiB happen only inside a
// child memory cgroup with a hard limit, which is removed afterwards.
package bench
