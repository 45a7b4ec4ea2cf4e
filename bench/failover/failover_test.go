//go:build failoverbench

package failover

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"

	"gokeepalived/bench/internal/benchdoc"
	"gokeepalived/test/e2e/netns"
)

var (
	flagTrials  = flag.Int("trials", 10, "trials per case and daemon")
	flagCases   = flag.String("cases", "a,b,c", "cases to run (a, b, c; (d) is measured on the recoveries of each)")
	flagDaemons = flag.String("daemons", "gokeepalived,keepalived", "daemons to compare")
	flagOut     = flag.String("out", "", "write the results as markdown to this file")
	flagCommand = flag.String("command", "bench/failover/run.sh", "command that reproduces the run (written to -out)")
)

func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

const (
	vip        = "192.0.2.100"
	masterAddr = "192.0.2.1/24"
	backupAddr = "192.0.2.2/24"
	clientAddr = "192.0.2.10/24"
	ifname     = "ens33"

	masterPrio = 100
	backupPrio = 90

	probeInterval = 10 * time.Millisecond
	probeTimeout  = 500 * time.Millisecond
	probeWorkers  = 64
)

type faultKind int

const (
	faultLink faultKind = iota // ip link set ens33 down on the master; recovery: link up
	faultTerm                  // SIGTERM to the master daemon; recovery: start it again
)

type benchCase struct {
	ID       string
	Title    string
	Version  int
	Interval time.Duration
	Fault    faultKind
}

var allCases = []benchCase{
	{"a", "VRRPv2, advert_int 1, master link down", 2, time.Second, faultLink},
	{"b", "VRRPv3, advert_int 0.1, master link down", 3, 100 * time.Millisecond, faultLink},
	{"c", "VRRPv3, advert_int 0.1, SIGTERM of the master daemon (graceful stop)", 3, 100 * time.Millisecond, faultTerm},
}

// skew is RFC 3768/5798 Skew_Time for the backup's priority, computed like keepalived (in
// microseconds, no rounding to centiseconds).
func (c benchCase) skew() time.Duration {
	return time.Duration(256-backupPrio) * c.Interval / 256
}

// mdi is Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time.
func (c benchCase) mdi() time.Duration { return 3*c.Interval + c.skew() }

// expected is the theoretical range of the takeover: link loss at a random phase of the
// advert timer lands between MDI − interval and MDI; a priority 0 advert makes the backup
// take over after Skew_Time.
func (c benchCase) expected() (lo, hi time.Duration) {
	if c.Fault == faultTerm {
		return c.skew(), c.skew()
	}
	return c.mdi() - c.Interval, c.mdi()
}

func (c benchCase) config(state string, prio int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "! gokeepalived bench/failover: case (%s) %s, %s\n", c.ID, c.Title, state)
	b.WriteString("global_defs {\n    router_id LVS_DEVEL\n    vrrp_mcast_group4 224.0.0.18\n")
	if c.Version == 3 {
		b.WriteString("    vrrp_version 3\n")
	}
	b.WriteString("}\n\nvrrp_instance VI_1 {\n")
	fmt.Fprintf(&b, "    state %s\n    interface %s\n    virtual_router_id 51\n    priority %d\n", state, ifname, prio)
	fmt.Fprintf(&b, "    advert_int %s\n", strconv.FormatFloat(c.Interval.Seconds(), 'f', -1, 64))
	if c.Version == 2 {
		b.WriteString("    authentication {\n        auth_type PASS\n        auth_pass 1111\n    }\n")
	}
	fmt.Fprintf(&b, "    virtual_ipaddress {\n        %s\n    }\n}\n", vip)
	return b.String()
}

// pair is the seed's topology for one daemon kind.
type pair struct {
	t                      *testing.T
	daemon                 string
	topo                   *netns.Topo
	master, backup, client *netns.Node
	mlink                  *linkCtl
	sniff                  *sniffer // VRRP adverts seen by the client

	md, bd *netns.KeepalivedRunner // current daemons (for a gokeepalived pair: the embedded runner)
	mdd    netns.Daemon            // md as the Daemon that was started
}

func newPair(t *testing.T, daemon string) *pair {
	topo := netns.New(t, "bench"+daemon[:2])
	lan := topo.Switch("lan")
	p := &pair{t: t, daemon: daemon, topo: topo, master: topo.Node("master"), backup: topo.Node("backup"), client: topo.Node("client")}
	topo.Link(p.master, lan, ifname, masterAddr)
	topo.Link(p.backup, lan, ifname, backupAddr)
	topo.Link(p.client, lan, "eth0", clientAddr)
	p.master.StartNginx("master")
	p.backup.StartNginx("backup")
	lc, err := newLinkCtl(p.master.NS, ifname)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lc.Close)
	p.mlink = lc
	sn, err := startSniffer(p.client.NS, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sn.Stop)
	p.sniff = sn
	return p
}

func (p *pair) newDaemon(n *netns.Node, conf string) (netns.Daemon, *netns.KeepalivedRunner) {
	if p.daemon == "keepalived" {
		r := &netns.KeepalivedRunner{Node: n, Config: conf}
		return r, r
	}
	r := &netns.GokeepalivedRunner{KeepalivedRunner: netns.KeepalivedRunner{Node: n, Config: conf}}
	return r, &r.KeepalivedRunner
}

func (p *pair) startMaster(c benchCase) error {
	d, r := p.newDaemon(p.master, c.config("MASTER", masterPrio))
	if err := d.Start(); err != nil {
		return err
	}
	p.mdd, p.md = d, r
	return nil
}

// start runs the case's daemons and waits until only the master holds the VIP.
func (p *pair) start(c benchCase) error {
	d, r := p.newDaemon(p.backup, c.config("BACKUP", backupPrio))
	if err := d.Start(); err != nil {
		return err
	}
	p.bd = r
	if err := p.startMaster(c); err != nil {
		return err
	}
	return p.waitHolders(20*time.Second, true, false)
}

func (p *pair) waitHolders(timeout time.Duration, m, b bool) error {
	deadline := time.Now().Add(timeout)
	for {
		hm, hb := p.master.HasAddr(vip), p.backup.HasAddr(vip)
		if hm == m && hb == b {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: want VIP on master=%v backup=%v, have master=%v backup=%v", p.daemon, m, b, hm, hb)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends both daemons gracefully and makes sure the master's link is up again.
func (p *pair) stop() {
	for _, r := range []*netns.KeepalivedRunner{p.md, p.bd} {
		if r != nil && r.Proc != nil && !r.Proc.Exited() {
			if err := r.Proc.Stop(10 * time.Second); err != nil {
				p.t.Logf("%s: %v", p.daemon, err)
			}
		}
	}
	p.md, p.bd, p.mdd = nil, nil, nil
	if err := p.mlink.set(true); err != nil {
		p.t.Logf("%s: link up: %v", p.daemon, err)
	}
	for _, n := range []*netns.Node{p.master, p.backup} {
		if n.HasAddr(vip) { // a daemon that did not clean up; not expected
			p.t.Logf("%s: %s still holds %s after stop; removing it", p.daemon, n.Name, vip)
			_, _ = n.Exec(p.t.Context(), "ip", "addr", "del", vip+"/32", "dev", ifname)
		}
	}
}

func (p *pair) logs() string {
	var b strings.Builder
	for _, r := range []*netns.KeepalivedRunner{p.md, p.bd} {
		if r != nil {
			fmt.Fprintf(&b, "--- %s on %s:\n%s\n", p.daemon, r.Node.Name, lastLines(r.Logs(), 15))
		}
	}
	return b.String()
}

// trial is one fault and its recovery.
type trial struct {
	Phase    time.Duration // fault − the master's last advert seen before it (target: a random delay)
	Failover time.Duration // fault → first answer from the backup (request completed)
	Prio0    time.Duration // (c) fault → the master's priority-0 advert seen by the client
	Wire     time.Duration // fault → the backup's first advert as master seen by the client
	Beyond   time.Duration // Failover − what the RFC's timers make unavoidable (see below)
	Rec      recovery
}

// recovery is what the client saw while the master came back and preempted (d).
type recovery struct {
	ToMaster   time.Duration // recovery action → first answer from the master
	Requests   int           // requests started in the window
	Lost       int           // of which failed: not answered (timeout, unreachable)
	Reset      int           // of which failed: connection reset (opened to one node, finished at the other)
	LongestGap time.Duration // longest time between two consecutive answers in the window
	Skipped    int           // probe ticks with no free worker (whole trial)
}

// trial injects c's fault phase after one of the master's adverts (as the client sees it,
// with kernel timestamps), measures the takeover, then lets the master return.
//
// Beyond is the part of the failover the RFC's timers do not explain: for a link loss the
// backup's Master_Down_Timer was last restarted by the advert before the fault, so it
// expires MDI − Phase after the fault; for a graceful stop the backup takes over Skew_Time
// after the priority-0 advert. What remains is the new master's VIP and GARP work, the
// client's ARP update, scheduling delays and the probe's 10 ms resolution.
func (p *pair) trial(c benchCase, phase time.Duration) (tr trial, err error) {
	probe, err := startProbe(p.client.NS, vip+":80", probeInterval, probeTimeout, probeWorkers)
	if err != nil {
		return tr, err
	}
	begin := time.Now()
	defer func() {
		probe.Stop()
		if err != nil {
			err = fmt.Errorf("%w\nclient timeline:\n%s%s", err, timeline(probe.Samples(), begin, time.Now()), p.logs())
		}
	}()
	if _, ok := probe.waitAnswer("master", begin, 10*time.Second); !ok {
		return tr, errors.New("no answer from the master before the fault")
	}
	if err := p.waitHolders(10*time.Second, true, false); err != nil {
		return tr, err
	}

	masterIP := netip.MustParsePrefix(masterAddr).Addr()
	adv, ok := p.sniff.next(masterIP, time.Now(), 3*c.Interval+time.Second)
	if !ok {
		return tr, errors.New("the client sees no advert from the master")
	}
	time.Sleep(time.Until(adv.At.Add(phase)))
	var fault time.Time
	switch c.Fault {
	case faultLink:
		fault, err = p.mlink.down()
	case faultTerm:
		fault = time.Now()
		err = p.md.Proc.Signal(syscall.SIGTERM)
	}
	if err != nil {
		return tr, fmt.Errorf("fault: %w", err)
	}
	s, ok := probe.waitAnswer("backup", fault, 3*c.mdi()+2*time.Second)
	if !ok {
		return tr, errors.New("no answer from the backup after the fault")
	}
	tr.Failover = s.Done().Sub(fault)
	if a, ok := p.sniff.next(netip.MustParsePrefix(backupAddr).Addr(), fault, time.Second); ok {
		tr.Wire = a.At.Sub(fault)
	}
	if la, ok := p.sniff.lastBefore(masterIP, fault); ok {
		tr.Phase = fault.Sub(la.At)
	}
	switch c.Fault {
	case faultLink:
		tr.Beyond = tr.Failover - (c.mdi() - tr.Phase)
	case faultTerm:
		a, ok := p.sniff.prio0After(masterIP, fault)
		if !ok {
			return tr, errors.New("the client saw no priority-0 advert from the master after SIGTERM")
		}
		tr.Prio0 = a.At.Sub(fault)
		tr.Beyond = tr.Failover - (tr.Prio0 + c.skew())
	}

	if c.Fault == faultTerm {
		if err := p.md.Proc.Wait(10 * time.Second); err != nil && !p.md.Proc.Exited() {
			return tr, fmt.Errorf("master daemon after SIGTERM: %w", err)
		}
	}
	time.Sleep(max(c.Interval, 300*time.Millisecond)) // the backup serves for a while

	// (d) the master returns and preempts.
	last := lastAnswer(probe.Samples())
	var rec time.Time
	switch c.Fault {
	case faultLink:
		rec, err = p.mlink.up()
	case faultTerm:
		rec = time.Now()
		err = p.startMaster(c)
	}
	if err != nil {
		return tr, fmt.Errorf("recovery: %w", err)
	}
	m, ok := probe.waitAnswer("master", rec, 3*c.mdi()+10*time.Second)
	if !ok {
		return tr, errors.New("no answer from the master after it returned")
	}
	tr.Rec.ToMaster = m.Done().Sub(rec)
	// Watch for a while after the preemption: a late flap back or a lost request counts.
	end := m.Done().Add(max(3*c.Interval, 500*time.Millisecond))
	time.Sleep(time.Until(end.Add(probeTimeout + 20*time.Millisecond)))
	if err := p.waitHolders(10*time.Second, true, false); err != nil {
		return tr, err
	}
	samples := probe.Samples()
	tr.Rec.Skipped = probe.Skipped()
	prev := last
	for _, s := range samples {
		if s.At.Before(rec) || s.At.After(end) {
			continue
		}
		tr.Rec.Requests++
		if s.Err != nil {
			if errors.Is(s.Err, syscall.ECONNRESET) {
				tr.Rec.Reset++
			} else {
				tr.Rec.Lost++
			}
			continue
		}
		if !prev.IsZero() && s.Done().Sub(prev) > tr.Rec.LongestGap {
			tr.Rec.LongestGap = s.Done().Sub(prev)
		}
		if s.Done().After(prev) {
			prev = s.Done()
		}
	}
	if tr.Rec.Lost+tr.Rec.Reset > 0 {
		p.t.Logf("%s (%s): %d requests lost, %d reset during preemption:\n%s", p.daemon, c.ID, tr.Rec.Lost, tr.Rec.Reset, timeline(samples, rec.Add(-50*time.Millisecond), end))
	}
	return tr, nil
}

// lastAnswer is the completion time of the latest successful request.
func lastAnswer(samples []sample) time.Time {
	var t time.Time
	for _, s := range samples {
		if s.Err == nil && s.Done().After(t) {
			t = s.Done()
		}
	}
	return t
}

// linkCtl sets a link in a namespace up or down over a netlink socket opened beforehand, so
// the fault's timestamp is taken right before the one syscall that causes it.
type linkCtl struct {
	h    *netlink.Handle
	link netlink.Link
}

func newLinkCtl(ns, name string) (*linkCtl, error) {
	nsh, err := vnetns.GetFromPath("/run/netns/" + ns)
	if err != nil {
		return nil, err
	}
	defer nsh.Close()
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		return nil, err
	}
	l, err := h.LinkByName(name)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("%s in %s: %w", name, ns, err)
	}
	return &linkCtl{h: h, link: l}, nil
}

func (l *linkCtl) down() (time.Time, error) {
	t := time.Now()
	return t, l.h.LinkSetDown(l.link)
}

func (l *linkCtl) up() (time.Time, error) {
	t := time.Now()
	return t, l.h.LinkSetUp(l.link)
}

func (l *linkCtl) set(up bool) error {
	if up {
		_, err := l.up()
		return err
	}
	_, err := l.down()
	return err
}

func (l *linkCtl) Close() { l.h.Close() }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestFailoverBench runs every selected case, trials interleaved between the daemons so that
// load from other work on the machine hits both alike.
func TestFailoverBench(t *testing.T) {
	var cases []benchCase
	for _, id := range strings.Split(*flagCases, ",") {
		i := slices.IndexFunc(allCases, func(c benchCase) bool { return c.ID == strings.TrimSpace(id) })
		if i < 0 {
			t.Fatalf("unknown case %q", id)
		}
		cases = append(cases, allCases[i])
	}
	var daemons []string
	for _, d := range strings.Split(*flagDaemons, ",") {
		if d = strings.TrimSpace(d); d != "gokeepalived" && d != "keepalived" {
			t.Fatalf("unknown daemon %q", d)
		}
		daemons = append(daemons, d)
	}
	run := newRun(cases, daemons)
	// On Ctrl-C or SIGTERM stop after the current trial, so that t.Cleanup removes the
	// namespaces and stops every process the run started.
	ctx, stopSignals := signal.NotifyContext(t.Context(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	var pairs []*pair
	for _, d := range daemons {
		pairs = append(pairs, newPair(t, d))
	}
	for _, c := range cases {
		for _, p := range pairs {
			if err := p.start(c); err != nil {
				t.Fatalf("case (%s): %v\n%s", c.ID, err, p.logs())
			}
		}
		for i := range *flagTrials {
			if ctx.Err() != nil {
				t.Fatal("interrupted; cleaning up")
			}
			phase := rand.N(c.Interval) // the same for both daemons
			order := slices.Clone(pairs)
			if i%2 == 1 {
				slices.Reverse(order)
			}
			for _, p := range order {
				tr, err := p.trial(c, phase)
				if err != nil {
					t.Logf("case (%s) %s trial %d FAILED: %v", c.ID, p.daemon, i+1, err)
					run.fail(c, p.daemon, err)
					p.stop() // start again from a clean state
					if err := p.start(c); err != nil {
						t.Fatalf("case (%s): restart after a failed trial: %v\n%s", c.ID, err, p.logs())
					}
					continue
				}
				t.Logf("case (%s) %-12s trial %2d: phase %5.1fms failover %7.1fms (backup's first advert %7.1fms, beyond RFC timer %5.1fms, prio-0 advert after %4.1fms) | master back: answering after %7.1fms, %d/%d requests lost, %d reset, longest gap %5.1fms",
					c.ID, p.daemon, i+1, ms(tr.Phase), ms(tr.Failover), ms(tr.Wire), ms(tr.Beyond), ms(tr.Prio0), ms(tr.Rec.ToMaster), tr.Rec.Lost, tr.Rec.Requests, tr.Rec.Reset, ms(tr.Rec.LongestGap))
				run.add(c, p.daemon, tr)
			}
		}
		for _, p := range pairs {
			p.stop()
		}
	}
	run.finish()
	table := run.markdown()
	fmt.Println(table)
	for _, miss := range run.targets() {
		fmt.Println(miss)
	}
	if *flagOut != "" {
		if err := benchdoc.WriteSection(*flagOut, sectionHeading, run.document(table, *flagCommand)); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", *flagOut)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
