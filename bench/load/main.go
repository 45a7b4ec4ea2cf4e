// Command load is the timing-under-load benchmark (DESIGN.md, "Timing under
// load"): a VRRPv3 pair with 10 ms adverts (MASTER priority 100, BACKUP
// priority 90, Master_Down_Interval 36.5 ms) in network namespaces, run for a
// bounded time while N busy processes compete for the CPUs, once with real
// keepalived (its defaults, and with vrrp_rt_priority 10 + vrrp_no_swap) and
// once with gokeepalived, plus the same without load as the baseline.
//
// Measured per run, in the window while the load runs:
//   - false failovers: the VIP appearing on the backup while the master is
//     alive (netlink address events in the backup's namespace, read on a
//     SCHED_RR 50 thread so the monitor itself is not delayed by the load),
//     and the backup's own count of transitions to MASTER (keepalived's log
//     "Entering MASTER STATE", gokeepalived's status counter became_master);
//   - the time both nodes hold the VIP (the same netlink events, both
//     namespaces);
//   - the master's advert interval on the wire (tcpdump on the bridge, kernel
//     timestamps): p50, p99, max, and how many gaps exceeded the backup's
//     Master_Down_Interval; the backup's adverts on the wire (it only sends
//     them while it believes it is master).
//
// Run it through bench/load/run.sh (root: namespaces "gkload-<pid>-…",
// removed on exit even on failure).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/ctl"
)

const (
	masterAddr = "192.0.2.1"
	backupAddr = "192.0.2.2"
	vip        = "192.0.2.100"
	vrid       = 51
	advertInt  = 10 * time.Millisecond
	// Master_Down_Interval of the priority-90 backup (RFC 5798: 3 × advert
	// + (256 − 90) / 256 × advert), computed as keepalived does.
	mdi = 3*advertInt + (256-90)*advertInt/256
)

var (
	flagSpin      = flag.Duration("spin", 0, "child mode: burn one CPU for this long, then exit")
	flagPrefix    = flag.String("prefix", fmt.Sprintf("gkload-%d", os.Getpid()), "namespace name prefix (must start with gkload-)")
	flagGK        = flag.String("gokeepalived", "bin/gokeepalived", "gokeepalived binary")
	flagKA        = flag.String("keepalived", "/usr/sbin/keepalived", "keepalived binary")
	flagDaemons   = flag.String("daemons", "keepalived,keepalived-rt,gokeepalived", "daemons to run, in order")
	flagSpinners  = flag.Int("spinners", 16, "busy processes during the loaded runs")
	flagDuration  = flag.Duration("duration", 40*time.Second, "measured window of each loaded run")
	flagBaseline  = flag.Duration("baseline", 15*time.Second, "measured window of each run without load (0: none)")
	flagOut       = flag.String("out", "", "also write the markdown section into this file, replacing an older one")
	flagCommand   = flag.String("command", "bench/load/run.sh", "command line shown in the report")
	flagRev       = flag.String("rev", "", "gokeepalived revision shown in the report")
	flagScratch   = flag.String("scratch", "", "directory for configs, logs and pcaps (default: a new temporary one)")
	flagKeepFiles = flag.Bool("keep", false, "keep the scratch directory")
)

func main() {
	flag.Parse()
	if *flagSpin > 0 {
		spin(*flagSpin)
		return
	}
	if !strings.HasPrefix(*flagPrefix, "gkload-") {
		fatalf("-prefix must start with gkload-")
	}
	if os.Geteuid() != 0 {
		fatalf("needs root (network namespaces, veth, bridges)")
	}
	scratch := *flagScratch
	if scratch == "" {
		var err error
		if scratch, err = os.MkdirTemp("", "gkload-"); err != nil {
			fatalf("%v", err)
		}
		if !*flagKeepFiles {
			defer os.RemoveAll(scratch)
		}
	}
	b := &bench{scratch: scratch}
	// Clean up on SIGINT/SIGTERM too: stop what we started, delete namespaces.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "load: %v: cleaning up\n", s)
		b.cleanup()
		os.Exit(1)
	}()
	err := b.main()
	b.cleanup()
	if err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "load: "+format+"\n", args...)
	os.Exit(1)
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

type bench struct {
	scratch string

	mu    sync.Mutex
	nss   []string
	procs []*proc
	seq   int
}

// proc is a process we started, in a process group of its own.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

func (b *bench) start(name, logFile string, argv ...string) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var f *os.File
	if logFile != "" {
		var err error
		if f, err = os.Create(logFile); err != nil {
			return nil, err
		}
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		if f != nil {
			f.Close()
		}
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), log: logFile}
	go func() {
		_ = cmd.Wait()
		if f != nil {
			f.Close()
		}
		close(p.done)
	}()
	b.mu.Lock()
	b.procs = append(b.procs, p)
	b.mu.Unlock()
	return p, nil
}

// stop sends sig to the process group of p (only ever one we started), waits
// up to grace, then SIGKILLs the group.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (b *bench) cleanup() {
	b.mu.Lock()
	procs := slices.Clone(b.procs)
	nss := slices.Clone(b.nss)
	b.procs, b.nss = nil, nil
	b.mu.Unlock()
	for _, p := range slices.Backward(procs) {
		p.stop(syscall.SIGTERM, 3*time.Second)
	}
	for _, ns := range slices.Backward(nss) {
		_ = exec.Command("ip", "netns", "del", ns).Run()
	}
}

func ipcmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// topology: a bridge in its own namespace, and two nodes (m, b) with ens33.
type topology struct {
	sw, m, b string
}

func (b *bench) topology() (*topology, error) {
	b.mu.Lock()
	b.seq++
	p := fmt.Sprintf("%s-%d-", *flagPrefix, b.seq)
	b.mu.Unlock()
	t := &topology{sw: p + "sw", m: p + "m", b: p + "b"}
	for _, ns := range []string{t.sw, t.m, t.b} {
		if err := ipcmd("netns", "add", ns); err != nil {
			return nil, err
		}
		b.mu.Lock()
		b.nss = append(b.nss, ns)
		b.mu.Unlock()
		if err := ipcmd("-n", ns, "link", "set", "lo", "up"); err != nil {
			return nil, err
		}
	}
	steps := [][]string{
		{"-n", t.sw, "link", "add", "br0", "type", "bridge"},
		{"-n", t.sw, "link", "set", "br0", "up"},
	}
	for i, n := range []struct{ ns, addr string }{{t.m, masterAddr}, {t.b, backupAddr}} {
		port := fmt.Sprintf("p%d", i+1)
		steps = append(steps,
			[]string{"-n", t.sw, "link", "add", port, "type", "veth", "peer", "name", "ens33", "netns", n.ns},
			[]string{"-n", t.sw, "link", "set", port, "master", "br0", "up"},
			[]string{"-n", n.ns, "addr", "add", n.addr + "/24", "dev", "ens33"},
			[]string{"-n", n.ns, "link", "set", "ens33", "up"},
		)
	}
	for _, s := range steps {
		if err := ipcmd(s...); err != nil {
			return nil, err
		}
	}
	return t, nil
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

// daemon is one running VRRP daemon.
type daemon struct {
	v      variant
	node   string
	ns     string
	dir    string
	socket string // gokeepalived's control socket
	p      *proc
}

func (b *bench) startDaemon(v variant, ns, node string, prio int) (*daemon, error) {
	dir := filepath.Join(b.scratch, filepath.Base(ns))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(config(v, node, prio)), 0o644); err != nil {
		return nil, err
	}
	d := &daemon{v: v, node: node, ns: ns, dir: dir}
	bin := *flagKA
	if v.gk {
		bin = *flagGK
	}
	// chrt -o 0: the daemon starts with normal scheduling whatever ours is;
	// the real-time threads are each daemon's own doing.
	argv := []string{"ip", "netns", "exec", ns, "chrt", "-o", "0", bin, "-P", "-n", "-l", "-D",
		"-f", conf, "-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid")}
	if v.gk {
		d.socket = filepath.Join(dir, "ctl.sock")
		argv = append(argv, "--control-socket", d.socket)
	}
	p, err := b.start(v.name+"@"+node, filepath.Join(dir, "daemon.log"), argv...)
	if err != nil {
		return nil, err
	}
	d.p = p
	return d, nil
}

func (d *daemon) logs() string {
	data, _ := os.ReadFile(d.p.log)
	return string(data)
}

// becameMaster is the daemon's own count of transitions to MASTER.
func (d *daemon) becameMaster() (uint64, error) {
	if !d.v.gk {
		return uint64(strings.Count(d.logs(), "Entering MASTER STATE")), nil
	}
	st, err := d.status()
	if err != nil {
		return 0, err
	}
	for _, in := range st.Instances {
		if in.Name == "VI_1" {
			return in.Counters["became_master"], nil
		}
	}
	return 0, errors.New("gokeepalived status has no VI_1")
}

func (d *daemon) status() (*ctl.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := ctl.Call(ctx, d.socket, ctl.Request{Cmd: ctl.CmdStatus})
	if err != nil {
		return nil, err
	}
	if resp.Status == nil {
		return nil, errors.New("empty status")
	}
	return resp.Status, nil
}

// vrrpPID is the process running the VRRP loop: keepalived's VRRP child
// (-r pid file), gokeepalived itself (-p pid file).
func (d *daemon) vrrpPID() int {
	f := "vrrp.pid"
	if d.v.gk {
		f = "keepalived.pid"
	}
	data, err := os.ReadFile(filepath.Join(d.dir, f))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
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

func (b *bench) main() error {
	vs, err := variants(*flagDaemons)
	if err != nil {
		return err
	}
	started := time.Now()
	loadStart := loadavg()
	var results []result
	for _, spinners := range []int{0, *flagSpinners} {
		window := *flagDuration
		if spinners == 0 {
			if *flagBaseline == 0 {
				continue
			}
			window = *flagBaseline
		}
		for _, v := range vs {
			r := b.run(v, spinners, window)
			results = append(results, r)
			fmt.Fprintf(os.Stderr, "load: %s, %d busy: false failovers %d (daemon says %d), both held VIP %s, master gaps p50 %s p99 %s max %s >MDI %d, backup adverts %d %s\n",
				v.name, spinners, r.vipAcq, r.daemonCount, ms(r.bothHeld), ms(r.p50), ms(r.p99), ms(r.mx), r.overMDI, r.backupAdv, r.err)
		}
	}
	section := report(results, started, loadStart, loadavg())
	fmt.Print(section)
	if *flagOut != "" {
		return replaceSection(*flagOut, section)
	}
	return nil
}

func (b *bench) run(v variant, spinners int, window time.Duration) (r result) {
	r = result{v: v, spinners: spinners, window: window}
	defer b.cleanup()
	fail := func(format string, args ...any) result {
		r.err = fmt.Sprintf(format, args...)
		fmt.Fprintf(os.Stderr, "load: %s: %s\n", v.name, r.err)
		return r
	}
	t, err := b.topology()
	if err != nil {
		return fail("%v", err)
	}
	pcap := filepath.Join(b.scratch, filepath.Base(t.sw)+".pcap")
	tcpdump, err := b.start("tcpdump", pcap+".log", "ip", "netns", "exec", t.sw, "tcpdump", "-i", "br0", "-n",
		"-U", "-B", "8192", "-s", "96", "--time-stamp-precision=nano", "-w", pcap, "ip proto 112")
	if err != nil {
		return fail("%v", err)
	}
	monM, err := watchVIP(t.m)
	if err != nil {
		return fail("monitor %s: %v", t.m, err)
	}
	defer monM.close()
	monB, err := watchVIP(t.b)
	if err != nil {
		return fail("monitor %s: %v", t.b, err)
	}
	defer monB.close()
	// tcpdump needs a moment before it captures.
	if !waitFor(5*time.Second, func() bool { fi, err := os.Stat(pcap); return err == nil && fi.Size() > 0 }) {
		return fail("tcpdump did not start: %s", readFile(pcap+".log"))
	}
	dm, err := b.startDaemon(v, t.m, "m", 100)
	if err != nil {
		return fail("%v", err)
	}
	db, err := b.startDaemon(v, t.b, "b", 90)
	if err != nil {
		return fail("%v", err)
	}
	// Settled: the master holds the VIP, the backup not, for a whole second.
	var stableSince time.Time
	ok := waitFor(20*time.Second, func() bool {
		if dm.p.exited() || db.p.exited() {
			return true
		}
		if monM.holds() && !monB.holds() {
			if stableSince.IsZero() {
				stableSince = time.Now()
			}
			return time.Since(stableSince) > time.Second
		}
		stableSince = time.Time{}
		return false
	})
	if dm.p.exited() || db.p.exited() {
		return fail("a daemon exited: master: %s backup: %s", tail(dm.logs(), 5), tail(db.logs(), 5))
	}
	if !ok {
		return fail("pair did not settle (master holds VIP: %v, backup: %v)", monM.holds(), monB.holds())
	}
	r.policies = schedPolicies(dm.vrrpPID())
	before, err := db.becameMaster()
	if err != nil {
		return fail("backup's count before: %v", err)
	}
	r.loadBefore = loadavg()
	t0 := time.Now()
	var spinProcs []*proc
	for i := range spinners {
		p, err := b.start(fmt.Sprintf("spin%d", i), "", "/proc/self/exe", "-spin", (window + 10*time.Second).String())
		if err != nil {
			return fail("%v", err)
		}
		spinProcs = append(spinProcs, p)
	}
	time.Sleep(window)
	for _, p := range spinProcs {
		p.stop(syscall.SIGKILL, time.Second)
	}
	t1 := time.Now()
	r.loadAfter = loadavg()
	time.Sleep(time.Second)
	after, err := db.becameMaster()
	if err != nil {
		return fail("backup's count after: %v", err)
	}
	r.daemonCount = after - before
	if dm.p.exited() || db.p.exited() {
		return fail("a daemon exited during the run")
	}
	dm.p.stop(syscall.SIGTERM, 5*time.Second)
	db.p.stop(syscall.SIGTERM, 5*time.Second)
	time.Sleep(200 * time.Millisecond) // let tcpdump write the last packets
	tcpdump.stop(syscall.SIGTERM, 3*time.Second)
	monM.close()
	monB.close()

	// VIP events.
	evM, evB := monM.events(), monB.events()
	r.vipAcq = countAdds(evB, t0, t1)
	r.masterLost = countDels(evM, t0, t1)
	r.bothHeld, r.bothMax = overlap(evM, evB, t0, t1)

	// Adverts on the wire.
	pk, err := readPcap(pcap)
	if err != nil {
		return fail("pcap: %v", err)
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
	return r
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

func waitFor(limit time.Duration, cond func() bool) bool {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

func readFile(p string) string {
	data, _ := os.ReadFile(p)
	return strings.TrimSpace(string(data))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func loadavg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
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
	fd   int
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
func watchVIP(ns string) (*vipMonitor, error) {
	m := &vipMonitor{stop: make(chan struct{}), done: make(chan struct{}), fd: -1}
	ready := make(chan error, 1)
	want := netip.MustParseAddr(vip).As4()
	go func() {
		defer close(m.done)
		// The thread changes namespace: never unlocked, so the runtime
		// discards it when this goroutine ends.
		runtime.LockOSThread()
		h, err := netns.GetFromName(ns)
		if err != nil {
			ready <- err
			return
		}
		err = netns.Set(h)
		h.Close()
		if err != nil {
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
		return nil, err
	}
	return m, nil
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
	b.WriteString("## Timing under load\n\n")
	b.WriteString("Generated by `bench/load/run.sh` (DESIGN.md, \"Timing under load\"). Do not edit by hand; run it again.\n\n")
	b.WriteString("Reproduce (as root, from the repository root):\n\n```sh\n" + *flagCommand + "\n```\n\n")
	b.WriteString("### Setup\n\n")
	fmt.Fprintf(&b, "A VRRPv3 pair in network namespaces on one bridge: `m` (%s, priority 100, `state MASTER`) and `b` (%s, priority 90, `state BACKUP`), "+
		"VRID %d, VIP %s, `advert_int 0.01` (10 ms), so the backup's Master_Down_Interval is %s (3 × 10 ms + Skew_Time %s). "+
		"Each daemon and load level gets a fresh topology. Both daemons run with the same flags (`-P -n -l -D -f … -p … -r …`), started with normal scheduling (`chrt -o 0`): "+
		"any real-time thread is the daemon's own doing. gokeepalived runs its defaults (it puts its VRRP loop and socket readers on SCHED_RR 10 threads where allowed; as root it is). "+
		"keepalived runs twice: with its defaults (no real-time scheduling) and with `vrrp_rt_priority 10` and `vrrp_no_swap` in `global_defs`, the same priority as gokeepalived's threads.\n\n",
		masterAddr, backupAddr, vrid, vip, ms(mdi), ms(mdi-3*advertInt))
	fmt.Fprintf(&b, "- **Load**: %d busy processes (a tight loop each, normal scheduling, nice 0) on the host, started when the measured window opens and killed by PID when it closes; the baseline runs have none.\n", *flagSpinners)
	b.WriteString("- **False failovers**: the VIP added on the backup during the window (netlink RTM_NEWADDR in its namespace) while the master runs throughout. " +
		"\"Backup says\" is the backup's own count of transitions to MASTER over the window plus 1 s (keepalived: log lines \"Entering MASTER STATE\"; gokeepalived: status counter `became_master`).\n")
	b.WriteString("- **Both hold the VIP**: total and longest time the VIP is on both nodes, from netlink address events in both namespaces, read on SCHED_RR 50 threads of the benchmark (above both daemons) so the monitor is not delayed by the load.\n")
	fmt.Fprintf(&b, "- **Master's advert interval**: gaps between the master's consecutive adverts on the bridge (tcpdump, kernel timestamps) in the window; \"> MDI\" counts gaps longer than the backup's Master_Down_Interval (%s), each of which lets a prompt backup take over. \"Backup adverts\" are adverts the backup sent in the window (it sends only while it believes it is master), with the number of separate bursts.\n", ms(mdi))
	b.WriteString("- **VRRP threads**: scheduling policy of the master's VRRP process threads (keepalived: the VRRP child; gokeepalived: every thread), read from /proc after the pair settled.\n\n")
	b.WriteString("### Machine and run\n\n")
	fmt.Fprintf(&b, "- Date: %s, run took %s\n", started.UTC().Format("2006-01-02 15:04 MST"), time.Since(started).Round(time.Second))
	fmt.Fprintf(&b, "- Kernel: %s\n", cmdOut("uname", "-srm"))
	fmt.Fprintf(&b, "- CPU: %s, %d logical CPUs\n", cpuModel(), runtime.NumCPU())
	fmt.Fprintf(&b, "- RT throttling: sched_rt_runtime_us %s / sched_rt_period_us %s\n", readFile("/proc/sys/kernel/sched_rt_runtime_us"), readFile("/proc/sys/kernel/sched_rt_period_us"))
	fmt.Fprintf(&b, "- Load average at start / end: %s / %s\n", loadStart, loadEnd)
	fmt.Fprintf(&b, "- keepalived: %s (Debian package)\n", firstLine(cmdOut(*flagKA, "--version")))
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

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func cmdOut(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	return strings.TrimSpace(string(out))
}

func cpuModel() string {
	for _, line := range strings.Split(readFile("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

const sectionHeading = "## Timing under load"

// replaceSection puts section into the markdown file at path: in place of an
// older "## Timing under load" section (up to the next "## "), or appended.
func replaceSection(path, section string) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	doc := string(data)
	if i := strings.Index(doc, "\n"+sectionHeading+"\n"); i >= 0 {
		rest := doc[i+1+len(sectionHeading):]
		end := ""
		if j := strings.Index(rest, "\n## "); j >= 0 {
			end = rest[j+1:]
		}
		doc = doc[:i+1] + section + end
	} else {
		if doc != "" && !strings.HasSuffix(doc, "\n\n") {
			doc = strings.TrimRight(doc, "\n") + "\n\n"
		}
		doc += section
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
