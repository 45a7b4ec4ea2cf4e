package daemon

import "testing"

// TestVMACSysctls: keepalived's ARP settings for use_vmac, on the macvlan and its parent.
func TestVMACSysctls(t *testing.T) {
	want := map[string]string{
		"/proc/sys/net/ipv4/conf/vrrp.51/arp_ignore":   "1",
		"/proc/sys/net/ipv4/conf/vrrp.51/accept_local": "1",
		"/proc/sys/net/ipv4/conf/vrrp.51/rp_filter":    "0",
		"/proc/sys/net/ipv4/conf/ens33/arp_ignore":     "1",
		"/proc/sys/net/ipv4/conf/ens33/arp_filter":     "1",
	}
	got := vmacSysctls("vrrp.51", "ens33")
	if len(got) != len(want) {
		t.Fatalf("got %d settings %v, want %d", len(got), got, len(want))
	}
	for _, s := range got {
		if v, ok := want[s.path]; !ok || v != s.value {
			t.Errorf("%s = %s, want %q (present: %v)", s.path, s.value, v, ok)
		}
	}
}
