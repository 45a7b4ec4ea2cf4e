package daemon

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/linux/link"
)

// createLink makes a new interface appear on the node (ip link add), up,
// with its address on segment seg, and tells the daemon as the kernel's
// link watcher does; then waits for the rebuild of its instances.
func (n *node) createLink(ifname, seg, address string) {
	n.mu.Lock()
	n.ifaces[ifname] = &nodeIface{seg: n.h.segment(seg), addr: netip.MustParseAddr(address), up: true}
	n.mu.Unlock()
	n.links <- link.Event{Name: ifname, Index: 10, Up: true}
	n.h.settle()
	n.awaitRebind()
}

// dynamic_interfaces: an instance whose interface does not exist at start
// is built (no socket yet) and waits in FAULT, the reason naming the
// interface; when the interface appears it gets a socket and takes part
// (here: it has the higher priority, so it becomes MASTER). Deleted, it
// goes back to FAULT; re-created, it runs again.
func TestDynamicInterfaceAppears(t *testing.T) {
	h := newHarness(t)
	const dyn = "global_defs {\n    dynamic_interfaces\n}\n"
	a := h.node("a", map[string]string{}, dyn+pairConf(150, ""))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(100, ""))
	a.start()
	b.start()
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "FAULT", "MASTER")
	lt := a.d.find("VI_1").lastTransition
	if lt == nil || !strings.Contains(lt.reason, "eth0 does not exist") {
		t.Errorf("FAULT reason %+v, want it to say eth0 does not exist", lt)
	}
	st, err := a.d.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(st.Instances[0].Warnings, "; "); !strings.Contains(w, "eth0 does not exist") {
		t.Errorf("status warnings %q, want one naming the missing eth0", w)
	}

	a.createLink("eth0", "lan", "192.0.2.1")
	since := h.now
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if n := h.sentBy("a", 51, 150, since); n < 5 {
		t.Errorf("a sent %d adverts after its interface appeared, want one a second", n)
	}

	a.deleteLink("eth0")
	if st := a.state("VI_1"); st != "FAULT" {
		t.Fatalf("a is %s after its interface was deleted, want FAULT", st)
	}
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "FAULT", "MASTER")
	a.recreateLink("eth0")
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
}

// Without dynamic_interfaces a missing interface stops the start, as
// before (config.CheckHost refuses it at -t and start first).
func TestMissingInterfaceWithoutDynamicInterfaces(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{}, pairConf(150, ""))
	a.ctx, a.cancel = t.Context(), func() {}
	if _, err := a.d.start(a.ctx); err == nil || !strings.Contains(err.Error(), "eth0") {
		t.Fatalf("start: %v, want an error naming eth0", err)
	}
}

// dynamic_interfaces and a reload: an instance the reload adds on an
// interface that does not exist yet waits in FAULT (the reload is
// applied, the running instance untouched), and starts when it appears.
func TestDynamicInterfaceAddedByReload(t *testing.T) {
	h := newHarness(t)
	const dyn = "global_defs {\n    dynamic_interfaces\n}\n"
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, dyn+pairConf(150, ""))
	a.start()
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER")
	vi2 := strings.Replace(vi2(pairConf(150, "")), "interface eth0", "interface eth1", 1)
	if err := a.reload(dyn + pairConf(150, "") + vi2); err != nil {
		t.Fatalf("reload with an instance on a missing interface: %v", err)
	}
	h.advance(5 * time.Second)
	if st := a.state("VI_2"); st != "FAULT" {
		t.Fatalf("VI_2 on the missing eth1 is %s, want FAULT", st)
	}
	h.expect("VI_1", vip1, "MASTER")
	a.createLink("eth1", "lan2", "198.51.100.1")
	h.advance(5 * time.Second)
	if st := a.state("VI_2"); st != "MASTER" {
		t.Errorf("VI_2 is %s after eth1 appeared, want MASTER (alone on its segment)", st)
	}
	h.expect("VI_1", vip1, "MASTER")
}

// dynamic_interfaces with use_vmac and with IPv6: the instance waits
// without its VMAC or a source address, and once the interface appears
// it gets both (the VMAC is created on it) and runs.
func TestDynamicInterfaceVMACAndIPv6(t *testing.T) {
	const dyn = "global_defs {\n    dynamic_interfaces\n}\n"
	for _, c := range []struct {
		name, conf, addr, vip string
	}{
		{"use_vmac", dyn + pairConf(150, "    use_vmac"), "192.0.2.1", vip1},
		{"IPv6", dyn + `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 61
    priority 150
    version 3
    virtual_ipaddress {
        2001:db8::10/128
    }
}
`, "fe80::1", "2001:db8::10/128"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			a := h.node("a", map[string]string{}, c.conf)
			a.start()
			h.advance(5 * time.Second)
			h.expect("VI_1", c.vip, "FAULT")
			if a.hasVMAC("vrrp.51") {
				t.Errorf("a VMAC was created on the missing interface")
			}
			a.createLink("eth0", "lan", c.addr)
			h.advance(10 * time.Second)
			h.expect("VI_1", c.vip, "MASTER")
			if c.name == "use_vmac" && !a.hasVMAC("vrrp.51") {
				t.Errorf("no VMAC vrrp.51 once eth0 appeared")
			}
		})
	}
}
