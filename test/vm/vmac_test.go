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

// TestVMACKernelVM boots the VM once and runs vmac-vm.sh in it: on Debian's
// kernel, which has the ipvlan and VRF drivers this machine's kernel may
// lack (the e2e TestFeatureUseIPVLAN and TestFeatureVRF skip then), a
// gokeepalived pair with use_ipvlan, then with vrf (ens33 enslaved to a
// VRF: only sockets bound to it get through), then use_vmac on the VRF's
// interface (the VMAC enslaved to the VRF too): interfaces, the client's
// ARP resolution and failover; then, with keepalived 2.2.7 copied in, the
// ipvlan pair and a pair whose interface is in the VRF, gokeepalived master
// and keepalived backup: failover to keepalived and back.
func TestVMACKernelVM(t *testing.T) {
	if testing.Short() {
		t.Skip("the test VM boots a kernel under qemu; skipped with -short")
	}
	if os.Getenv("GOKEEPALIVED_SKIP_VM") == "1" {
		t.Skip("GOKEEPALIVED_SKIP_VM=1")
	}
	if os.Geteuid() != 0 {
		const why = "the test VM needs root (apt-get for qemu and the kernel package, the kernel cache)"
		if os.Getenv("GOKEEPALIVED_REQUIRE_ROOT") == "1" {
			t.Fatalf("%s, and GOKEEPALIVED_REQUIRE_ROOT=1 forbids skipping", why)
		}
		t.Skip(why)
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "run-vmac-test.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	// noapic: under TCG on a loaded host the kernel sometimes panics at
	// boot ("IO-APIC + timer doesn't work").
	cmd.Env = append(os.Environ(), "IPVS_VM_TIMEOUT=480", "IPVS_VM_APPEND=noapic")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Round(100 * time.Millisecond)
	log := out.String()
	var steps []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "VMAC-VM: ") {
			steps = append(steps, l)
		}
	}
	if err != nil {
		t.Logf("VM output (%v):\n%s", took, log)
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 2 {
			t.Fatalf("the test VM could not be set up (qemu, busybox-static or the Debian kernel package missing and not installable?); see the output above: %v", err)
		}
		t.Fatalf("the VMAC scenario in the VM failed (first FAIL step and the daemons' logs are above): %v", err)
	}
	if !strings.Contains(log, "\nVMAC-VM: ALL PASS\n") || !strings.Contains(log, "IPVS-VM-RESULT: PASS id=") {
		t.Logf("VM output (%v):\n%s", took, log)
		t.Fatalf("the VM run passed but vmac-vm.sh did not print its final VMAC-VM: ALL PASS")
	}
	// With keepalived on the host, run-vmac-test.sh copies it in: the
	// interop steps must then have run.
	if _, err := os.Stat("/usr/sbin/keepalived"); err == nil && !strings.Contains(log, "\nVMAC-VM: INTEROP DONE\n") {
		t.Logf("VM output (%v):\n%s", took, log)
		t.Fatalf("keepalived is installed but the interop steps against it did not run in the VM")
	}
	t.Logf("use_ipvlan and vrf on Debian's kernel in the VM (%v):\n%s", took, strings.Join(steps, "\n"))
}
