// Package vm holds the tests that boot the IPVS test VM (see README.md) for
// the gokeepalived daemon itself; internal/lb/ipvs's TestVM boots it for the
// backend's own tests.
package vm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestDaemonIPVS boots the VM once and runs daemon-vm.sh in it: the static
// gokeepalived binary (-C, --lb-backend=ipvs) health-checks two busybox httpd
// real servers with HTTP_GET digests and keeps IPVS in step (ipvsadm -Ln and
// rr traffic through the VIP: kill / restart, digest mismatch / restore,
// sorry server, flush on SIGTERM, kept with -I).
func TestDaemonIPVS(t *testing.T) {
	if testing.Short() {
		t.Skip("the IPVS VM boots a kernel under qemu (about 20 s with the scenario); skipped with -short")
	}
	if os.Getenv("GOKEEPALIVED_SKIP_VM") == "1" {
		t.Skip("GOKEEPALIVED_SKIP_VM=1")
	}
	if os.Geteuid() != 0 {
		const why = "the IPVS VM test needs root (apt-get for qemu and the kernel package, the kernel cache)"
		if os.Getenv("GOKEEPALIVED_REQUIRE_ROOT") == "1" {
			t.Fatalf("%s, and GOKEEPALIVED_REQUIRE_ROOT=1 forbids skipping", why)
		}
		t.Skip(why)
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "run-daemon-test.sh")
	// ipvs-vm.sh kills qemu after IPVS_VM_TIMEOUT; the context is a backstop
	// for the build and the setup around it.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), "IPVS_VM_TIMEOUT=240")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Round(100 * time.Millisecond)
	log := out.String()
	var steps []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "DAEMON-VM: ") {
			steps = append(steps, l)
		}
	}
	if err != nil {
		t.Logf("VM output (%v):\n%s", took, log)
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 2 {
			t.Fatalf("the IPVS VM could not be set up (qemu, busybox-static or the Debian kernel package missing and not installable?); see the output above: %v", err)
		}
		if ctx.Err() != nil {
			t.Fatalf("the IPVS VM run did not finish within the test's backstop: %v", err)
		}
		t.Fatalf("gokeepalived on IPVS in the VM failed (first FAIL step and the daemon's log are above): %v", err)
	}
	// ipvs-vm.sh exits 0 only on the run's own PASS marker; the scenario must also have reached its end.
	if !strings.Contains(log, "\nDAEMON-VM: ALL PASS\n") || !strings.Contains(log, "IPVS-VM-RESULT: PASS id=") {
		t.Logf("VM output (%v):\n%s", took, log)
		t.Fatalf("the VM run passed but daemon-vm.sh did not print its final DAEMON-VM: ALL PASS")
	}
	t.Logf("gokeepalived on IPVS in the VM (%v):\n%s", took, strings.Join(steps, "\n"))
}
