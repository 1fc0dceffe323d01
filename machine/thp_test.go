package machine

import "testing"

func TestParseTHP(t *testing.T) {
	for _, tc := range []struct {
		file    string
		want    string
		wantErr bool
	}{
		{"v1-hybrid/sys/kernel/mm/transparent_hugepage/enabled", "madvise", false},
		{"v2/sys/kernel/mm/transparent_hugepage/enabled", "madvise", false},
		{"cases/thp-never", "never", false},
		{"cases/thp-no-brackets", "", true},
		{"cases/thp-empty", "", true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := parseTHP(readCase(t, tc.file))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseTHP = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
	if got, err := parseTHP("[]"); err == nil {
		t.Errorf("parseTHP(\"[]\") = %q, want an error", got)
	}
}
