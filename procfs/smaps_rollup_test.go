package procfs

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSmapsRollupFixtures(t *testing.T) {
	for _, tc := range []struct {
		host string
		want SmapsRollup
	}{
		{"v1-hybrid", SmapsRollup{
			Rss: 79328 * kB, Pss: 78004 * kB, PssDirty: 72676 * kB, PssAnon: 72676 * kB, PssFile: 5328 * kB,
			SharedClean: 1640 * kB, PrivateClean: 5012 * kB, PrivateDirty: 72676 * kB,
			Referenced: 79328 * kB, Anonymous: 72676 * kB,
		}},
		{"v2", SmapsRollup{
			Rss: 81588 * kB, Pss: 79816 * kB, PssDirty: 74052 * kB, PssAnon: 74052 * kB, PssFile: 5764 * kB,
			SharedClean: 2140 * kB, PrivateClean: 5396 * kB, PrivateDirty: 74052 * kB,
			Referenced: 81588 * kB, Anonymous: 74052 * kB,
		}},
	} {
		t.Run(tc.host, func(t *testing.T) {
			got, err := hostFS[tc.host].Self().SmapsRollup()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("SmapsRollup() mismatch (-want +got):\n%s", diff)
			}
			// The fixtures were taken with status at the same moment.
			st, err := hostFS[tc.host].Self().Status()
			if err != nil {
				t.Fatal(err)
			}
			if got.Rss != st.VmRSS || got.Anonymous != st.RssAnon {
				t.Errorf("smaps Rss %d Anonymous %d, status VmRSS %d RssAnon %d", got.Rss, got.Anonymous, st.VmRSS, st.RssAnon)
			}
		})
	}
}

func TestParseSmapsRollupCases(t *testing.T) {
	for _, tc := range []struct {
		file    string
		wantErr error
	}{
		{"smaps_rollup-empty", ErrProcessGone},
		{"smaps_rollup-missing-rss", ErrMalformed},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseSmapsRollup(openCase(t, tc.file))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ParseSmapsRollup error = %v, want %v", err, tc.wantErr)
			}
			if got != (SmapsRollup{}) {
				t.Errorf("got %+v with an error, want zero", got)
			}
		})
	}
}

func TestSmapsRollupSelf(t *testing.T) {
	s, err := DefaultFS.Self().SmapsRollup()
	if err != nil {
		t.Fatal(err)
	}
	// Pss divides shared pages among sharers, so it never exceeds Rss; the
	// kinds of resident pages add up to Rss.
	if s.Pss > s.Rss || s.Anonymous > s.Rss || s.Rss <= 0 {
		t.Errorf("Rss %d Pss %d Anonymous %d", s.Rss, s.Pss, s.Anonymous)
	}
	if sum := s.SharedClean + s.SharedDirty + s.PrivateClean + s.PrivateDirty; sum != s.Rss {
		t.Errorf("Shared+Private = %d, want Rss %d", sum, s.Rss)
	}
}
