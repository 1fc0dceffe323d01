package bundle

import (
	"errors"
	"strings"
	"testing"

	"github.com/memstorm/memstorm/rundir"
)

const goodManifest = `{
  "format": "memstorm-bundle/1",
  "node": "node-a",
  "host": {"hostname": "vm", "machine": {"kernel": "6.18", "cgroup_version": 1}},
  "started": "2026-12-01T03:46:45Z",
  "finished": "2026-12-01T03:46:48Z",
  "command": ["memstorm", "run", "oom-at-limit"],
  "exit_code": 0,
  "junit": "junit.xml",
  "runs": [{"dir": "runs/oom-at-limit-glibc", "scenario": "oom-at-limit", "allocator": "glibc", "outcome": "oom-killed", "passed": true}]
}
`

func TestDecodeManifest(t *testing.T) {
	m, err := DecodeManifest(strings.NewReader(goodManifest), "bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	if m.Node != "node-a" || len(m.Runs) != 1 || m.Runs[0].Outcome != rundir.OutcomeOOMKilled || m.Host.Machine.Kernel != "6.18" {
		t.Errorf("decoded %+v", m)
	}
}

// TestDecodeManifestRefuses holds each way a manifest can be wrong to an
// InputError that says what, at the line where JSON tells it.
func TestDecodeManifestRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
		line             int
	}{
		{"empty", "", "empty", 0},
		{"syntax", "{\n\"format\": ,}", "invalid character", 2},
		{"unknown key", strings.Replace(goodManifest, `"exit_code"`, `"exit_cod"`, 1), `unknown field "exit_cod"`, 0},
		{"wrong type", strings.Replace(goodManifest, `"exit_code": 0`, `"exit_code": "0"`, 1), "exit_code", 8},
		{"two values", goodManifest + "{}", "more than one JSON value", 0},
		{"format", strings.Replace(goodManifest, "memstorm-bundle/1", "memstorm-bundle/9", 1), `format "memstorm-bundle/9"`, 0},
		{"node empty", strings.Replace(goodManifest, `"node": "node-a"`, `"node": ""`, 1), "node name", 0},
		{"node slash", strings.Replace(goodManifest, `"node": "node-a"`, `"node": "a/b"`, 1), "node name", 0},
		{"run escapes", strings.Replace(goodManifest, "runs/oom-at-limit-glibc", "../../etc", 1), "under runs/", 0},
		{"run absolute", strings.Replace(goodManifest, "runs/oom-at-limit-glibc", "/runs/x", 1), "under runs/", 0},
		{"run not clean", strings.Replace(goodManifest, "runs/oom-at-limit-glibc", "runs/../runs/x", 1), "under runs/", 0},
		{"run elsewhere", strings.Replace(goodManifest, "runs/oom-at-limit-glibc", "other/x", 1), "under runs/", 0},
		{"outcome", strings.Replace(goodManifest, `"outcome": "oom-killed"`, `"outcome": "exploded"`, 1), "not an outcome", 0},
		{"junit", strings.Replace(goodManifest, `"junit": "junit.xml"`, `"junit": "../x.xml"`, 1), "junit", 0},
		{"too large", strings.Repeat(" ", MaxManifestBytes+1), "more than", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeManifest(strings.NewReader(tc.text), "b/bundle.json")
			var ie *rundir.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T), want an InputError", err, err)
			}
			if ie.Path != "b/bundle.json" || !strings.Contains(err.Error(), tc.want) || (tc.line > 0 && ie.Line != tc.line) {
				t.Errorf("error %q (line %d), want %q at b/bundle.json line %d", err, ie.Line, tc.want, tc.line)
			}
		})
	}
}

func TestValidNode(t *testing.T) {
	for name, ok := range map[string]bool{
		"node-a": true, "ip-10-0-1-2.ec2.internal": true, "a_b": true,
		"": false, ".": false, "..": false, "a b": false, "a/b": false, "ñ": false, strings.Repeat("a", 254): false,
	} {
		if err := ValidNode(name); (err == nil) != ok {
			t.Errorf("ValidNode(%q) = %v, want ok %v", name, err, ok)
		}
	}
}
