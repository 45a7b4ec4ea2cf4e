package chaos

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"

	"gokeepalived/test/e2e/netns"
)

func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

// The cluster's addresses (192.0.2.0/24 is TEST-NET-1; 198.51.100.0/24 the
// virtual route's destination).
const (
	ifname     = "ens33"
	vip1       = "192.0.2.100"
	vip2       = "192.0.2.101"
	routeDst   = "198.51.100.0/24"
	ruleFrom   = "192.0.2.100/32"
	ruleTable  = 100
	advert     = 200 * time.Millisecond // advert_int 0.2 (VRRPv3)
	vrid       = 51
	reloadStep = 12  // a reload variant 1 lowers the configured priority by this
	trackDelta = -27 // the track_file's value when Arg is 1 (weight 1)
)

// basePriority of node i: 100, 90, 80. With reloadStep and trackDelta no two
// nodes can tie, so the expected master is always one node.
func basePriority(i int) int { return 100 - 10*i }

// Environment variables.
const (
	envSeed      = "CHAOS_SEED"      // replay a seed (default: drawn from the clock)
	envSteps     = "CHAOS_STEPS"     // faults per cluster (default defaultFaults)
	envSchedule  = "CHAOS_SCHEDULE"  // replay a printed step list (with -run naming one cluster)
	envTolerance = "CHAOS_TOLERANCE" // added to the absence bound (default defaultTolerance)
)

const (
	defaultFaults = 100 // per cluster; two clusters: 200 faults per `make test`
	// defaultTolerance covers a loaded 2-core machine: a daemon (re)started
	// by the schedule execs, parses and binds before its first timer, and
	// scheduling delays of a few hundred ms were seen with 8 builds running.
	defaultTolerance = 1500 * time.Millisecond
	convergeTimeout  = 30 * time.Second
)

// TestChaos runs two clusters side by side under their own schedules: three
// gokeepalived nodes, and two gokeepalived nodes with real keepalived as the
// third (lowest priority) node. See the package documentation.
func TestChaos(t *testing.T) {
	netns.RequireRoot(t)
	for _, bin := range []string{netns.KeepalivedBin} {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("chaos: %s: %v (run `make deps`)", bin, err)
		}
	}
	if _, err := netns.GokeepalivedBinary(); err != nil {
		t.Fatal(err)
	}
	faults := defaultFaults
	if v := os.Getenv(envSteps); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number of faults", envSteps, v)
		}
		faults = n
	}
	tolerance := defaultTolerance
	if v := os.Getenv(envTolerance); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", envTolerance, v, err)
		}
		tolerance = d
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(envSeed); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", envSeed, v, err)
		}
		seed = n
	}
	clusters := []struct {
		name  string
		kinds []string
	}{
		{"gk3", []string{"gokeepalived", "gokeepalived", "gokeepalived"}},
		{"gk2ka", []string{"gokeepalived", "gokeepalived", "keepalived"}},
	}
	for i, cl := range clusters {
		t.Run(cl.name, func(t *testing.T) {
			t.Parallel()
			o := genOptions{Nodes: len(cl.kinds), Faults: faults, CheckEvery: 12, NoFault: map[int][]op{}}
			for n, k := range cl.kinds {
				if k == "keepalived" {
					// keepalived is the peer, not what is under test: it gets the
					// faults it is known to survive (see docs/status.md, issue 10).
					o.NoFault[n] = []op{opIfDel, opAddrDel}
				}
			}
			s := seed + uint64(i)
			steps := generate(s, o)
			replay := fmt.Sprintf("%s=%d %s=%d go test -count=1 -run 'TestChaos/%s$' ./test/chaos/", envSeed, s, envSteps, faults, cl.name)
			if text := os.Getenv(envSchedule); text != "" {
				var err error
				if steps, err = parseSchedule(text, len(cl.kinds)); err != nil {
					t.Fatalf("%s: %v", envSchedule, err)
				}
				replay = fmt.Sprintf("%s='%s' go test -count=1 -run 'TestChaos/%s$' ./test/chaos/", envSchedule, text, cl.name)
			}
			run(t, cl.name, cl.kinds, steps, tolerance, replay)
		})
	}
}

// chaosNode is one VRRP node and what the schedule did to it.
type chaosNode struct {
	idx   int
	name  string
	kind  string // gokeepalived or keepalived
	node  *netns.Node
	d     netns.Daemon
	addr  string // primary address, with /24
	track string // the track_file's path
	nl    *netlink.Handle

	fault  op // the fault it carries ("" none)
	reload int
	tracks int
}

type signaller interface {
	Signal(syscall.Signal) error
	Rewrite(string) error
}

func (n *chaosNode) gk() *netns.GokeepalivedRunner {
	g, _ := n.d.(*netns.GokeepalivedRunner)
	return g
}

func (n *chaosNode) priority() int {
	return basePriority(n.idx) - reloadStep*n.reload + trackDelta*n.tracks
}

// cluster is one run: the nodes, the schedule and the invariant monitor.
type cluster struct {
	t       *testing.T
	topo    *netns.Topo
	lan     *netns.Switch
	nodes   []*chaosNode
	vips    int // VIP list variant: 0 (vip1) or 1 (vip1, vip2)
	bound   time.Duration
	steps   []step
	replay  string
	current int // index of the step being run

	mu         sync.Mutex
	violations []string
	// absExcused is the last moment no node could hold the VIP (every node
	// killed, stopped, down, deleted or without its address); dualExcused
	// the last moment a partition, loss, SIGSTOP or crash window was open.
	absExcused, dualExcused time.Time
	absSince, dualSince     time.Time // start of the current absence / dual holding (zero: none)
	maxAbsence, maxDual     time.Duration
	samples                 int
}

func run(t *testing.T, name string, kinds []string, steps []step, tolerance time.Duration, replay string) {
	// Registered before the topology's cleanup, so it runs after it: every
	// namespace of the run must be gone.
	var prefix string
	t.Cleanup(func() {
		if prefix == "" {
			return
		}
		entries, _ := os.ReadDir("/run/netns")
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), prefix) {
				t.Errorf("chaos: namespace %s left behind", e.Name())
			}
		}
	})
	c := &cluster{t: t, steps: steps, replay: replay}
	c.topo = netns.New(t, name)
	prefix = c.topo.Prefix()
	lowest := basePriority(len(kinds)-1) - reloadStep + trackDelta
	mdi := 3*advert + time.Duration(256-lowest)*advert/256
	c.bound = mdi + advert + tolerance
	faults, repairs, checks := countFaults(steps)
	t.Logf("chaos %s: %d steps (%d faults, %d repairs, %d checkpoints); bound on absence/dual holding %v (Master_Down_Interval ≤ %v + advert %v + tolerance %v)",
		name, len(steps), faults, repairs, checks, c.bound, mdi, advert, tolerance)
	t.Logf("chaos %s: replay with: %s", name, replay)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chaos %s: FAILED at step %d of %d; replay with:\n    %s\nschedule:\n    %s", name, c.current+1, len(steps), replay, formatSchedule(steps))
		}
	})
	if err := os.WriteFile(filepath.Join(c.topo.Dir(), "schedule.txt"), []byte(replay+"\n"+formatSchedule(steps)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	c.lan = c.topo.Switch("lan")
	for i, kind := range kinds {
		n := &chaosNode{idx: i, name: fmt.Sprintf("n%d", i+1), kind: kind, addr: fmt.Sprintf("192.0.2.%d/24", 11+i)}
		n.node = c.topo.Node(n.name)
		// As systemd's sysctl defaults do: removing the primary address
		// promotes a VIP in its subnet instead of deleting it with it.
		n.node.MustExec("sysctl", "-qw", "net.ipv4.conf.all.promote_secondaries=1")
		c.topo.Link(n.node, c.lan, ifname, n.addr)
		n.track = filepath.Join(n.node.Dir("track"), "track")
		c.writeTrack(n)
		ns, err := vnetns.GetFromName(n.node.NS)
		if err != nil {
			t.Fatal(err)
		}
		n.nl, err = netlink.NewHandleAt(ns)
		ns.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.nl.Close)
		n.d = netns.Factories[kind](n.node, c.config(n))
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		if err := n.d.Start(); err != nil {
			t.Fatal(err)
		}
		c.waitReady(n)
	}
	c.checkpoint("start")

	stop := make(chan struct{})
	done := make(chan struct{})
	go c.monitor(stop, done)
	var once sync.Once
	stopMonitor := func() { once.Do(func() { close(stop); <-done }) }
	defer stopMonitor()

	start := time.Now()
	for i, s := range steps {
		c.current = i
		time.Sleep(s.Delay) // the schedule's pacing between faults
		c.do(s)
		if v := c.takeViolations(); len(v) > 0 {
			t.Fatalf("chaos %s: invariant broken during step %d (%s):\n  %s", name, i+1, s, strings.Join(v, "\n  "))
		}
	}
	c.mu.Lock()
	t.Logf("chaos %s: %d faults (%d injections with the repairs) in %v; %d kernel samples; longest VIP absence %v, longest dual holding %v (bound %v, both counted from the end of the last excusing window)",
		name, faults, faults+repairs, time.Since(start).Round(time.Millisecond), c.samples, c.maxAbsence.Round(time.Millisecond), c.maxDual.Round(time.Millisecond), c.bound)
	c.mu.Unlock()
	stopMonitor()
	c.finish()
}

// config is node n's keepalived.conf for its current variants.
func (c *cluster) config(n *chaosNode) string {
	var b strings.Builder
	fmt.Fprintf(&b, "! generated by the chaos harness\nglobal_defs {\n    router_id %s\n}\n\n", n.name)
	fmt.Fprintf(&b, "track_file tf {\n    file %s\n    weight 1\n}\n\n", n.track)
	fmt.Fprintf(&b, "vrrp_instance VI_1 {\n    state BACKUP\n    interface %s\n    virtual_router_id %d\n", ifname, vrid)
	fmt.Fprintf(&b, "    priority %d\n    version 3\n    advert_int %.1f\n", basePriority(n.idx)-reloadStep*n.reload, advert.Seconds())
	b.WriteString("    track_file {\n        tf\n    }\n")
	b.WriteString("    virtual_ipaddress {\n        " + vip1 + "/24\n")
	if c.vips == 1 {
		b.WriteString("        " + vip2 + "/24\n")
	}
	b.WriteString("    }\n")
	fmt.Fprintf(&b, "    virtual_routes {\n        %s dev %s table %d\n    }\n", routeDst, ifname, ruleTable)
	fmt.Fprintf(&b, "    virtual_rules {\n        from %s table %d\n    }\n}\n", ruleFrom, ruleTable)
	return b.String()
}

func (c *cluster) writeTrack(n *chaosNode) {
	v := 0
	if n.tracks == 1 {
		v = trackDelta
	}
	// Written aside and renamed, so a daemon never reads a half-written file.
	tmp := n.track + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(v)+"\n"), 0o644); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Rename(tmp, n.track); err != nil {
		c.t.Fatal(err)
	}
}

// waitReady waits until a (re)started daemon handles signals: gokeepalived
// answers on its control socket; keepalived has written its VRRP child's pid
// file. A SIGHUP sent earlier would end the process (the default action).
func (c *cluster) waitReady(n *chaosNode) {
	c.t.Helper()
	netns.Eventually(c.t, convergeTimeout, func() (bool, string) {
		if g := n.gk(); g != nil {
			_, err := g.TryStatus()
			return err == nil, fmt.Sprintf("gokeepalived on %s not answering: %v\n%s", n.name, err, tailLines(n.d.Logs(), 10))
		}
		r := n.d.(*netns.KeepalivedRunner)
		_, err := os.Stat(filepath.Join(r.Dir, "vrrp.pid"))
		return err == nil, fmt.Sprintf("keepalived on %s has no VRRP child yet\n%s", n.name, tailLines(n.d.Logs(), 10))
	})
}

func (c *cluster) ip(n *chaosNode, args ...string) {
	c.t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", n.node.NS}, args...)...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("chaos: step %d: ip %s on %s: %v: %s", c.current+1, strings.Join(args, " "), n.name, err, out)
	}
}

// eligible reports whether n could hold the VIP (its daemon runs and its
// interface is usable); disrupting whether its fault excuses two holders.
func eligible(f op) bool {
	switch f {
	case opKill, opStop, opLinkDown, opIfDel, opAddrDel:
		return false
	}
	return true
}

func disrupting(f op) bool {
	switch f {
	case opKill, opStop, opFilter, opLoss:
		return true
	}
	return false
}

// setFault records n's fault for the monitor. A fault is recorded before it
// is injected and a repair after it is done, so the excusing windows cover
// the whole of each fault.
func (c *cluster) setFault(n *chaosNode, f op) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	wasNone := c.noneEligibleLocked()
	wasDisrupted := c.disruptedLocked()
	n.fault = f
	if wasNone || c.noneEligibleLocked() {
		c.absExcused = now
	}
	if wasDisrupted || c.disruptedLocked() {
		c.dualExcused = now
	}
}

func (c *cluster) noneEligibleLocked() bool {
	for _, n := range c.nodes {
		if eligible(n.fault) {
			return false
		}
	}
	return true
}

func (c *cluster) disruptedLocked() bool {
	for _, n := range c.nodes {
		if disrupting(n.fault) {
			return true
		}
	}
	return false
}

// do runs one step.
func (c *cluster) do(s step) {
	c.t.Helper()
	var n *chaosNode
	if s.Node >= 0 {
		n = c.nodes[s.Node]
	}
	if repairOf[s.Op] != "" {
		c.setFault(n, s.Op)
	}
	switch s.Op {
	case opLinkDown:
		c.ip(n, "link", "set", ifname, "down")
	case opLinkUp:
		c.ip(n, "link", "set", ifname, "up")
	case opIfDel:
		c.ip(n, "link", "del", ifname)
	case opIfAdd:
		c.topo.Link(n.node, c.lan, ifname, n.addr)
	case opAddrDel:
		c.ip(n, "addr", "del", n.addr, "dev", ifname)
	case opAddrAdd:
		c.ip(n, "addr", "add", n.addr, "dev", ifname)
	case opKill:
		n.d.Kill()
	case opRestart:
		if err := n.d.Start(); err != nil {
			c.t.Fatalf("chaos: restart %s: %v", n.name, err)
		}
	case opStop:
		c.signal(n, syscall.SIGSTOP)
	case opCont:
		c.signal(n, syscall.SIGCONT)
	case opFilter:
		n.node.DropVRRP()
	case opUnfilter:
		n.node.AllowVRRP()
	case opLoss:
		c.loss(n, s.Arg)
	case opNoLoss:
		c.loss(n, 0)
	case opVIPDel:
		for _, m := range c.nodes {
			held := false
			for _, v := range []string{vip1, vip2} {
				if c.holds(m, v) {
					held = true
					// The holder may restore it first: not an error.
					_ = exec.Command("ip", "-n", m.node.NS, "addr", "del", v+"/24", "dev", ifname).Run()
				}
			}
			if held && m.kind == "gokeepalived" {
				// Its virtual rule too (the checkpoints see it restored).
				_ = exec.Command("ip", "-n", m.node.NS, "rule", "del", "from", ruleFrom, "table", strconv.Itoa(ruleTable)).Run()
			}
		}
	case opReload:
		n.reload = s.Arg
		c.reload(n)
	case opVIPs:
		c.vips = s.Arg
		for _, m := range c.nodes {
			c.reload(m)
		}
	case opTrack:
		n.tracks = s.Arg
		c.writeTrack(n)
	case opCheck:
		c.checkpoint(fmt.Sprintf("step %d", c.current+1))
	default:
		c.t.Fatalf("chaos: unknown step %s", s)
	}
	if s.Op == opRestart {
		c.waitReady(n)
	}
	if f, ok := map[op]op{opLinkUp: opLinkDown, opIfAdd: opIfDel, opAddrAdd: opAddrDel, opRestart: opKill,
		opCont: opStop, opUnfilter: opFilter, opNoLoss: opLoss}[s.Op]; ok {
		if n.fault != f {
			c.t.Fatalf("chaos: step %s repairs %q, but %s carries %q (a bad CHAOS_SCHEDULE?)", s, f, n.name, n.fault)
		}
		c.setFault(n, "")
	}
}

func (c *cluster) signal(n *chaosNode, sig syscall.Signal) {
	c.t.Helper()
	if err := n.d.(signaller).Signal(sig); err != nil {
		c.t.Fatalf("chaos: %v to %s: %v", sig, n.name, err)
	}
}

func (c *cluster) reload(n *chaosNode) {
	c.t.Helper()
	if err := n.d.(signaller).Rewrite(c.config(n)); err != nil {
		c.t.Fatal(err)
	}
	if n.fault == opKill {
		return // the new configuration is read at the restart
	}
	c.signal(n, syscall.SIGHUP)
}

const lossTable = "chaos_loss"

// loss drops pct percent of n's incoming VRRP packets (0 removes the rule).
func (c *cluster) loss(n *chaosNode, pct int) {
	c.t.Helper()
	if pct == 0 {
		n.node.MustExec("nft", "delete", "table", "inet", lossTable)
		return
	}
	script := fmt.Sprintf("table inet %s {\n chain input {\n  type filter hook input priority filter; policy accept;\n"+
		"  ip protocol 112 numgen random mod 100 < %d counter drop\n }\n}\n", lossTable, pct)
	cmd := exec.Command("ip", "netns", "exec", n.node.NS, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("chaos: loss on %s: %v: %s", n.name, err, out)
	}
}

// addrs is the set of IPv4 addresses the kernel has on any of n's interfaces.
func (c *cluster) addrs(n *chaosNode) (map[string]bool, error) {
	list, err := n.nl.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(list))
	for _, a := range list {
		set[a.IP.String()] = true
	}
	return set, nil
}

func (c *cluster) holds(n *chaosNode, v string) bool {
	set, err := c.addrs(n)
	return err == nil && set[v]
}

// monitor samples every node's addresses until stop and records where the
// invariants break.
func (c *cluster) monitor(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		holders := 0
		var who []string
		failed := false
		for _, n := range c.nodes {
			set, err := c.addrs(n)
			if err != nil {
				failed = true
				break
			}
			if set[vip1] {
				holders++
				who = append(who, n.name)
			}
		}
		if failed {
			continue
		}
		c.observe(time.Now(), holders, who)
	}
}

func (c *cluster) observe(now time.Time, holders int, who []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.samples++
	if c.noneEligibleLocked() {
		c.absExcused = now
	}
	if c.disruptedLocked() {
		c.dualExcused = now
	}
	later := func(a, b time.Time) time.Time {
		if a.After(b) {
			return a
		}
		return b
	}
	if holders == 0 {
		if c.absSince.IsZero() {
			c.absSince = now
		}
		d := now.Sub(later(c.absSince, c.absExcused))
		if d > c.maxAbsence {
			c.maxAbsence = d
		}
		if d > c.bound {
			c.violations = append(c.violations, fmt.Sprintf("%s: %s absent from every node for %v (since %s; bound %v)%s",
				now.Format("15:04:05.000"), vip1, d.Round(time.Millisecond), c.absSince.Format("15:04:05.000"), c.bound, c.faultsLocked()))
			c.absSince = now // one report per bound exceeded
		}
	} else {
		c.absSince = time.Time{}
	}
	if holders > 1 {
		if c.dualSince.IsZero() {
			c.dualSince = now
		}
		d := now.Sub(later(c.dualSince, c.dualExcused))
		if d > c.maxDual {
			c.maxDual = d
		}
		if d > c.bound {
			c.violations = append(c.violations, fmt.Sprintf("%s: %s held by %v for %v (since %s; bound %v)%s",
				now.Format("15:04:05.000"), vip1, who, d.Round(time.Millisecond), c.dualSince.Format("15:04:05.000"), c.bound, c.faultsLocked()))
			c.dualSince = now
		}
	} else {
		c.dualSince = time.Time{}
	}
}

func (c *cluster) faultsLocked() string {
	var parts []string
	for _, n := range c.nodes {
		if n.fault != "" {
			parts = append(parts, n.name+" "+string(n.fault))
		}
	}
	if len(parts) == 0 {
		return "; no fault active"
	}
	return "; faults: " + strings.Join(parts, ", ")
}

func (c *cluster) takeViolations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.violations
	c.violations = nil
	return v
}

// checkpoint waits (every fault repaired) until the node with the highest
// effective priority holds every VIP, the route and the rule, no other node
// holds any, and every gokeepalived's status agrees with the kernel.
func (c *cluster) checkpoint(what string) {
	c.t.Helper()
	want := c.nodes[0]
	for _, n := range c.nodes {
		if n.fault != "" {
			c.t.Fatalf("chaos: checkpoint at %s with %s carrying %s", what, n.name, n.fault)
		}
		if n.priority() > want.priority() {
			want = n
		}
	}
	netns.Eventually(c.t, convergeTimeout, func() (bool, string) {
		var problems []string
		for _, n := range c.nodes {
			problems = append(problems, c.agrees(n, n == want)...)
		}
		return len(problems) == 0, fmt.Sprintf("chaos: not converged at %s (want %s master, priority %d):\n  %s\n%s",
			what, want.name, want.priority(), strings.Join(problems, "\n  "), c.describe())
	})
}

// agrees lists how n differs from what it should have as master (or not).
func (c *cluster) agrees(n *chaosNode, master bool) []string {
	var problems []string
	set, err := c.addrs(n)
	if err != nil {
		return []string{fmt.Sprintf("%s: addresses: %v", n.name, err)}
	}
	wantVIPs := map[string]bool{vip1: master, vip2: master && c.vips == 1}
	for v, w := range wantVIPs {
		if set[v] != w {
			problems = append(problems, fmt.Sprintf("%s: kernel has %s: %v, want %v", n.name, v, set[v], w))
		}
	}
	route, rule, err := c.routing(n)
	if err != nil {
		problems = append(problems, fmt.Sprintf("%s: routes/rules: %v", n.name, err))
	} else if n.kind == "keepalived" {
		// keepalived 2.2.7 leaves its virtual route after kill -9 and a
		// restart (found by this harness, see docs/status.md); it is the
		// peer, not what is under test: its VIPs are checked, not its routing.
	} else if route != master || rule != master {
		problems = append(problems, fmt.Sprintf("%s: kernel has the virtual route %v and rule %v, want %v", n.name, route, rule, master))
	}
	if g := n.gk(); g != nil {
		in, ok := g.Instance("VI_1")
		wantState := map[bool]string{true: "MASTER", false: "BACKUP"}[master]
		switch {
		case !ok:
			problems = append(problems, n.name+": no status")
		case in.State != wantState || in.VIPsHeld != master || in.EffectivePriority != n.priority():
			problems = append(problems, fmt.Sprintf("%s: status says %s, vips_held %v, priority %d; want %s, %v, %d",
				n.name, in.State, in.VIPsHeld, in.EffectivePriority, wantState, master, n.priority()))
		}
	}
	return problems
}

// routing reports whether n's kernel has the virtual route and the virtual rule.
func (c *cluster) routing(n *chaosNode) (route, rule bool, err error) {
	routes, err := n.nl.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: ruleTable}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return false, false, err
	}
	for _, r := range routes {
		if r.Dst != nil && r.Dst.String() == routeDst {
			route = true
		}
	}
	rules, err := n.nl.RuleList(netlink.FAMILY_V4)
	if err != nil {
		return false, false, err
	}
	_, from, _ := net.ParseCIDR(ruleFrom)
	for _, r := range rules {
		if r.Table == ruleTable && r.Src != nil && r.Src.String() == from.String() {
			rule = true
		}
	}
	return route, rule, nil
}

// describe is every node's view: kernel addresses and, for gokeepalived, its status.
func (c *cluster) describe() string {
	var b strings.Builder
	for _, n := range c.nodes {
		fmt.Fprintf(&b, "  %s (%s, priority %d, fault %q): %s", n.name, n.kind, n.priority(), n.fault, strings.Join(n.node.Addrs(), ", "))
		if g := n.gk(); g != nil {
			if in, ok := g.Instance("VI_1"); ok {
				fmt.Fprintf(&b, "; status %s held=%v prio=%d master=%s", in.State, in.VIPsHeld, in.EffectivePriority, in.Master)
				if in.LastTransition != nil {
					fmt.Fprintf(&b, " (last: %s→%s %s)", in.LastTransition.From, in.LastTransition.To, in.LastTransition.Reason)
				}
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// finish stops every daemon (SIGTERM) and checks that nothing is left:
// no VIP, VMAC, virtual route or rule, no process in any node.
func (c *cluster) finish() {
	c.t.Helper()
	for _, n := range c.nodes {
		if err := n.d.Stop(); err != nil {
			c.t.Errorf("chaos: stopping %s on %s: %v", n.kind, n.name, err)
		}
	}
	for _, n := range c.nodes {
		netns.Eventually(c.t, 10*time.Second, func() (bool, string) {
			var left []string
			set, err := c.addrs(n)
			if err != nil {
				return false, err.Error()
			}
			for _, v := range []string{vip1, vip2} {
				if set[v] {
					left = append(left, "VIP "+v)
				}
			}
			route, rule, err := c.routing(n)
			if err != nil {
				return false, err.Error()
			}
			if n.kind == "keepalived" {
				route, rule = false, false // see agrees
			}
			if route {
				left = append(left, "route "+routeDst)
			}
			if rule {
				left = append(left, "rule from "+ruleFrom)
			}
			links, err := n.nl.LinkList()
			if err != nil {
				return false, err.Error()
			}
			for _, l := range links {
				if l.Type() == "macvlan" || strings.HasPrefix(l.Attrs().Name, "vrrp") {
					left = append(left, "VMAC "+l.Attrs().Name)
				}
			}
			out, err := exec.Command("ip", "netns", "pids", n.node.NS).Output()
			if err != nil {
				return false, err.Error()
			}
			if pids := strings.Fields(string(out)); len(pids) > 0 {
				left = append(left, "processes "+strings.Join(pids, " "))
			}
			return len(left) == 0, fmt.Sprintf("chaos: left on %s after the daemons stopped: %s", n.name, strings.Join(left, ", "))
		})
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
