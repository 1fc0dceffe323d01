package scenarios

// Scenario is a decoded, validated scenario file. Zero values of optional
// fields are filled with their defaults by Parse, so the engine never has to
// guess.
type Scenario struct {
	Name        string            `yaml:"name,omitempty"`
	Description string            `yaml:"description,omitempty"`
	SampleEvery Duration          `yaml:"sample_every,omitempty"` // default 20ms
	Workers     int               `yaml:"workers,omitempty"`      // threads, each locked to its own OS thread; default 1
	Processes   int               `yaml:"processes,omitempty"`    // worker processes in the run's cgroup; default 1
	Seed        uint64            `yaml:"seed,omitempty"`         // default 1; every random choice derives from it
	Allocators  []string          `yaml:"allocators,omitempty"`   // run once per allocator (allocator issue); empty: glibc
	Env         map[string]string `yaml:"env,omitempty"`          // extra environment for the worker
	Mallopt     map[string]int64  `yaml:"mallopt,omitempty"`      // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_ARENA_MAX, M_TOP_PAD
	THP         THP               `yaml:"thp,omitempty"`          // transparent huge pages for the worker; default host
	Limit       *Limit            `yaml:"limit,omitempty"`        // the run's memory cgroup settings
	Rlimits     *Rlimits          `yaml:"rlimits,omitempty"`      // set in the worker before it allocates
	HugeTLB     map[string]int    `yaml:"hugetlb,omitempty"`      // explicit huge pages needed from the host's pool, by page size (validate_pages.go)
	Expect      *Expect           `yaml:"expect,omitempty"`
	Phases      []Phase           `yaml:"phases,omitempty"`

	// Source is the scenario text as read (for the report); Path is where it
	// came from ("builtin:NAME" for the embedded library).
	Source string `yaml:"-"`
	Path   string `yaml:"-"`
}

// Phase is one step of a scenario. Exactly one of Allocate, Free, Madvise,
// Trim, Hold, RestartThreads, Replay or Repeat/Phases is set.
type Phase struct {
	Name     string    `yaml:"name,omitempty"`
	Allocate *Allocate `yaml:"allocate,omitempty"`
	Free     *Free     `yaml:"free,omitempty"`
	Madvise  *Madvise  `yaml:"madvise,omitempty"`
	Trim     bool      `yaml:"trim,omitempty"`
	Hold     Duration  `yaml:"hold,omitempty"`
	// Repeat runs Phases Repeat times (a group): sawtooth and growth-over-cycles.
	Repeat int     `yaml:"repeat,omitempty"`
	Phases []Phase `yaml:"phases,omitempty"`
	// Turns makes a group run on one thread at a time: thread 0 runs all
	// its phases alone, then thread 1, and so on, Repeat times over. Jobs
	// that come and go at different times are what make per-thread arenas
	// keep memory another thread could have reused.
	Turns bool `yaml:"turns,omitempty"`
	// SizeGrowth, on a group, multiplies the object sizes of the allocate
	// steps inside it by SizeGrowth^r on its repetition r (from 0): each
	// cycle asks for bigger objects than the holes earlier cycles left.
	SizeGrowth float64 `yaml:"size_growth,omitempty"`
	// RestartThreads ends the worker's threads 1..N-1 (only the running one
	// in a turns group) while their objects stay live, and starts new OS
	// threads that take over their objects (see threads.go).
	RestartThreads bool `yaml:"restart_threads,omitempty"`
	// Replay replays a recorded allocation trace (replay.go).
	Replay *Replay `yaml:"replay,omitempty"`
}

// phaseActions lists the keys of which a phase has exactly one. A group may
// leave repeat out and write only phases.
var phaseActions = Enum[string]{Key: "action", Values: []Value[string]{
	{"allocate", "allocate objects until a condition holds"},
	{"free", "free the selected live objects"},
	{"madvise", "apply madvise(2) advice to the selected mmap'd objects"},
	{"trim", "ask the allocator to return free memory to the system"},
	{"hold", "do nothing for a while, sampling"},
	{"restart_threads", "end threads 1..N-1 and hand their objects to new threads"},
	{"replay", "replay a recorded allocation trace (memstorm record, memstorm import)"},
	{"repeat", "with phases: a group, its phases run repeat times"},
}}

// Via names the allocation backend.
type Via string

// Allocation backends, documented in ViaValues.
const (
	ViaMalloc        Via = "malloc"
	ViaCalloc        Via = "calloc"
	ViaRealloc       Via = "realloc"
	ViaPosixMemalign Via = "posix_memalign"
	ViaMmap          Via = "mmap"
	ViaGo            Via = "go"
	ViaFile          Via = "file"
	ViaTmpfs         Via = "tmpfs"
	ViaMemfd         Via = "memfd"
	ViaShm           Via = "shm"
)

// ViaValues lists the allocation backends.
var ViaValues = Enum[Via]{Key: "via", Values: []Value[Via]{
	{ViaMalloc, "malloc(3)"},
	{ViaCalloc, "calloc(3)"},
	{ViaRealloc, "each object grown by realloc(3), doubling from 16 B to its size"},
	{ViaPosixMemalign, "posix_memalign(3) at Align"},
	{ViaMmap, "an anonymous mmap(2) per object, in whole pages"},
	{ViaGo, "the Go heap, for comparison"},
	{ViaFile, "written to its own extent of a file on disk (in $TMPDIR, else /tmp) and read back: page cache, reclaimable"},
	{ViaTmpfs, "written to its own extent of a file on tmpfs (/dev/shm) and read back: shared memory, not reclaimable without swap"},
	{ViaMemfd, "a memfd_create(2) file mapped MAP_SHARED per object: shared memory"},
	{ViaShm, "a POSIX shared memory object (shm_open(3)) mapped MAP_SHARED per object: shared memory"},
}}

// Allocate fills memory until its stop condition holds.
type Allocate struct {
	Via   Via      `yaml:"via,omitempty"`   // default malloc
	Align Size     `yaml:"align,omitempty"` // posix_memalign alignment; default 64
	Size  SizeDist `yaml:"size,omitempty"`
	Touch *bool    `yaml:"touch,omitempty"` // write every page so it becomes resident; default true
	Until Until    `yaml:"until,omitempty"`
	// Populate, Huge and Lock apply to via: mmap (validate_pages.go); ""
	// and false for none.
	Populate Populate `yaml:"populate,omitempty"`
	Huge     Huge     `yaml:"huge,omitempty"`
	Lock     bool     `yaml:"lock,omitempty"`
}

// Dist names a size distribution.
type Dist string

// Size distributions, documented in DistValues.
const (
	DistFixed     Dist = "fixed"
	DistUniform   Dist = "uniform"
	DistLognormal Dist = "lognormal"
	DistPareto    Dist = "pareto"
	DistHistogram Dist = "histogram"
)

// DistValues lists the size distributions.
var DistValues = Enum[Dist]{Key: "dist", Values: []Value[Dist]{
	{DistFixed, "every object Value bytes"},
	{DistUniform, "uniform in Min..Max"},
	{DistLognormal, "log-normal around Median with Sigma, clamped to Min..Max"},
	{DistPareto, "Pareto with scale Min and shape Alpha, clamped to Max"},
	{DistHistogram, "Buckets, each drawn in proportion to its weight"},
}}

// SizeDist is an object size distribution. In YAML a plain size ("4KiB") is
// a fixed size.
type SizeDist struct {
	Dist    Dist     `yaml:"dist,omitempty"`
	Value   Size     `yaml:"value,omitempty"`
	Min     Size     `yaml:"min,omitempty"`
	Max     Size     `yaml:"max,omitempty"`
	Median  Size     `yaml:"median,omitempty"`
	Sigma   float64  `yaml:"sigma,omitempty"`
	Alpha   float64  `yaml:"alpha,omitempty"`
	Buckets []Bucket `yaml:"buckets,omitempty"`
}

// Bucket is one size of a histogram distribution with its relative weight.
type Bucket struct {
	Size   Size    `yaml:"size,omitempty"`
	Weight float64 `yaml:"weight,omitempty"`
}

// Until is an allocate phase's stop condition. Several may be set; the first
// to hold stops the phase. In YAML the scalars `oom` and `enomem` are
// shorthands for {oom: true} and {enomem: true}.
type Until struct {
	Bytes    Size     `yaml:"bytes,omitempty"`    // live bytes added by this phase, across all workers
	Count    int64    `yaml:"count,omitempty"`    // objects allocated by this phase, across all workers
	Duration Duration `yaml:"duration,omitempty"` // time spent in this phase
	Limit    Percent  `yaml:"limit,omitempty"`    // cgroup usage reaches this share of the hard limit
	OOM      bool     `yaml:"oom,omitempty"`      // until the kernel kills the worker
	ENOMEM   bool     `yaml:"enomem,omitempty"`   // until an allocation fails
}

// untilKeys lists the stop conditions (the keys of Until, in its order).
var untilKeys = Enum[string]{Key: "until", Values: []Value[string]{
	{"bytes", "live bytes added by this phase, across all workers"},
	{"count", "objects allocated by this phase, across all workers"},
	{"duration", "time spent in this phase"},
	{"limit", "cgroup usage reaches this share of the hard limit"},
	{"oom", "until the kernel kills the worker"},
	{"enomem", "until an allocation fails"},
}}

// untilShorthands are the conditions that may be written as a scalar,
// `until: oom` for {oom: true}.
var untilShorthands = []string{"oom", "enomem"}

// Pattern names which live objects a free or madvise step selects.
type Pattern string

// Selection patterns, documented in PatternValues.
const (
	PatternAll            Pattern = "all"
	PatternEveryOther     Pattern = "every-other"
	PatternEveryNth       Pattern = "every-nth"
	PatternKeepOnePerPage Pattern = "keep-one-per-page"
	PatternRandom         Pattern = "random"
	PatternOldest         Pattern = "oldest"
	PatternNewest         Pattern = "newest"
	PatternLargerThan     Pattern = "larger-than"
	PatternSmallerThan    Pattern = "smaller-than"
)

// PatternValues lists the selection patterns.
var PatternValues = Enum[Pattern]{Key: "pattern", Values: []Value[Pattern]{
	{PatternAll, "every live object"},
	{PatternEveryOther, "objects 1, 3, 5, ... in allocation order"},
	{PatternEveryNth, "objects N-1, 2N-1, ..."},
	{PatternKeepOnePerPage, "on every page, all objects but the first that starts there"},
	{PatternRandom, "a Fraction of the live objects, chosen at random from Seed"},
	{PatternOldest, "the first Fraction of the live objects in allocation order"},
	{PatternNewest, "the last Fraction of the live objects"},
	{PatternLargerThan, "objects whose requested size is above Size"},
	{PatternSmallerThan, "objects whose requested size is below Size"},
}}

// Selection chooses live objects.
type Selection struct {
	Pattern  Pattern `yaml:"pattern,omitempty"`
	N        int     `yaml:"n,omitempty"`
	Fraction float64 `yaml:"fraction,omitempty"`
	Seed     uint64  `yaml:"seed,omitempty"` // default: derived from the scenario seed
	Size     Size    `yaml:"size,omitempty"`
}

// Free releases the selected objects (free(), munmap, or dropping Go references).
type Free struct {
	Selection `yaml:",inline"`
	// Among narrows the candidates: AmongLastAllocate runs the pattern over
	// the objects the allocate phase just before this one allocated (per
	// thread), leaving older objects alone. Empty: every live object.
	Among Among `yaml:"among,omitempty"`
	// By says which thread calls free(): ByNext makes thread i free the
	// objects of thread (i+1) mod workers, so that memory allocated in one
	// thread's arena or cache is released from another. Empty: the owner.
	By By `yaml:"by,omitempty"`
}

// Among names the objects a free pattern chooses from.
type Among string

// Candidate sets of a free. AmongAll is the key left out; AmongValues
// documents the others.
const (
	AmongAll          Among = ""
	AmongLastAllocate Among = "last-allocate"
)

// AmongValues lists the values among may be written with.
var AmongValues = Enum[Among]{Key: "among", Values: []Value[Among]{
	{AmongLastAllocate, "the objects of the allocate phase just before (per thread)"},
}}

// By names the thread that frees an object.
type By string

// Freeing threads, documented in ByValues; "" is BySelf.
const (
	BySelf By = "self"
	ByNext By = "next"
)

// ByValues lists the freeing threads.
var ByValues = Enum[By]{Key: "by", Values: []Value[By]{
	{BySelf, "the thread that allocated the object (the default)"},
	{ByNext, "thread i frees the objects of thread (i+1) mod workers"},
}}

// THP is what transparent huge pages are for the worker's memory.
type THP string

// THP modes, documented in THPValues.
const (
	THPHost    THP = "host"
	THPNever   THP = "never"
	THPMadvise THP = "madvise"
)

// THPValues lists the THP modes a scenario can ask for. A process can take
// huge pages away from itself (prctl PR_SET_THP_DISABLE), never give
// itself more than the host's mode allows.
var THPValues = Enum[THP]{Key: "thp", Values: []Value[THP]{
	{THPHost, "the host's mode (transparent_hugepage/enabled) as it is"},
	{THPNever, "no huge pages in the worker, whatever the host's mode: prctl(PR_SET_THP_DISABLE)"},
	{THPMadvise, "huge pages only where memory is madvised MADV_HUGEPAGE; on a host in always mode this needs Linux 6.18 (PR_THP_DISABLE_EXCEPT_ADVISED)"},
}}

// Advice is a madvise(2) advice.
type Advice string

// Advices, documented in AdviceValues.
const (
	AdviceDontneed Advice = "dontneed"
	AdviceFree     Advice = "free"
	AdviceCold     Advice = "cold"
	AdvicePageout  Advice = "pageout"
)

// AdviceValues lists the madvise(2) advices.
var AdviceValues = Enum[Advice]{Key: "advice", Values: []Value[Advice]{
	{AdviceDontneed, "MADV_DONTNEED: drop the pages now"},
	{AdviceFree, "MADV_FREE: the kernel may take the pages back when it needs memory"},
	{AdviceCold, "MADV_COLD: make the pages the first to be reclaimed, keeping them"},
	{AdvicePageout, "MADV_PAGEOUT: reclaim the pages now"},
}}

// Madvise applies an advice to the selected mmap'd objects (other backends'
// objects are skipped).
type Madvise struct {
	Selection `yaml:",inline"`
	Advice    Advice `yaml:"advice,omitempty"`
}

// Limit is the memory cgroup configuration of a run.
type Limit struct {
	Max      Size `yaml:"max,omitempty"`       // hard limit; 0 when Inherit
	Inherit  bool `yaml:"-"`                   // max: inherit: the limit of the cgroup memstorm runs in
	High     Size `yaml:"high,omitempty"`      // v2 memory.high, v1 soft limit
	Swap     Size `yaml:"swap,omitempty"`      // v2 memory.swap.max, v1 memsw - max
	OOMGroup bool `yaml:"oom_group,omitempty"` // v2 memory.oom.group
	// HugeTLB is the hugetlb controller's limit by page size ("2MiB",
	// "1GiB"): v2 hugetlb.<size>.max. A fault past it is a SIGBUS, the
	// outcome hugetlb-limit.
	HugeTLB map[string]Size `yaml:"hugetlb,omitempty"`
}

// Rlimits are resource limits set in the worker before it allocates.
type Rlimits struct {
	AddressSpace Size `yaml:"address_space,omitempty"` // RLIMIT_AS
	Data         Size `yaml:"data,omitempty"`          // RLIMIT_DATA
}

// Expect lists what must hold after the run.
type Expect struct {
	Outcome   string            `yaml:"outcome,omitempty"`
	PeakUsage string            `yaml:"peak_usage,omitempty"` // "90%..100% of limit"
	Phases    map[string]string `yaml:"phases,omitempty"`     // phase name -> "anon/live >= 1.6", ...
	// Allocators, when set, limits the peak_usage and phase expectations to
	// runs under these allocators: a fragmentation shape is a property of an
	// allocator. The outcome is checked under every allocator.
	Allocators []string `yaml:"allocators,omitempty"`
}
