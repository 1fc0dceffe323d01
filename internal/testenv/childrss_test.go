package testenv

import (
	"os/exec"
	"syscall"
	"testing"
)

// TestMeasurePeakRSSIsTheChilds: with a test process that touched 128 MiB,
// /bin/true's ru_maxrss through os/exec is the test's high-water mark;
// through the measurer it is true's own.
func TestMeasurePeakRSSIsTheChilds(t *testing.T) {
	SkipUnderRace(t)
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler")
	}
	ballast := make([]byte, 128<<20)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1
	}
	plain := exec.Command("/bin/true")
	if err := plain.Run(); err != nil {
		t.Fatal(err)
	}
	inherited := plain.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	cmd := exec.Command("/bin/true")
	peak, err := MeasurePeakRSS(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	own, err := peak()
	if err != nil {
		t.Fatal(err)
	}
	ballast[0] = 2
	t.Logf("/bin/true: ru_maxrss %d KiB through os/exec, %d KiB measured", inherited>>10, own>>10)
	if own <= 0 || own > 16<<20 {
		t.Errorf("measured peak %d KiB, want true's own (under 16 MiB)", own>>10)
	}
	if inherited < 64<<20 {
		t.Logf("os/exec's child did not inherit the high-water mark here (%d KiB): the kernel may have changed", inherited>>10)
	}
}
