package scenarios

// Replay is a replay phase: the allocation stream of a recorded program
// (memstorm record, memstorm import), replayed through the allocator under
// test.
type Replay struct {
	// Trace is the trace file, relative to the scenario file's directory.
	Trace string `yaml:"trace,omitempty"`
	// Threads is ThreadsRecorded (one OS thread per recorded thread,
	// cross-thread frees in recorded order) or ThreadsOne.
	Threads string `yaml:"threads,omitempty"`
	// Timing is "asap", "recorded", or "xN" (recorded time divided by N).
	Timing string `yaml:"timing,omitempty"`
	// Touch writes a byte in every page of each new object; default true.
	Touch *bool `yaml:"touch,omitempty"`

	// Filled in by validation from the file: the path resolved, the
	// timing as a speed (0: as fast as possible), and the trace's figures.
	Path     string  `yaml:"-" json:"path"`
	Speed    float64 `yaml:"-" json:"speed"`
	PeakLive int64   `yaml:"-" json:"peak_live"` // the most requested bytes live at once
	EndLive  int64   `yaml:"-" json:"end_live"`  // requested bytes live when the program exited
	Events   int64   `yaml:"-" json:"events"`
	PeakRSS  int64   `yaml:"-" json:"peak_rss"` // the recorded program's, when the trace has RSS samples
	LastRSS  int64   `yaml:"-" json:"last_rss"`
}

// Replay threads, documented in ReplayThreadsValues.
const (
	ThreadsRecorded = "recorded"
	ThreadsOne      = "one"
)

// ReplayThreadsValues lists the replay thread modes.
var ReplayThreadsValues = Enum[string]{Key: "threads", Values: []Value[string]{
	{ThreadsRecorded, "one OS thread per recorded thread; cross-thread frees wait for the recorded order"},
	{ThreadsOne, "every op on one thread, in recorded order"},
}}

// TouchesPages reports whether new objects get every page written.
func (r *Replay) TouchesPages() bool { return r.Touch == nil || *r.Touch }
