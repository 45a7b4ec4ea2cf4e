// Package netns is the end-to-end harness: a small topology builder over `ip netns`
// in the style of FRR's topogen (STYLE rule 12). A test declares switches (a bridge in
// its own namespace), nodes (a namespace each) and links (veth pairs with a chosen
// interface name in the node), starts real binaries inside the nodes, injects faults
// (link down, nftables drops of VRRP) and polls for the outcome with Eventually.
//
// Every namespace is named "gke2e-<pid>x<random>-...", so concurrent runs never collide and
// namespaces left behind by a crashed run can be recognised and removed. t.Cleanup
// stops every process the topology started (by PID, process group of that PID only)
// and deletes every namespace, on success and on failure. When a test fails, the switch
// captures (pcap), process logs and configs are copied to an artifacts directory whose
// path is printed in the test log.
package netns

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// NamePrefix starts the name of every namespace the harness creates.
const NamePrefix = "gke2e-"

// Environment variables understood by the harness.
const (
	// EnvSkip set to 1 skips (instead of failing) e2e tests when not running as root.
	EnvSkip = "GOKEEPALIVED_SKIP_E2E"
	// EnvKeep set to 1 keeps artifacts of passing tests too.
	EnvKeep = "GOKEEPALIVED_E2E_KEEP"
	// EnvArtifacts is where failed tests keep pcaps and logs (default: $TMPDIR/gke2e-artifacts).
	EnvArtifacts = "GOKEEPALIVED_E2E_ARTIFACTS"
)

// Topo is one test's topology. All methods fail the test on error.
type Topo struct {
	t      testing.TB
	prefix string // "gke2e-<pid>x<rand>-[tag-]"
	dir    string // per-topology scratch directory (configs, logs, pcaps)

	mu       sync.Mutex
	nsOrder  []string // namespaces in creation order
	nodes    map[string]*Node
	switches map[string]*Switch
	procs    []*Proc
	probes   []*Probe
	captures []*Proc
	seq      int
}

// New creates an empty topology for t and registers its cleanup. tag is an optional short
// label added after the unique prefix (it helps when reading `ip netns list`).
//
// Without root the test fails, unless GOKEEPALIVED_SKIP_E2E=1, in which case it is skipped.
func New(t testing.TB, tag string) *Topo {
	t.Helper()
	RequireRoot(t)
	for _, bin := range []string{"ip", "nft", "tcpdump"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("e2e: %s not found in PATH (run `make deps`): %v", bin, err)
		}
	}
	staleOnce.Do(func() { RemoveStale(t.Logf) })

	prefix := fmt.Sprintf("%s%dx%s-", NamePrefix, os.Getpid(), randHex(2))
	if tag != "" {
		prefix += tag + "-"
	}
	topo := &Topo{
		t:        t,
		prefix:   prefix,
		dir:      t.TempDir(), // registered before our cleanup, so removed after it (LIFO)
		nodes:    map[string]*Node{},
		switches: map[string]*Switch{},
	}
	t.Cleanup(topo.cleanup)
	t.Logf("e2e: topology prefix %s, scratch dir %s", prefix, topo.dir)
	return topo
}

// RequireRoot fails t when not running as root, or skips it when GOKEEPALIVED_SKIP_E2E=1.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv(EnvSkip) == "1" {
		t.Skipf("e2e: skipped because %s=1 and not running as root (network namespaces, veth and nftables need root)", EnvSkip)
	}
	t.Fatalf("e2e: these tests need root (they create network namespaces, veth pairs, bridges and nftables rules); "+
		"run `sudo go test ./test/e2e/...`, or set %s=1 to skip them", EnvSkip)
}

// Dir is the topology's scratch directory; files in it are kept as artifacts on failure.
func (topo *Topo) Dir() string { return topo.dir }

// Prefix is the unique namespace-name prefix of this topology.
func (topo *Topo) Prefix() string { return topo.prefix }

// Switch is an L2 segment: a bridge "br0" in its own namespace. Traffic on it is captured
// with tcpdump into a pcap file.
type Switch struct {
	topo  *Topo
	Name  string
	NS    string // namespace name
	Pcap  string // capture file path
	ports int
}

// Switch creates a bridge in its own namespace and starts a capture on it.
func (topo *Topo) Switch(name string) *Switch {
	topo.t.Helper()
	ns := topo.addNS(name)
	sw := &Switch{topo: topo, Name: name, NS: ns, Pcap: filepath.Join(topo.dir, name+".pcap")}
	topo.mustIP("-n", ns, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0", "stp_state", "0")
	topo.mustIP("-n", ns, "link", "set", "br0", "up")
	topo.mu.Lock()
	topo.switches[name] = sw
	topo.mu.Unlock()

	// -Z root: tcpdump drops privileges by default and could not write into our 0700 dir.
	capture := topo.startIn(ns, name+".tcpdump", "tcpdump", "-i", "br0", "-n", "-U", "-Z", "root", "-w", sw.Pcap)
	topo.mu.Lock()
	topo.captures = append(topo.captures, capture) // stopped after all other processes
	topo.mu.Unlock()
	Eventually(topo.t, 10*time.Second, func() (bool, string) {
		out := capture.Output()
		if capture.Exited() {
			topo.t.Fatalf("e2e: tcpdump on %s exited: %s", name, out)
		}
		return strings.Contains(out, "listening on"), "tcpdump on " + name + " not listening yet: " + out
	})
	return sw
}

// Node creates a network namespace with its loopback up.
func (topo *Topo) Node(name string) *Node {
	topo.t.Helper()
	ns := topo.addNS(name)
	topo.mustIP("-n", ns, "link", "set", "lo", "up")
	n := &Node{topo: topo, Name: name, NS: ns}
	topo.mu.Lock()
	topo.nodes[name] = n
	topo.mu.Unlock()
	return n
}

// Link connects node to sw with a veth pair. ifname is the interface name inside the node
// (for example "ens33", as in the seed configs); addrs are CIDR strings added to it
// (IPv6 addresses are added with nodad, so they are usable at once).
func (topo *Topo) Link(n *Node, sw *Switch, ifname string, addrs ...string) {
	topo.t.Helper()
	topo.mu.Lock()
	sw.ports++
	port := fmt.Sprintf("p%d", sw.ports)
	topo.mu.Unlock()
	topo.mustIP("-n", n.NS, "link", "add", ifname, "type", "veth", "peer", "name", port, "netns", sw.NS)
	topo.mustIP("-n", sw.NS, "link", "set", port, "master", "br0")
	topo.mustIP("-n", sw.NS, "link", "set", port, "up")
	for _, a := range addrs {
		args := []string{"-n", n.NS, "addr", "add", a, "dev", ifname}
		if strings.Contains(a, ":") {
			args = append(args, "nodad")
		}
		topo.mustIP(args...)
	}
	topo.mustIP("-n", n.NS, "link", "set", ifname, "up")
}

func (topo *Topo) addNS(name string) string {
	topo.t.Helper()
	if !validName.MatchString(name) {
		topo.t.Fatalf("e2e: bad node/switch name %q (want %s)", name, validName)
	}
	ns := topo.prefix + name
	topo.mustIP("netns", "add", ns)
	topo.mu.Lock()
	topo.nsOrder = append(topo.nsOrder, ns)
	topo.mu.Unlock()
	return ns
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)

func (topo *Topo) mustIP(args ...string) {
	topo.t.Helper()
	if _, err := run(context.Background(), nil, "ip", args...); err != nil {
		topo.t.Fatalf("e2e: %v", err)
	}
}

// cleanup stops probes, then processes, then captures, keeps artifacts if the test failed,
// and deletes the namespaces.
func (topo *Topo) cleanup() {
	topo.mu.Lock()
	probes, procs, captures := topo.probes, topo.procs, topo.captures
	nss := topo.nsOrder
	topo.mu.Unlock()

	for _, p := range probes {
		p.Stop()
	}
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop(5 * time.Second)
	}
	for _, c := range captures {
		c.Stop(5 * time.Second)
	}
	if topo.t.Failed() || os.Getenv(EnvKeep) == "1" {
		topo.keepArtifacts(procs)
	}
	for i := len(nss) - 1; i >= 0; i-- {
		if _, err := run(context.Background(), nil, "ip", "netns", "del", nss[i]); err != nil {
			topo.t.Errorf("e2e: cleanup: %v", err)
		}
	}
}

// keepArtifacts copies the scratch directory (pcaps, logs, configs) somewhere that survives
// t.TempDir removal and prints where, plus the tail of every process log.
func (topo *Topo) keepArtifacts(procs []*Proc) {
	for _, p := range procs {
		if !topo.t.Failed() {
			break
		}
		topo.t.Logf("e2e: last lines of %s (pid %d, %s):\n%s", p.Name, p.PID(), p.exitStatus(), tail(p.Output(), 25))
	}
	base := os.Getenv(EnvArtifacts)
	if base == "" {
		base = filepath.Join(os.TempDir(), "gke2e-artifacts")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(topo.t.Name(), "_")
	dst := filepath.Join(base, fmt.Sprintf("%s-%s", name, time.Now().Format("20060102-150405")))
	if err := copyDir(topo.dir, dst); err != nil {
		topo.t.Logf("e2e: could not keep artifacts: %v", err)
		return
	}
	topo.t.Logf("e2e: pcaps, logs and configs kept in %s", dst)
}

func copyDir(src, dst string) error {
	return filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// run executes name args with optional stdin and returns its combined output; the error
// includes the output.
func run(ctx context.Context, stdin []byte, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
