package vmac

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fakeProcSys(t *testing.T, ifaces ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, ifn := range ifaces {
		dir := filepath.Join(root, "net/ipv4/conf", ifn)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"arp_ignore", "arp_filter", "accept_local", "rp_filter"} {
			if err := os.WriteFile(filepath.Join(dir, k), []byte("2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func readSysctl(t *testing.T, root, ifn, key string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "net/ipv4/conf", ifn, key))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestVMACSysctls: keepalived's ARP settings for use_vmac, on the macvlan and
// its parent; the parent's original values come back when its last VMAC goes.
func TestVMACSysctls(t *testing.T) {
	root := fakeProcSys(t, "ens33", "vrrp.51", "vrrp.52")
	v := newTuner(root)
	if err := v.tune("vrrp.51", "ens33"); err != nil {
		t.Fatal(err)
	}
	if err := v.tune("vrrp.52", "ens33"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ifn, key, want string }{
		{"vrrp.51", "arp_ignore", "1"}, {"vrrp.51", "accept_local", "1"}, {"vrrp.51", "rp_filter", "0"},
		{"ens33", "arp_ignore", "1"}, {"ens33", "arp_filter", "1"},
	} {
		if got := readSysctl(t, root, c.ifn, c.key); got != c.want {
			t.Errorf("%s/%s = %s, want %s", c.ifn, c.key, got, c.want)
		}
	}
	if err := v.release("vrrp.51"); err != nil {
		t.Fatal(err)
	}
	if got := readSysctl(t, root, "ens33", "arp_ignore"); got != "1" {
		t.Errorf("parent restored while vrrp.52 still uses it: arp_ignore = %s", got)
	}
	if err := v.release("vrrp.52"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"arp_ignore", "arp_filter"} {
		if got := readSysctl(t, root, "ens33", key); got != "2" {
			t.Errorf("after the last VMAC: ens33/%s = %s, want the original 2", key, got)
		}
	}
	if err := v.release("vrrp.99"); err != nil {
		t.Errorf("releasing an unknown VMAC: %v", err)
	}
}
