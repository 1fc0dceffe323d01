package machine

import "testing"

func TestParseOvercommit(t *testing.T) {
	for _, tc := range []struct {
		file    string
		want    int
		wantErr bool
	}{
		{"v1-hybrid/proc/sys/vm/overcommit_memory", 0, false},
		{"v2/proc/sys/vm/overcommit_memory", 1, false},
		{"cases/overcommit-never", 2, false},
		{"cases/overcommit-out-of-range", 0, true},
		{"cases/overcommit-not-a-number", 0, true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := parseOvercommit(readCase(t, tc.file))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseOvercommit = %d, %v; want %d, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
