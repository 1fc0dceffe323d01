package rundir

// ReplayFigures are what a replay phase measured (the replay event of
// events.jsonl). The RSS figures are anonymous RSS above a baseline at the
// recorded program's own RSS samples: its recorded value and the replay's
// reading when it reached the same point of the operation stream (on
// several threads, all of them stopped there). They are present
// (RSSSamples > 0) when the trace has samples.
type ReplayFigures struct {
	PeakLive         int64 `json:"peak_live"`          // requested bytes live at the recorded peak's point of the stream
	MaxLive          int64 `json:"max_live,omitempty"` // the most live at once as the replay ran (threads between sync points may exceed PeakLive)
	Ops              int64 `json:"ops"`
	RSSSamples       int   `json:"rss_samples,omitempty"`
	RecordedBaseline int64 `json:"recorded_baseline,omitempty"`
	Baseline         int64 `json:"baseline,omitempty"`
	RecordedPeakRSS  int64 `json:"recorded_peak_rss,omitempty"`
	PeakRSS          int64 `json:"peak_rss,omitempty"`
	RecordedEndRSS   int64 `json:"recorded_end_rss,omitempty"` // at the last sample
	EndRSS           int64 `json:"end_rss,omitempty"`
}
