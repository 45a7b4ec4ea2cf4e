package load

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gokeepalived/bench/internal/benchdoc"
	"gokeepalived/test/e2e/netns"
)

const (
	masterAddr = "192.0.2.1"
	backupAddr = "192.0.2.2"
	vip        = "192.0.2.100"
	vrid       = 51
	ifname     = "ens33"
	advertInt  = 10 * time.Millisecond
	// Master_Down_Interval of the priority-90 backup (RFC 5798: 3 × advert
	// + (256 − 90) / 256 × advert), computed as keepalived does.
	mdi = 3*advertInt + (256-90)*advertInt/256
)

var (
	flagRun      = flag.Bool("loadbench", false, "run the benchmark (root; about 3.5 minutes with the defaults)")
	flagList     = flag.Bool("list", false, "print the runs the benchmark would make, then stop")
	flagKA       = flag.String("keepalived", netns.KeepalivedBin, "keepalived binary (gokeepalived: $GOKEEPALIVED_BIN, else built)")
	flagDaemons  = flag.String("daemons", "keepalived,keepalived-rt,gokeepalived", "daemons to run, in order")
	flagSpinners = flag.Int("spinners", 16, "busy processes during the loaded runs")
	flagDuration = flag.Duration("duration", 40*time.Second, "measured window of each loaded run")
	flagBaseline = flag.Duration("baseline", 15*time.Second, "measured window of each run without load (0: none)")
	flagOut      = flag.String("out", "", "also write the markdown section into this file, replacing an older one")
	flagCommand  = flag.String("command", "bench/load/run.sh", "command line shown in the report")
	flagRev      = flag.String("rev", "", "gokeepalived revision shown in the report")
)

// envSpin makes the test binary a busy process (for this long) instead of
// running tests: the benchmark starts its load as copies of itself.
const envSpin = "GKLOAD_SPIN"

func TestMain(m *testing.M) {
	if v := os.Getenv(envSpin); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "load: %s=%q: %v\n", envSpin, v, err)
			os.Exit(2)
		}
		spin(d)
		return
	}
	os.Exit(netns.Main(m))
}

// spin is a busy process: it never sleeps, until d has passed.
func spin(d time.Duration) {
	end := time.Now().Add(d)
	x := uint64(1)
	for time.Now().Before(end) {
		for range 1 << 16 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	if x == 42 {
		fmt.Println(x)
	}
}

// variant is one daemon setup.
type variant struct {
	name   string // keepalived, keepalived-rt, gokeepalived
	gk     bool
	rtConf bool // vrrp_rt_priority 10 + vrrp_no_swap in global_defs
}

func variants(list string) ([]variant, error) {
	var vs []variant
	for _, n := range strings.Split(list, ",") {
		switch strings.TrimSpace(n) {
		case "keepalived":
			vs = append(vs, variant{name: "keepalived"})
		case "keepalived-rt":
			vs = append(vs, variant{name: "keepalived-rt", rtConf: true})
		case "gokeepalived":
			vs = append(vs, variant{name: "gokeepalived", gk: true})
		case "":
		default:
			return nil, fmt.Errorf("unknown daemon %q (keepalived, keepalived-rt, gokeepalived)", n)
		}
	}
	return vs, nil
}

func (v variant) label() string {
	switch {
	case v.gk:
		return "gokeepalived (defaults)"
	case v.rtConf:
		return "keepalived, `vrrp_rt_priority 10` + `vrrp_no_swap`"
	default:
		return "keepalived (defaults)"
	}
}

func config(v variant, node string, prio int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n    router_id %s\n    vrrp_version 3\n", node)
	if v.rtConf {
		b.WriteString("    vrrp_rt_priority 10\n    vrrp_no_swap\n")
	}
	state := "BACKUP"
	if prio == 100 {
		state = "MASTER"
	}
	fmt.Fprintf(&b, "}\n\nvrrp_instance VI_1 {\n    state %s\n    interface ens33\n    virtual_router_id %d\n"+
		"    priority %d\n    advert_int 0.01\n    virtual_ipaddress {\n        %s/32\n    }\n}\n", state, vrid, prio, vip)
	return b.String()
}

// run is one measured run: a daemon setup, with or without load.
type run struct {
	v        variant
	spinners int
	window   time.Duration
}

func (r run) String() string { return fmt.Sprintf("%s-%dbusy", r.v.name, r.spinners) }

// plan lists the runs: every daemon without load (unless -baseline 0), then
// every daemon with -spinners busy processes.
func plan() ([]run, error) {
	vs, err := variants(*flagDaemons)
	if err != nil {
		return nil, err
	}
	var runs []run
	for _, spinners := range []int{0, *flagSpinners} {
		window := *flagDuration
		if spinners == 0 {
			if *flagBaseline == 0 {
				continue
			}
			window = *flagBaseline
		}
		for _, v := range vs {
			runs = append(runs, run{v, spinners, window})
		}
	}
	return runs, nil
}

func TestLoadBench(t *testing.T) {
	runs, err := plan()
	if err != nil {
		t.Fatal(err)
	}
	if *flagList {
		for _, r := range runs {
			fmt.Printf("%-28s %s, %d busy processes, window %s\n", r, r.v.label(), r.spinners, r.window)
		}
		return
	}
	if !*flagRun {
		t.Skip("the load benchmark runs with -loadbench (bench/load/run.sh); -list prints its runs")
	}
	// The daemons inherit our scheduling: it must be normal, so any
	// real-time thread is the daemon's own doing. (The monitor threads are
	// SCHED_RR with reset-on-fork and never fork: they are locked.)
	if attr, err := unix.SchedGetAttr(0, 0); err != nil || attr.Policy != unix.SCHED_NORMAL {
		t.Fatalf("the benchmark must run with normal scheduling (policy %+v, %v)", attr, err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// On Ctrl-C or SIGTERM stop after the current run, so that t.Cleanup
	// stops every process and removes the namespaces.
	ctx, stopSignals := signal.NotifyContext(t.Context(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	started := time.Now()
	loadStart := benchdoc.LoadAvg()
	var results []result
	for _, rn := range runs {
		if ctx.Err() != nil {
			t.Fatal("interrupted; cleaning up")
		}
		r := result{v: rn.v, spinners: rn.spinners, window: rn.window}
		t.Run(rn.String(), func(t *testing.T) {
			defer func() {
				if t.Failed() && r.err == "" {
					r.err = "the run failed (see the test log)"
				}
			}()
			measure(ctx, t, exe, &r)
		})
		results = append(results, r)
		t.Logf("%s, %d busy: false failovers %d (daemon says %d), both held VIP %s, master gaps p50 %s p99 %s max %s >MDI %d, backup adverts %d %s",
			r.v.name, r.spinners, r.vipAcq, r.daemonCount, ms(r.bothHeld), ms(r.p50), ms(r.p99), ms(r.mx), r.overMDI, r.backupAdv, r.err)
	}
	section := report(results, started, loadStart, benchdoc.LoadAvg())
	fmt.Print(section)
	if *flagOut != "" {
		if err := benchdoc.WriteSection(*flagOut, sectionHeading, section); err != nil {
			t.Fatal(err)
		}
	}
}

// daemon is one running VRRP daemon (gk is set for gokeepalived).
type daemon struct {
	v  variant
	r  *netns.KeepalivedRunner
	gk *netns.GokeepalivedRunner
}

func startDaemon(t *testing.T, v variant, n *netns.Node, prio int) *daemon {
	t.Helper()
	conf := config(v, n.Name, prio)
	d := &daemon{v: v}
	var err error
	if v.gk {
		d.gk = &netns.GokeepalivedRunner{KeepalivedRunner: netns.KeepalivedRunner{Node: n, Config: conf}}
		d.r = &d.gk.KeepalivedRunner
		err = d.gk.Start()
	} else {
		d.r = &netns.KeepalivedRunner{Node: n, Config: conf, Bin: *flagKA}
		err = d.r.Start()
	}
	if err != nil {
		t.Fatalf("start %s on %s: %v", v.name, n.Name, err)
	}
	return d
}

func (d *daemon) exited() bool { return d.r.Proc.Exited() }

// becameMaster is the daemon's own count of transitions to MASTER.
func (d *daemon) becameMaster() (uint64, error) {
	if d.gk == nil {
		return uint64(strings.Count(d.r.Logs(), "Entering MASTER STATE")), nil
	}
	in, ok := d.gk.Instance("VI_1")
	if !ok {
		return 0, errors.New("gokeepalived does not answer with the status of VI_1")
	}
	return in.Counters["became_master"], nil
}

// vrrpPID is the process running the VRRP loop: keepalived's VRRP child
// (-r pid file), gokeepalived itself (-p pid file).
func (d *daemon) vrrpPID() int {
	f := "vrrp.pid"
	if d.gk != nil {
		f = "keepalived.pid"
	}
	data, err := os.ReadFile(d.r.Dir + "/" + f)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// measure makes one run in a fresh topology: a bridge "sw" (captured) and the
// nodes m and b on it.
func measure(ctx context.Context, t *testing.T, exe string, r *result) {
	topo := netns.New(t, "load")
	sw := topo.Switch("sw")
	m, b := topo.Node("m"), topo.Node("b")
	topo.Link(m, sw, ifname, masterAddr+"/24")
	topo.Link(b, sw, ifname, backupAddr+"/24")
	monM := watchVIP(t, m.NS)
	monB := watchVIP(t, b.NS)
	dm := startDaemon(t, r.v, m, 100)
	db := startDaemon(t, r.v, b, 90)
	// Settled: the master holds the VIP, the backup not, for a whole second.
	var stableSince time.Time
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		if dm.exited() || db.exited() {
			t.Fatalf("a daemon exited: master: %s backup: %s", tail(dm.r.Logs(), 5), tail(db.r.Logs(), 5))
		}
		if !monM.holds() || monB.holds() {
			stableSince = time.Time{}
			return false, fmt.Sprintf("pair not settled (master holds VIP: %v, backup: %v)", monM.holds(), monB.holds())
		}
		if stableSince.IsZero() {
			stableSince = time.Now()
		}
		return time.Since(stableSince) > time.Second, "pair settled for less than a second"
	})
	r.policies = schedPolicies(dm.vrrpPID())
	before, err := db.becameMaster()
	if err != nil {
		t.Fatalf("backup's count before: %v", err)
	}
	r.loadBefore = benchdoc.LoadAvg()
	t0 := time.Now()
	if r.spinners > 0 {
		load := topo.Node("load")
		var spinners []*netns.Proc
		for range r.spinners {
			spinners = append(spinners, load.Start("env", envSpin+"="+(r.window+10*time.Second).String(), exe))
		}
		select {
		case <-time.After(r.window):
		case <-ctx.Done():
		}
		for _, p := range spinners {
			p.Kill()
		}
	} else {
		select {
		case <-time.After(r.window):
		case <-ctx.Done():
		}
	}
	t1 := time.Now()
	if ctx.Err() != nil {
		t.Fatal("interrupted")
	}
	r.loadAfter = benchdoc.LoadAvg()
	time.Sleep(time.Second) // the backup's count covers the window plus 1 s
	after, err := db.becameMaster()
	if err != nil {
		t.Fatalf("backup's count after: %v", err)
	}
	r.daemonCount = after - before
	if dm.exited() || db.exited() {
		t.Fatal("a daemon exited during the run")
	}
	_ = dm.r.Stop()
	_ = db.r.Stop()
	time.Sleep(200 * time.Millisecond) // let the capture write the last packets
	monM.close()
	monB.close()

	// VIP events.
	evM, evB := monM.events(), monB.events()
	r.vipAcq = countAdds(evB, t0, t1)
	r.masterLost = countDels(evM, t0, t1)
	r.bothHeld, r.bothMax = overlap(evM, evB, t0, t1)

	// Adverts on the wire.
	pk, err := readPcap(sw.Pcap)
	if err != nil {
		t.Fatalf("pcap: %v", err)
	}
	var mt, bt []time.Time
	for _, p := range pk {
		if p.at.Before(t0) || p.at.After(t1) || p.vrid != vrid || p.prio == 0 {
			continue
		}
		switch p.src.String() {
		case masterAddr:
			mt = append(mt, p.at)
		case backupAddr:
			bt = append(bt, p.at)
		}
	}
	r.masterAdv, r.backupAdv = len(mt), len(bt)
	var gaps []time.Duration
	for i := 1; i < len(mt); i++ {
		g := mt[i].Sub(mt[i-1])
		gaps = append(gaps, g)
		if g > mdi {
			r.overMDI++
		}
	}
	slices.Sort(gaps)
	if len(gaps) > 0 {
		r.p50 = pct(gaps, 0.50)
		r.p99 = pct(gaps, 0.99)
		r.mx = gaps[len(gaps)-1]
	}
	for i := range bt {
		if i == 0 || bt[i].Sub(bt[i-1]) > mdi {
			r.backupBursts++
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// schedPolicies summarises the scheduling policy of every thread of the
// VRRP process, e.g. "RR 10 ×3, OTHER ×5".
func schedPolicies(pid int) string {
	if pid == 0 {
		return "?"
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return "?"
	}
	count := map[string]int{}
	var keys []string
	for _, t := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, t.Name()))
		if err != nil {
			continue
		}
		s := string(data)
		// Fields after the command (which may hold spaces) start after ") ".
		i := strings.LastIndex(s, ") ")
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+2:])
		// f[0] is field 3 (state); rt_priority is field 40, policy 41.
		if len(f) < 39 {
			continue
		}
		prio, pol := f[37], f[38]
		var k string
		switch pol {
		case "0":
			k = "OTHER"
		case "1":
			k = "FIFO " + prio
		case "2":
			k = "RR " + prio
		default:
			k = "policy " + pol
		}
		if count[k] == 0 {
			keys = append(keys, k)
		}
		count[k]++
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range slices.Backward(keys) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, count[k]))
	}
	return strings.Join(parts, ", ")
}

// result is one run's measurements.
type result struct {
	v        variant
	spinners int
	window   time.Duration
	policies string // VRRP process threads of the master

	vipAcq      int           // VIP added on the backup in the window
	daemonCount uint64        // backup's own transitions to MASTER (window + 1 s)
	bothHeld    time.Duration // total time both held the VIP
	bothMax     time.Duration
	masterLost  int // VIP removed from the master in the window

	masterAdv    int
	p50, p99, mx time.Duration
	overMDI      int // master gaps longer than the backup's MDI
	backupAdv    int // adverts sent by the backup in the window
	backupBursts int // separate episodes of backup adverts

	loadBefore, loadAfter string
	err                   string
}

func pct(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted)) + 0.5)
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	if i > 0 {
		i--
	}
	return sorted[i]
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// ---- VIP monitor ----

type vipEvent struct {
	at  time.Time
	add bool
}

// vipMonitor follows RTM_NEWADDR/RTM_DELADDR for the VIP in one namespace.
type vipMonitor struct {
	stop chan struct{}
	done chan struct{}
	once sync.Once

	mu   sync.Mutex
	evs  []vipEvent
	held bool
}

// watchVIP starts a monitor on a thread of its own inside ns, with SCHED_RR
// priority 50 (above both daemons' real-time threads, reset on fork), so
// each event is stamped when the kernel reports it, not when a loaded
// scheduler gets round to it.
// The test's cleanup closes it.
func watchVIP(t *testing.T, ns string) *vipMonitor {
	t.Helper()
	m := &vipMonitor{stop: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan error, 1)
	want := netip.MustParseAddr(vip).As4()
	go func() {
		defer close(m.done)
		// The thread changes namespace: never unlocked, so the runtime
		// discards it when this goroutine ends.
		runtime.LockOSThread()
		if _, err := netns.JoinNetNS(ns); err != nil {
			ready <- err
			return
		}
		if err := unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_RR,
			Priority: 50, Flags: unix.SCHED_FLAG_RESET_ON_FORK}, 0); err != nil {
			ready <- fmt.Errorf("sched_setattr: %w", err)
			return
		}
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			ready <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_IPV4_IFADDR}); err != nil {
			ready <- err
			return
		}
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
		tv := unix.NsecToTimeval(int64(100 * time.Millisecond))
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		ready <- nil
		buf := make([]byte, 1<<16)
		for {
			select {
			case <-m.stop:
				return
			default:
			}
			n, _, err := unix.Recvfrom(fd, buf, 0)
			now := time.Now()
			if err != nil {
				if err == unix.EAGAIN || err == unix.EINTR {
					continue
				}
				if err == unix.ENOBUFS {
					fmt.Fprintf(os.Stderr, "load: monitor %s: netlink overrun, events lost\n", ns)
					continue
				}
				fmt.Fprintf(os.Stderr, "load: monitor %s: %v\n", ns, err)
				return
			}
			msgs, err := syscall.ParseNetlinkMessage(buf[:n])
			if err != nil {
				continue
			}
			for _, msg := range msgs {
				if msg.Header.Type != unix.RTM_NEWADDR && msg.Header.Type != unix.RTM_DELADDR {
					continue
				}
				attrs, err := syscall.ParseNetlinkRouteAttr(&msg)
				if err != nil {
					continue
				}
				for _, a := range attrs {
					if a.Attr.Type == unix.IFA_LOCAL && len(a.Value) == 4 && [4]byte(a.Value) == want {
						add := msg.Header.Type == unix.RTM_NEWADDR
						m.mu.Lock()
						if add != m.held {
							m.evs = append(m.evs, vipEvent{at: now, add: add})
							m.held = add
						}
						m.mu.Unlock()
					}
				}
			}
		}
	}()
	if err := <-ready; err != nil {
		<-m.done
		t.Fatalf("VIP monitor in %s: %v", ns, err)
	}
	t.Cleanup(m.close)
	return m
}

func (m *vipMonitor) close() {
	m.once.Do(func() { close(m.stop) })
	<-m.done
}

func (m *vipMonitor) holds() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.held
}

func (m *vipMonitor) events() []vipEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.evs)
}

func countAdds(evs []vipEvent, t0, t1 time.Time) int {
	n := 0
	for _, e := range evs {
		if e.add && !e.at.Before(t0) && !e.at.After(t1) {
			n++
		}
	}
	return n
}

func countDels(evs []vipEvent, t0, t1 time.Time) int {
	n := 0
	for _, e := range evs {
		if !e.add && !e.at.Before(t0) && !e.at.After(t1) {
			n++
		}
	}
	return n
}

// overlap returns the total and the longest time within [t0, t1] that both
// event streams say the VIP is held.
func overlap(a, b []vipEvent, t0, t1 time.Time) (total, longest time.Duration) {
	type ev struct {
		at   time.Time
		side int
		add  bool
	}
	var all []ev
	for _, e := range a {
		all = append(all, ev{e.at, 0, e.add})
	}
	for _, e := range b {
		all = append(all, ev{e.at, 1, e.add})
	}
	slices.SortStableFunc(all, func(x, y ev) int { return x.at.Compare(y.at) })
	var held [2]bool
	var since time.Time
	for _, e := range all {
		was := held[0] && held[1]
		held[e.side] = e.add
		now := held[0] && held[1]
		switch {
		case !was && now:
			since = e.at
		case was && !now:
			total, longest = addOverlap(total, longest, since, e.at, t0, t1)
		}
	}
	if held[0] && held[1] {
		total, longest = addOverlap(total, longest, since, t1, t0, t1)
	}
	return total, longest
}

func addOverlap(total, longest time.Duration, from, to, t0, t1 time.Time) (time.Duration, time.Duration) {
	if from.Before(t0) {
		from = t0
	}
	if to.After(t1) {
		to = t1
	}
	if d := to.Sub(from); d > 0 {
		total += d
		longest = max(longest, d)
	}
	return total, longest
}

// ---- pcap ----

type advert struct {
	at   time.Time
	src  netip.Addr
	vrid int
	prio int
}

// readPcap reads VRRP packets (Ethernet, IPv4, protocol 112) from a pcap
// file written by tcpdump (microsecond or nanosecond timestamps).
func readPcap(path string) ([]advert, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var gh [24]byte
	if _, err := io.ReadFull(r, gh[:]); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	magic := bo.Uint32(gh[0:4])
	if magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1 {
		bo = binary.BigEndian
		magic = bo.Uint32(gh[0:4])
	}
	var unit time.Duration
	switch magic {
	case 0xa1b2c3d4:
		unit = time.Microsecond
	case 0xa1b23c4d:
		unit = time.Nanosecond
	default:
		return nil, fmt.Errorf("not a pcap file (magic %#x)", magic)
	}
	if lt := bo.Uint32(gh[20:24]); lt != 1 {
		return nil, fmt.Errorf("link type %d, want Ethernet", lt)
	}
	var out []advert
	var rh [16]byte
	for {
		if _, err := io.ReadFull(r, rh[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return out, nil
			}
			return out, err
		}
		sec, frac := bo.Uint32(rh[0:4]), bo.Uint32(rh[4:8])
		incl := bo.Uint32(rh[8:12])
		data := make([]byte, incl)
		if _, err := io.ReadFull(r, data); err != nil {
			return out, nil // truncated last record
		}
		at := time.Unix(int64(sec), int64(time.Duration(frac)*unit))
		if len(data) < 14+20+8 || binary.BigEndian.Uint16(data[12:14]) != 0x0800 {
			continue
		}
		ip := data[14:]
		ihl := int(ip[0]&0x0f) * 4
		if ip[9] != 112 || len(ip) < ihl+8 {
			continue
		}
		src := netip.AddrFrom4([4]byte(ip[12:16]))
		v := ip[ihl:]
		if v[0]&0x0f != 1 { // type advertisement
			continue
		}
		out = append(out, advert{at: at, src: src, vrid: int(v[1]), prio: int(v[2])})
	}
}

// ---- report ----

func report(rs []result, started time.Time, loadStart, loadEnd string) string {
	var b strings.Builder
	b.WriteString(sectionHeading + "\n\n")
	b.WriteString("Generated by `bench/load/run.sh` (DESIGN.md, \"Timing under load\"). Do not edit by hand; run it again.\n\n")
	b.WriteString("Reproduce (as root, from the repository root):\n\n```sh\n" + *flagCommand + "\n```\n\n")
	b.WriteString("### Setup\n\n")
	fmt.Fprintf(&b, "A VRRPv3 pair in network namespaces on one bridge: `m` (%s, priority 100, `state MASTER`) and `b` (%s, priority 90, `state BACKUP`), "+
		"VRID %d, VIP %s, `advert_int 0.01` (10 ms), so the backup's Master_Down_Interval is %s (3 × 10 ms + Skew_Time %s). "+
		"Each daemon and load level gets a fresh topology. Both daemons run with the same flags (`-P -n -l -D -f … -p … -r …`), started with normal scheduling (the benchmark's own): "+
		"any real-time thread is the daemon's own doing. gokeepalived runs its defaults (it puts its VRRP loop and socket readers on SCHED_RR 10 threads where allowed; as root it is). "+
		"keepalived runs twice: with its defaults (no real-time scheduling) and with `vrrp_rt_priority 10` and `vrrp_no_swap` in `global_defs`, the same priority as gokeepalived's threads.\n\n",
		masterAddr, backupAddr, vrid, vip, ms(mdi), ms(mdi-3*advertInt))
	fmt.Fprintf(&b, "- **Load**: %d busy processes (copies of the benchmark in a tight loop, normal scheduling, nice 0, in a namespace of their own: the CPUs are shared all the same), started when the measured window opens and killed by PID when it closes; the baseline runs have none.\n", *flagSpinners)
	b.WriteString("- **False failovers**: the VIP added on the backup during the window (netlink RTM_NEWADDR in its namespace) while the master runs throughout. " +
		"\"Backup says\" is the backup's own count of transitions to MASTER over the window plus 1 s (keepalived: log lines \"Entering MASTER STATE\"; gokeepalived: status counter `became_master`).\n")
	b.WriteString("- **Both hold the VIP**: total and longest time the VIP is on both nodes, from netlink address events in both namespaces, read on SCHED_RR 50 threads of the benchmark (above both daemons) so the monitor is not delayed by the load.\n")
	fmt.Fprintf(&b, "- **Master's advert interval**: gaps between the master's consecutive adverts on the bridge (tcpdump, kernel timestamps) in the window; \"> MDI\" counts gaps longer than the backup's Master_Down_Interval (%s), each of which lets a prompt backup take over. \"Backup adverts\" are adverts the backup sent in the window (it sends only while it believes it is master), with the number of separate bursts.\n", ms(mdi))
	b.WriteString("- **VRRP threads**: scheduling policy of the master's VRRP process threads (keepalived: the VRRP child; gokeepalived: every thread), read from /proc after the pair settled.\n\n")
	b.WriteString("### Machine and run\n\n")
	fmt.Fprintf(&b, "- Date: %s, run took %s\n", started.UTC().Format("2006-01-02 15:04 MST"), time.Since(started).Round(time.Second))
	fmt.Fprintf(&b, "- Kernel: %s\n", benchdoc.CmdOut("uname", "-srm"))
	fmt.Fprintf(&b, "- CPU: %s, %d logical CPUs\n", benchdoc.CPUModel(), runtime.NumCPU())
	fmt.Fprintf(&b, "- RT throttling: sched_rt_runtime_us %s / sched_rt_period_us %s\n", benchdoc.ReadFile("/proc/sys/kernel/sched_rt_runtime_us"), benchdoc.ReadFile("/proc/sys/kernel/sched_rt_period_us"))
	fmt.Fprintf(&b, "- Load average at start / end: %s / %s\n", loadStart, loadEnd)
	fmt.Fprintf(&b, "- keepalived: %s (Debian package)\n", benchdoc.FirstLine(benchdoc.CmdOut(*flagKA, "--version")))
	if *flagRev != "" {
		fmt.Fprintf(&b, "- gokeepalived: %s\n", *flagRev)
	}
	b.WriteString("\nThe machine is shared with other engineers' builds and tests, so background load adds to the benchmark's own.\n\n")
	b.WriteString("### Results\n\n")
	b.WriteString("| daemon | busy processes | window | false failovers (VIP on backup) | backup says → MASTER | both hold the VIP: total / longest | master's adverts | master's interval p50 / p99 / max | gaps > MDI | backup adverts (bursts) | VRRP threads | load avg 1 min before → after |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, r := range rs {
		if r.err != "" {
			fmt.Fprintf(&b, "| %s | %d | %s | failed: %s | | | | | | | | |\n", r.v.label(), r.spinners, r.window, strings.ReplaceAll(r.err, "|", "/"))
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %d | %s / %s | %d | %s / %s / %s | %d | %d (%d) | %s | %s → %s |\n",
			r.v.label(), r.spinners, r.window, r.vipAcq, r.daemonCount, ms(r.bothHeld), ms(r.bothMax), r.masterAdv,
			ms(r.p50), ms(r.p99), ms(r.mx), r.overMDI, r.backupAdv, r.backupBursts, r.policies,
			firstField(r.loadBefore), firstField(r.loadAfter))
	}
	b.WriteString("\n")
	return b.String()
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// sectionHeading starts this benchmark's section of docs/benchmarks.md.
const sectionHeading = "## Timing under load"
