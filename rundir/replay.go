package rundir

// ReplayFigures are what a replay phase measured (the replay event of
// events.jsonl). The RSS figures are anonymous RSS above a baseline at the
// recorded program's own RSS samples: its recorded value and the replay's
// reading when it reached the same point of the operation stream. They are
// present (RSSSamples > 0) when the trace has samples and the replay ran on
// one thread.
type ReplayFigures struct {
	PeakLive         int64 `json:"peak_live"` // requested bytes, the most live at once
	Ops              int64 `json:"ops"`
	RSSSamples       int   `json:"rss_samples,omitempty"`
	RecordedBaseline int64 `json:"recorded_baseline,omitempty"`
	Baseline         int64 `json:"baseline,omitempty"`
	RecordedPeakRSS  int64 `json:"recorded_peak_rss,omitempty"`
	PeakRSS          int64 `json:"peak_rss,omitempty"`
	RecordedEndRSS   int64 `json:"recorded_end_rss,omitempty"` // at the last sample
	EndRSS           int64 `json:"end_rss,omitempty"`
}
