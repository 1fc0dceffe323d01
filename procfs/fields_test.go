package procfs

import "testing"

func TestParseValue(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		unit    unit
		want    int64
		wantErr bool
	}{
		{"kB", "\t   79328 kB", kiB, 79328 * 1024, false},
		{"count", "\t1", count, 1, false},
		{"zero kB", "       0 kB", kiB, 0, false},
		{"trailing CR", " 5 kB\r", kiB, 5120, false},
		{"empty", "", kiB, 0, true},
		{"blank", "   \t", count, 0, true},
		{"no unit for bytes", " 12", kiB, 0, true},
		{"unit for count", " 12 kB", count, 0, true},
		{"MB", " 12 MB", kiB, 0, true},
		{"negative", " -12 kB", kiB, 0, true},
		{"overflow uint64", " 99999999999999999999 kB", kiB, 0, true},
		{"overflow bytes", " 9223372036854775807 kB", kiB, 0, true},
		{"hex", " 0xff", count, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseValue([]byte(tc.in), tc.unit)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseValue(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Errorf("parseValue(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}
