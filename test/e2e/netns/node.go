package netns

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// Node is a network namespace: a host of the topology.
type Node struct {
	topo *Topo
	Name string
	NS   string // namespace name, usable with `ip -n` and `ip netns exec`
	page string // set by StartNginx; how the probe recognises this node's answers
}

// Exec runs argv inside the node and returns its combined output. The error includes the
// output, so it can be reported as is.
func (n *Node) Exec(ctx context.Context, argv ...string) (string, error) {
	return run(ctx, nil, "ip", append([]string{"netns", "exec", n.NS}, argv...)...)
}

// MustExec is Exec that fails the test on error.
func (n *Node) MustExec(argv ...string) string {
	n.topo.t.Helper()
	out, err := n.Exec(context.Background(), argv...)
	if err != nil {
		n.topo.t.Fatalf("e2e: on %s: %v", n.Name, err)
	}
	return out
}

// Start runs argv in the background inside the node. Its output goes to a log file in the
// topology's scratch directory; the process is stopped (SIGTERM, then SIGKILL) on cleanup.
func (n *Node) Start(argv ...string) *Proc {
	n.topo.t.Helper()
	p := n.topo.startIn(n.NS, n.Name+"."+filepath.Base(argv[0]), argv...)
	n.topo.mu.Lock()
	n.topo.procs = append(n.topo.procs, p)
	n.topo.mu.Unlock()
	return p
}

// Dir returns a new scratch directory for this node (kept as an artifact on failure).
func (n *Node) Dir(what string) string {
	n.topo.t.Helper()
	n.topo.mu.Lock()
	n.topo.seq++
	dir := filepath.Join(n.topo.dir, fmt.Sprintf("%02d-%s.%s", n.topo.seq, n.Name, what))
	n.topo.mu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		n.topo.t.Fatalf("e2e: %v", err)
	}
	return dir
}

// LinkDown sets an interface of the node administratively down.
func (n *Node) LinkDown(ifname string) {
	n.topo.t.Helper()
	n.topo.mustIP("-n", n.NS, "link", "set", ifname, "down")
}

// LinkUp sets an interface of the node up.
func (n *Node) LinkUp(ifname string) {
	n.topo.t.Helper()
	n.topo.mustIP("-n", n.NS, "link", "set", ifname, "up")
}

// faultTable is the nftables table holding injected faults.
const faultTable = "gke2e_fault"

// DropVRRP installs an nftables table in the node that drops every incoming VRRP packet
// (IPv4 protocol 112 and IPv6 next header 112), as a misconfigured host firewall does.
func (n *Node) DropVRRP() {
	n.topo.t.Helper()
	script := fmt.Sprintf(`table inet %[1]s {
	chain input {
		type filter hook input priority filter; policy accept;
		ip protocol 112 counter drop comment "gke2e: DropVRRP"
		ip6 nexthdr 112 counter drop comment "gke2e: DropVRRP"
	}
}
`, faultTable)
	n.AllowVRRP() // idempotent: replace any earlier table
	if _, err := run(context.Background(), []byte(script), "ip", "netns", "exec", n.NS, "nft", "-f", "-"); err != nil {
		n.topo.t.Fatalf("e2e: DropVRRP on %s: %v", n.Name, err)
	}
}

// AllowVRRP removes what DropVRRP installed (nothing happens if it is absent).
func (n *Node) AllowVRRP() {
	n.topo.t.Helper()
	out, err := n.Exec(context.Background(), "nft", "list", "tables", "inet")
	if err != nil {
		n.topo.t.Fatalf("e2e: AllowVRRP on %s: %v", n.Name, err)
	}
	if !strings.Contains(out, faultTable) {
		return
	}
	n.MustExec("nft", "delete", "table", "inet", faultTable)
}

// DroppedVRRP returns how many packets DropVRRP's rules have dropped so far.
func (n *Node) DroppedVRRP() int {
	n.topo.t.Helper()
	out, err := n.Exec(context.Background(), "nft", "list", "table", "inet", faultTable)
	if err != nil {
		return 0
	}
	total := 0
	for _, line := range strings.Split(out, "\n") {
		var pk int
		if i := strings.Index(line, "counter packets "); i >= 0 {
			if _, err := fmt.Sscanf(line[i:], "counter packets %d", &pk); err == nil {
				total += pk
			}
		}
	}
	return total
}

// Addrs returns every address on the node's interfaces, as "ifname addr/len".
func (n *Node) Addrs() []string {
	n.topo.t.Helper()
	var out []string
	for _, a := range n.addrs() {
		out = append(out, a.ifname+" "+a.prefix.String())
	}
	return out
}

type ifAddr struct {
	ifname string
	prefix netip.Prefix
}

func (n *Node) addrs() []ifAddr {
	n.topo.t.Helper()
	out, err := run(context.Background(), nil, "ip", "-j", "-n", n.NS, "addr", "show")
	if err != nil {
		n.topo.t.Fatalf("e2e: %v", err)
	}
	var links []struct {
		IfName   string `json:"ifname"`
		AddrInfo []struct {
			Local     string `json:"local"`
			PrefixLen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		n.topo.t.Fatalf("e2e: parse `ip -j addr` of %s: %v", n.Name, err)
	}
	var res []ifAddr
	for _, l := range links {
		for _, a := range l.AddrInfo {
			addr, err := netip.ParseAddr(a.Local)
			if err != nil {
				continue
			}
			res = append(res, ifAddr{l.IfName, netip.PrefixFrom(addr, a.PrefixLen)})
		}
	}
	return res
}

// HasAddr reports whether the node holds an address. A bare address ("192.0.2.100")
// matches any prefix length; "192.0.2.100/32" must match exactly.
func (n *Node) HasAddr(addr string) bool {
	n.topo.t.Helper()
	want, err := netip.ParsePrefix(addr)
	bare := false
	if err != nil {
		a, err2 := netip.ParseAddr(addr)
		if err2 != nil {
			n.topo.t.Fatalf("e2e: HasAddr(%q): not an address or prefix", addr)
		}
		want, bare = netip.PrefixFrom(a, a.BitLen()), true
	}
	for _, a := range n.addrs() {
		if a.prefix.Addr() == want.Addr() && (bare || a.prefix.Bits() == want.Bits()) {
			return true
		}
	}
	return false
}
