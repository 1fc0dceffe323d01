package kubernetes

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/memstorm/memstorm/alloc/allocators"
	"github.com/memstorm/memstorm/internal/testenv"
)

// docs splits a manifest file into its YAML documents, leaving out those
// that are only comments.
func docs(t *testing.T, file string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		for _, line := range strings.Split(d, "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, []byte(d))
				break
			}
		}
	}
	return out
}

// decode decodes one document strictly into v: an unknown or repeated
// field is an error.
func decode(t *testing.T, file string, doc []byte, v any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func jobs(t *testing.T) []batchv1.Job {
	t.Helper()
	var js []batchv1.Job
	for _, d := range docs(t, "job.yaml") {
		var j batchv1.Job
		decode(t, "job.yaml", d, &j)
		js = append(js, j)
	}
	return js
}

func daemonSet(t *testing.T) appsv1.DaemonSet {
	t.Helper()
	ds := docs(t, "daemonset.yaml")
	if len(ds) != 1 {
		t.Fatalf("daemonset.yaml: %d documents, want 1", len(ds))
	}
	var d appsv1.DaemonSet
	decode(t, "daemonset.yaml", ds[0], &d)
	return d
}

func claimName(t *testing.T) string {
	t.Helper()
	ds := docs(t, "results-pvc.yaml")
	if len(ds) != 1 {
		t.Fatalf("results-pvc.yaml: %d documents, want 1", len(ds))
	}
	var pvc corev1.PersistentVolumeClaim
	decode(t, "results-pvc.yaml", ds[0], &pvc)
	if pvc.Kind != "PersistentVolumeClaim" || len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != corev1.ReadWriteMany {
		t.Errorf("results-pvc.yaml: %s %v, want a ReadWriteMany claim (pods on many nodes write to it)", pvc.Kind, pvc.Spec.AccessModes)
	}
	return pvc.Name
}

// TestStrict: the decoding the tests rely on refuses a misspelt field.
func TestStrict(t *testing.T) {
	d := docs(t, "job.yaml")[0]
	typo := bytes.Replace(d, []byte("restartPolicy:"), []byte("restartPolicyy:"), 1)
	if bytes.Equal(typo, d) {
		t.Fatal("job.yaml has no restartPolicy")
	}
	var j batchv1.Job
	if err := yaml.UnmarshalStrict(typo, &j); err == nil || !strings.Contains(err.Error(), "restartPolicyy") {
		t.Errorf("a misspelt field decoded: %v", err)
	}
}

// checkPod holds a pod to running memstorm without privilege: not root, no
// privilege escalation, no capabilities, a read-only root, the runtime's
// seccomp profile, none of the host's namespaces or paths, the results
// on the claim under a directory per node, and memory requests equal to
// the limit (the limit is what the runs take, --limit inherit).
func checkPod(t *testing.T, name string, spec corev1.PodSpec, claim string, limit resource.Quantity) {
	t.Helper()
	sc := spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod security context %+v: want non-root, a user, RuntimeDefault seccomp", name, sc)
	}
	if spec.HostPID || spec.HostNetwork || spec.HostIPC {
		t.Errorf("%s: shares the host's namespaces", name)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token it does not need", name)
	}
	results := false
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			t.Errorf("%s: volume %s is a host path", name, v.Name)
		}
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim {
			results = true
		}
	}
	if !results {
		t.Errorf("%s: no volume of the claim %s", name, claim)
	}
	all := append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...)
	memstorms := 0
	for _, c := range all {
		cs := c.SecurityContext
		if cs == nil || cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation || (cs.Privileged != nil && *cs.Privileged) ||
			cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem || cs.Capabilities == nil ||
			len(cs.Capabilities.Drop) != 1 || cs.Capabilities.Drop[0] != "ALL" || len(cs.Capabilities.Add) != 0 {
			t.Errorf("%s/%s: security context %+v: want no privilege escalation, no capabilities, a read-only root", name, c.Name, cs)
		}
		if c.Image != "memstorm:latest" {
			continue
		}
		memstorms++
		if len(c.Command) != 1 || c.Command[0] != "memstorm" || len(c.Args) == 0 || c.Args[0] != "run" {
			t.Errorf("%s/%s: command %q %q, want memstorm run", name, c.Name, c.Command, c.Args)
		}
		if c.ImagePullPolicy != corev1.PullIfNotPresent {
			t.Errorf("%s/%s: imagePullPolicy %q, want IfNotPresent (the image is loaded, not pulled)", name, c.Name, c.ImagePullPolicy)
		}
		lim, req := c.Resources.Limits[corev1.ResourceMemory], c.Resources.Requests[corev1.ResourceMemory]
		if lim.Cmp(limit) != 0 || req.Cmp(limit) != 0 {
			t.Errorf("%s/%s: memory request %v, limit %v: want both %v", name, c.Name, &req, &lim, &limit)
		}
		perNode := false
		for _, m := range c.VolumeMounts {
			perNode = perNode || (m.MountPath == "/out" && m.SubPathExpr == "$(NODE_NAME)")
		}
		node := false
		for _, e := range c.Env {
			node = node || (e.Name == "NODE_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "spec.nodeName")
		}
		if !perNode || !node {
			t.Errorf("%s/%s: want /out on the claim at subPathExpr $(NODE_NAME), with NODE_NAME from spec.nodeName", name, c.Name)
		}
		if !hasArgs(c.Args, "--limit", "inherit") {
			t.Errorf("%s/%s: args %q: want --limit inherit, so that the runs take the container's limit", name, c.Name, c.Args)
		}
	}
	if memstorms != 1 {
		t.Errorf("%s: %d memstorm containers, want 1", name, memstorms)
	}
}

func hasArgs(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}

// limitOf is the memory limit a manifest's memstorm.io/limit label names.
func limitOf(t *testing.T, name string, labels map[string]string) resource.Quantity {
	t.Helper()
	q, err := resource.ParseQuantity(labels["memstorm.io/limit"])
	if err != nil {
		t.Fatalf("%s: label memstorm.io/limit %q: %v", name, labels["memstorm.io/limit"], err)
	}
	return q
}

// TestJobs: each Job is an Indexed Job of the matrix at one limit, its
// pods never restarted (a kill is a result, not a crash), and its
// completions are as many as the runs its arguments name.
func TestJobs(t *testing.T) {
	claim := claimName(t)
	js := jobs(t)
	if len(js) < 2 {
		t.Fatalf("job.yaml: %d Jobs, want one per limit of the matrix (at least 2)", len(js))
	}
	limits := map[string]bool{}
	for _, j := range js {
		if j.Kind != "Job" || j.APIVersion != "batch/v1" {
			t.Fatalf("job.yaml: %s %s, want batch/v1 Job", j.APIVersion, j.Kind)
		}
		lim := limitOf(t, j.Name, j.Labels)
		limits[lim.String()] = true
		s := j.Spec
		if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || s.Completions == nil {
			t.Errorf("%s: completion mode %v, want Indexed with completions", j.Name, s.CompletionMode)
			continue
		}
		if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 0 {
			t.Errorf("%s: backoffLimitPerIndex %v, want 0: a failed cell is a result", j.Name, s.BackoffLimitPerIndex)
		}
		if p := s.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever {
			t.Errorf("%s: restartPolicy %q, want Never", j.Name, p)
		}
		checkPod(t, j.Name, s.Template.Spec, claim, lim)
		c := s.Template.Spec.Containers[0]
		if !hasFlag(c.Args, "--bundle") {
			t.Errorf("%s: args %q: want --bundle, so that memstorm fleet can merge the cells", j.Name, c.Args)
		}
		if !hasArgs(c.Args, "--pick", "$(JOB_COMPLETION_INDEX)") {
			t.Errorf("%s: args %q: want --pick $(JOB_COMPLETION_INDEX)", j.Name, c.Args)
		}
		cells := dryRuns(t, j.Name, c.Args, lim, int(*s.Completions))
		if len(cells) != int(*s.Completions) {
			t.Errorf("%s: the %d completions run %d different cells, want one each", j.Name, *s.Completions, len(cells))
		}
	}
	if len(limits) != len(js) {
		t.Errorf("job.yaml: %d Jobs at %d limits, want one Job per limit", len(js), len(limits))
	}
}

// TestDaemonSet: the DaemonSet runs on every node (tolerating every
// taint), its memstorm container is an init container whose runs memstorm
// accepts, and its pod restarts as a DaemonSet's must.
func TestDaemonSet(t *testing.T) {
	claim := claimName(t)
	d := daemonSet(t)
	if d.Kind != "DaemonSet" || d.APIVersion != "apps/v1" {
		t.Fatalf("daemonset.yaml: %s %s, want apps/v1 DaemonSet", d.APIVersion, d.Kind)
	}
	spec := d.Spec.Template.Spec
	if p := spec.RestartPolicy; p != corev1.RestartPolicyAlways {
		t.Errorf("restartPolicy %q, want Always (the only one a DaemonSet allows)", p)
	}
	if sel := d.Spec.Selector; sel == nil || sel.MatchLabels["app.kubernetes.io/name"] != d.Spec.Template.Labels["app.kubernetes.io/name"] {
		t.Errorf("selector %v does not match the template's labels %v", sel, d.Spec.Template.Labels)
	}
	if len(spec.Tolerations) != 1 || spec.Tolerations[0].Operator != corev1.TolerationOpExists || spec.Tolerations[0].Key != "" {
		t.Errorf("tolerations %+v: want every taint tolerated (validate every node)", spec.Tolerations)
	}
	lim := limitOf(t, d.Name, d.Labels)
	checkPod(t, d.Name, spec, claim, lim)
	if len(spec.InitContainers) != 1 || spec.InitContainers[0].Image != "memstorm:latest" {
		t.Fatalf("want memstorm as the one init container, got %+v", spec.InitContainers)
	}
	c := spec.InitContainers[0]
	if c.WorkingDir != "/out" {
		t.Errorf("workingDir %q, want /out (the run directories go under it)", c.WorkingDir)
	}
	if !hasFlag(c.Args, "--bundle") {
		t.Errorf("args %q: want --bundle, so that memstorm fleet can merge the nodes", c.Args)
	}
	dryRuns(t, d.Name, c.Args, lim, 0)
}

// hasFlag reports whether args hold flag.
func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag {
			return true
		}
	}
	return false
}

// dryRuns runs memstorm run --dry-run with a pod's arguments as the pod
// would run them: $(JOB_COMPLETION_INDEX) each index below completions
// (once when 0), $(NODE_NAME) a node, /out a test directory, and
// --limit inherit as the container's limit (what inherit reads in the
// pod). It returns the runs printed, one set per index.
func dryRuns(t *testing.T, name string, args []string, limit resource.Quantity, completions int) map[string]bool {
	t.Helper()
	for _, a := range allocators.Names() {
		if a != allocators.Glibc {
			testenv.RequireAllocator(t, a)
		}
	}
	out := t.TempDir()
	cells := map[string]bool{}
	for i := 0; i < max(completions, 1); i++ {
		argv := podArgs(args, i, limit, out)
		cmd := exec.Command(exe, append([]string{"run", "--dry-run"}, argv...)...)
		cmd.Dir = out
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s, index %d: memstorm run --dry-run %q: %v\n%s", name, i, argv, err, b)
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if strings.HasPrefix(line, "would write the bundle ") {
				continue
			}
			run, _, _ := strings.Cut(line, " into ")
			cells[run] = true
		}
	}
	if completions > 0 {
		// The index after the last names no run: completions is exactly
		// the number of runs the arguments name, not fewer.
		argv := podArgs(args, completions, limit, out)
		cmd := exec.Command(exe, append([]string{"run", "--dry-run"}, argv...)...)
		cmd.Dir = out
		if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "--pick") {
			t.Errorf("%s: index %d (one past the completions) was accepted: %s", name, completions, b)
		}
	}
	return cells
}

// podArgs are a pod's arguments after run as the pod runs them, on this
// machine: index for $(JOB_COMPLETION_INDEX), a node for $(NODE_NAME),
// out for /out, and the container's limit for inherit.
func podArgs(args []string, index int, limit resource.Quantity, out string) []string {
	var argv []string
	for _, a := range args[1:] {
		a = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(index))
		a = strings.ReplaceAll(a, "$(NODE_NAME)", "node-a")
		if strings.HasPrefix(a, "/out/") {
			a = filepath.Join(out, strings.TrimPrefix(a, "/out/"))
		}
		if a == "inherit" {
			a = strconv.FormatInt(limit.Value(), 10)
		}
		argv = append(argv, a)
	}
	return argv
}

// exe is memstorm, built once for the package's tests by TestMain.
var exe string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "memstorm-k8s-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	exe = filepath.Join(dir, "memstorm")
	if b, err := exec.Command("go", "build", "-o", exe, "../../cmd/memstorm").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building memstorm: %v\n%s", err, b)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
