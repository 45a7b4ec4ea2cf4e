package scale

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/bench/internal/benchdoc"
	"gokeepalived/test/e2e/netns"
)

const (
	links     = 20
	pprofAddr = "127.0.0.1:6060"
	// clkTck is the kernel's USER_HZ, the unit of /proc/PID/stat's times
	// (100 on every Linux architecture Go supports).
	clkTck = 100
)

var (
	flagRun     = flag.Bool("scalebench", false, "run the benchmark (root)")
	flagN       = flag.String("n", "50,200,1000,2000", "instance counts, comma separated")
	flagDaemons = flag.String("daemons", "keepalived,gokeepalived", "daemons to run at each N, in order")
	flagWindow  = flag.Duration("window", 30*time.Second, "measured window of each run")
	flagSettle  = flag.Duration("settle", 30*time.Second, "longest wait for convergence before the window opens")
	flagPprof   = flag.String("pprof", "", "save CPU profiles of both gokeepalived nodes over the window into this directory")
	flagOut     = flag.String("out", "", "also write the markdown section into this file, replacing an older one")
	flagRev     = flag.String("rev", "", "gokeepalived revision shown in the report")
	flagBusy    = flag.Int("busy", 0, "busy-looping processes running through each run (CPU contention)")
	flagPlot    = flag.String("plot", "", "also draw the results as PNG files into this directory (gonum/plot)")
	flagLogs    = flag.String("logs", "", "also save both daemons' logs of each run into this directory")
	flagAdvert  = flag.Duration("advert-int", 100*time.Millisecond, "advert_int of every instance (VRRPv3: a multiple of 10 ms)")
)

const sectionHeading = "## Scale: many instances on one pair"

func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

// result is one run's measurements.
type result struct {
	daemon    string
	n         int
	window    time.Duration
	converged time.Duration // 0: not within -settle
	cpuM      float64       // % of one core over the window
	cpuB      float64
	rssM      int // kB
	rssB      int
	entries   int // backup's entries to MASTER in the window
	vipsM     int // VIPs held at the end of the window
	vipsB     int
	vipsBoth  int
	// startAll is the time from the daemons' start to the master holding
	// every VIP, from the master's netlink address events (0: not within
	// -settle).
	startAll time.Duration
	// takeover is the time from the master's kill -9 to the backup holding
	// every VIP, from the backup's netlink address events (0: not within
	// takeoverLimit).
	takeover time.Duration
	// backupAdds is the VIPs added on the backup in the window, from its
	// netlink address events: each is a flap seen from the kernel.
	backupAdds int
	// lost: the address subscriptions reported errors (events may be missing).
	lost  int
	load  string
	notes string // gokeepalived: why the backup became MASTER, kernel overruns
	err   string
}

func TestScaleBench(t *testing.T) {
	if !*flagRun {
		t.Skip("the scale benchmark runs with -scalebench (bench/scale/run.sh)")
	}
	var ns []int
	for _, s := range strings.Split(*flagN, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > links*255 {
			t.Fatalf("-n %q: want instance counts between 1 and %d", *flagN, links*255)
		}
		ns = append(ns, n)
	}
	if ai := *flagAdvert; ai < 10*time.Millisecond || ai%(10*time.Millisecond) != 0 || ai > 40950*time.Millisecond {
		t.Fatalf("-advert-int %s: want a multiple of 10ms between 10ms and 40.95s (VRRPv3)", ai)
	}
	daemons := strings.Split(*flagDaemons, ",")
	for _, d := range daemons {
		if d != "keepalived" && d != "gokeepalived" {
			t.Fatalf("-daemons: unknown daemon %q (keepalived, gokeepalived)", d)
		}
	}
	started := time.Now()
	var results []result
	for _, n := range ns {
		for _, d := range daemons {
			r := result{daemon: d, n: n, window: *flagWindow}
			t.Run(fmt.Sprintf("%s-%d", d, n), func(t *testing.T) {
				defer func() {
					if t.Failed() && r.err == "" {
						r.err = "the run failed (see the test log)"
					}
				}()
				measure(t, &r)
			})
			t.Logf("%s N=%d: converged %s, start → all VIPs %s, CPU %.1f / %.1f %%, RSS %d / %d kB, backup→MASTER %d, backup VIP adds %d, VIPs %d / %d, both %d, master loss → all VIPs %s, load %s; %s %s",
				r.daemon, r.n, r.converged, r.startAll, r.cpuM, r.cpuB, r.rssM, r.rssB, r.entries, r.backupAdds, r.vipsM, r.vipsB, r.vipsBoth, r.takeover, r.load, r.notes, r.err)
			results = append(results, r)
		}
	}
	if *flagPlot != "" {
		if err := plots(results, *flagPlot); err != nil {
			t.Fatal(err)
		}
	}
	section := report(results, started)
	fmt.Print(section)
	if *flagOut != "" {
		if err := benchdoc.WriteSection(*flagOut, sectionHeading, section); err != nil {
			t.Fatal(err)
		}
	}
}

// vip is instance k's virtual address: 198.19.<link>.<vrid>.
func vip(link, vrid int) string { return fmt.Sprintf("198.19.%d.%d", link, vrid) }

// config is one node's keepalived.conf: n instances, instance k on link
// k mod 20 with VRID k/20 + 1.
func config(node string, n, prio int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n    router_id %s\n    vrrp_version 3\n}\n", node)
	state := "BACKUP"
	if prio > 100 {
		state = "MASTER"
	}
	for k := range n {
		l, v := k%links, k/links+1
		fmt.Fprintf(&b, "vrrp_instance VI_%d {\n    state %s\n    interface sc%d\n    virtual_router_id %d\n"+
			"    priority %d\n    advert_int %g\n    virtual_ipaddress {\n        %s/32\n    }\n}\n",
			k, state, l, v, prio, flagAdvert.Seconds(), vip(l, v))
	}
	return b.String()
}

type daemon struct {
	r  *netns.KeepalivedRunner
	gk *netns.GokeepalivedRunner
}

func start(t *testing.T, name string, n *netns.Node, conf string) *daemon {
	t.Helper()
	d := &daemon{}
	var err error
	if name == "gokeepalived" {
		d.gk = &netns.GokeepalivedRunner{KeepalivedRunner: netns.KeepalivedRunner{Node: n, Config: conf}}
		if *flagPprof != "" {
			d.gk.Args = []string{"--pprof-listen", pprofAddr}
		}
		d.r = &d.gk.KeepalivedRunner
		err = d.gk.Start()
	} else {
		d.r = &netns.KeepalivedRunner{Node: n, Config: conf}
		err = d.r.Start()
	}
	if err != nil {
		t.Fatalf("start %s on %s: %v", name, n.Name, err)
	}
	return d
}

// vrrpPID is the process running the VRRP instances: keepalived's VRRP
// child (-r pid file), gokeepalived itself (-p pid file).
func (d *daemon) vrrpPID() int {
	f := "vrrp.pid"
	if d.gk != nil {
		f = "keepalived.pid"
	}
	data, err := os.ReadFile(filepath.Join(d.r.Dir, f))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// masterEntries is the daemon's own count of transitions to MASTER, over
// every instance.
func (d *daemon) masterEntries(t *testing.T) int {
	if d.gk == nil {
		return strings.Count(d.r.Logs(), "Entering MASTER STATE")
	}
	st := d.gk.Status(t)
	total := 0
	for _, in := range st.Instances {
		total += int(in.Counters["became_master"])
	}
	return total
}

// cpuTicks is utime+stime of pid (all its threads), in clock ticks.
func cpuTicks(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndex(s, ") ")
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.Atoi(f[11]) // field 14
	k, _ := strconv.Atoi(f[12]) // field 15
	return u + k
}

// rssKB is VmRSS of pid.
func rssKB(pid int) int {
	for _, line := range strings.Split(benchdoc.ReadFile(fmt.Sprintf("/proc/%d/status", pid)), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// vips is the set of benchmark VIPs the node holds.
func vips(n *netns.Node) map[string]bool {
	out, err := n.Exec(context.Background(), "ip", "-4", "-o", "addr", "show")
	held := map[string]bool{}
	if err != nil {
		return held
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for i, w := range f {
			if w == "inet" && i+1 < len(f) && strings.HasPrefix(f[i+1], "198.19.") {
				held[strings.TrimSuffix(f[i+1], "/32")] = true
			}
		}
	}
	return held
}

// measure makes one run in a fresh topology: nodes m and b joined by 20
// veth links sc0..sc19 (198.18.<link>.1 and .2).
func measure(t *testing.T, r *result) {
	topo := netns.New(t, "scale")
	m, b := topo.Node("m"), topo.Node("b")
	for l := range links {
		ifn := fmt.Sprintf("sc%d", l)
		steps := [][]string{
			{"-n", m.NS, "link", "add", ifn, "type", "veth", "peer", "name", ifn, "netns", b.NS},
			{"-n", m.NS, "addr", "add", fmt.Sprintf("198.18.%d.1/24", l), "dev", ifn},
			{"-n", b.NS, "addr", "add", fmt.Sprintf("198.18.%d.2/24", l), "dev", ifn},
			{"-n", m.NS, "link", "set", ifn, "up"},
			{"-n", b.NS, "link", "set", ifn, "up"},
		}
		for _, s := range steps {
			if out, err := runIP(s...); err != nil {
				t.Fatalf("ip %s: %v: %s", strings.Join(s, " "), err, out)
			}
		}
	}
	stopBusy := busy(t, *flagBusy, *flagSettle+*flagWindow+takeoverLimit+time.Minute)
	defer stopBusy()
	wm, wb := watchAddrs(t, m.NS), watchAddrs(t, b.NS)
	t0 := time.Now()
	dm := start(t, r.daemon, m, config("m", r.n, 150))
	db := start(t, r.daemon, b, config("b", r.n, 100))
	// Converged: every VIP on the master and none on the backup for 2 s.
	var stable time.Time
	deadline := t0.Add(*flagSettle)
	for time.Now().Before(deadline) {
		if dm.r.Proc.Exited() || db.r.Proc.Exited() {
			t.Fatalf("a daemon exited: master: %s backup: %s", tail(dm.r.Logs()), tail(db.r.Logs()))
		}
		if len(vips(m)) == r.n && len(vips(b)) == 0 {
			if stable.IsZero() {
				stable = time.Now()
			}
			if time.Since(stable) >= 2*time.Second {
				r.converged = stable.Sub(t0)
				break
			}
		} else {
			stable = time.Time{}
		}
		time.Sleep(250 * time.Millisecond)
	}
	if at := wm.allAt(r.n, t0); !at.IsZero() && r.converged > 0 {
		r.startAll = at.Sub(t0)
	}
	if r.converged == 0 {
		t.Logf("not converged within %s: master holds %d VIPs, backup %d", *flagSettle, len(vips(m)), len(vips(b)))
	}
	pm, pb := dm.vrrpPID(), db.vrrpPID()
	if pm == 0 || pb == 0 {
		t.Fatalf("no VRRP pid (master %d, backup %d)", pm, pb)
	}
	// Wait for the status socket too (gokeepalived), so the count works.
	before := db.masterEntries(t)
	logFrom := len(db.r.Logs())
	cm0, cb0, w0 := cpuTicks(pm), cpuTicks(pb), time.Now()
	var profiles []chan error
	if *flagPprof != "" && dm.gk != nil {
		for _, nd := range []*netns.Node{m, b} {
			done := make(chan error, 1)
			profiles = append(profiles, done)
			file := filepath.Join(*flagPprof, fmt.Sprintf("%s-%d-%s.pprof", r.daemon, r.n, nd.Name))
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), *flagWindow+30*time.Second)
				defer cancel()
				url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, int(flagWindow.Seconds()))
				_, err := nd.Exec(ctx, "curl", "-sS", "-f", "-o", file, url)
				done <- err
			}()
		}
	}
	time.Sleep(*flagWindow)
	cm1, cb1, w1 := cpuTicks(pm), cpuTicks(pb), time.Now()
	secs := w1.Sub(w0).Seconds()
	r.cpuM = float64(cm1-cm0) / clkTck / secs * 100
	r.cpuB = float64(cb1-cb0) / clkTck / secs * 100
	r.rssM, r.rssB = rssKB(pm), rssKB(pb)
	r.entries = db.masterEntries(t) - before
	r.backupAdds = wb.adds(w0, w1)
	hm, hb := vips(m), vips(b)
	r.vipsM, r.vipsB = len(hm), len(hb)
	for a := range hb {
		if hm[a] {
			r.vipsBoth++
		}
	}
	r.load = benchdoc.LoadAvg()
	if db.gk != nil {
		r.notes = notes(db.r.Logs()[logFrom:], dm.r.Logs()+db.r.Logs())
	}
	for _, p := range profiles {
		if err := <-p; err != nil {
			t.Errorf("CPU profile: %v", err)
		}
	}
	// Master loss: kill -9 the master, then time the backup to every VIP
	// (its netlink address events).
	if r.converged > 0 {
		lost := time.Now()
		dm.r.Kill()
		if at := wb.waitAll(r.n, lost, takeoverLimit); !at.IsZero() {
			r.takeover = at.Sub(lost)
		}
	}
	r.lost = wm.lostEvents() + wb.lostEvents()
	if r.lost > 0 {
		r.notes = strings.TrimPrefix(r.notes+fmt.Sprintf("; %d address subscription errors (events may be missing)", r.lost), "; ")
	}
	_ = dm.r.Stop()
	_ = db.r.Stop()
	if *flagLogs != "" {
		for _, x := range []struct {
			node string
			d    *daemon
		}{{"m", dm}, {"b", db}} {
			file := filepath.Join(*flagLogs, fmt.Sprintf("%s-%d-%s.log", r.daemon, r.n, x.node))
			if err := os.WriteFile(file, []byte(x.d.r.Logs()), 0o644); err != nil {
				t.Errorf("saving logs: %v", err)
			}
		}
	}
}

// takeoverLimit bounds the wait for the backup to hold every VIP after
// the master's loss.
const takeoverLimit = 10 * time.Second

// masterDown is the Master_Down_Interval of an instance of priority prio
// in these runs (VRRPv3: 3 × advert_int + skew (256-prio)/256 × advert_int):
// the master's (150) bounds the start, the backup's (100) the takeover.
func masterDown(prio int) time.Duration {
	ai := *flagAdvert
	return 3*ai + time.Duration(256-prio)*ai/256
}

// busy starts n busy-looping processes (each under timeout(1) as a bound)
// and returns what stops them, by PID.
func busy(t *testing.T, n int, limit time.Duration) func() {
	var procs []*exec.Cmd
	for range n {
		c := exec.Command("timeout", strconv.Itoa(int(limit.Seconds())), "sh", "-c", "while :; do :; done")
		// A group of its own, killed whole: killing timeout alone
		// leaves its sh spinning.
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := c.Start(); err != nil {
			t.Fatalf("busy process: %v", err)
		}
		procs = append(procs, c)
	}
	return func() {
		for _, c := range procs {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			_ = c.Wait()
		}
	}
}

// notes summarises a gokeepalived run from its logs: the reasons the
// backup gave for becoming MASTER in the window (most frequent first), and
// the receive-queue overruns either node logged.
func notes(window, all string) string {
	count := map[string]int{}
	var reasons []string
	for _, line := range strings.Split(window, "\n") {
		if !strings.Contains(line, `msg="state change"`) || !strings.Contains(line, "to=MASTER") {
			continue
		}
		_, r, _ := strings.Cut(line, "reason=")
		r = strings.Trim(r, `"`)
		if count[r] == 0 {
			reasons = append(reasons, r)
		}
		count[r]++
	}
	slices.SortStableFunc(reasons, func(a, b string) int { return count[b] - count[a] })
	var parts []string
	for _, r := range reasons[:min(len(reasons), 2)] {
		parts = append(parts, fmt.Sprintf("%d× %s", count[r], r))
	}
	if n := strings.Count(all, "receive queue overran"); n > 0 {
		parts = append(parts, fmt.Sprintf("%d overrun warnings", n))
	}
	return strings.Join(parts, "; ")
}

func runIP(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	return string(out), err
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}

func report(rs []result, started time.Time) string {
	var b strings.Builder
	b.WriteString(sectionHeading + "\n\n")
	b.WriteString("Generated by `bench/scale/run.sh` (issue 17); do not edit by hand. The profiles, the before/after steps and the caveats are in the next section.\n\n")
	fmt.Fprintf(&b, "One VRRPv3 pair in network namespaces joined by %d veth links; N instances spread over them (N/%d VRIDs per link, one /32 VIP each, "+
		"`advert_int %g`); master priority 150 `state MASTER`, backup priority 100 `state BACKUP`, both started together, a fresh topology per run. "+
		"CPU is utime+stime of the VRRP process over the window (%% of one core), after convergence (every VIP on the master, none on the backup, for 2 s) "+
		"or after the settle time ran out. \"Backup → MASTER\" is the backup's own count of entries to MASTER in the window, \"backup VIP adds\" the "+
		"VIPs the kernel added on the backup in it (netlink address events); \"VIPs on both\" is counted at its end. \"Start → all VIPs\" is the time from "+
		"starting the daemons to the master's kernel holding every VIP (its netlink address events; the issue's bound is its Master_Down_Interval "+
		"%s + 100 ms). After the window the master is killed (SIGKILL) and \"master loss → all VIPs\" is the time until the backup's kernel holds "+
		"every VIP (its netlink address events; bound: the backup's Master_Down_Interval %s + 100 ms; the master's last advert left up to one interval "+
		"before the kill, so it may be below the interval).\n\n",
		links, links, flagAdvert.Seconds(), masterDown(150).Round(time.Millisecond), masterDown(100).Round(time.Millisecond))
	fmt.Fprintf(&b, "- Date: %s, run took %s; kernel %s; %s, %d logical CPUs; load average at the end %s\n",
		started.UTC().Format("2006-01-02 15:04 MST"), time.Since(started).Round(time.Second), benchdoc.CmdOut("uname", "-sr"),
		benchdoc.CPUModel(), runtime.NumCPU(), benchdoc.LoadAvg())
	if *flagRev != "" {
		fmt.Fprintf(&b, "- gokeepalived: %s\n", *flagRev)
	}
	if *flagBusy > 0 {
		fmt.Fprintf(&b, "- %d busy-looping processes ran through every run (CPU contention)\n", *flagBusy)
	}
	b.WriteString("- The machine is shared with other builds and tests (the load average above), so CPU figures vary run to run by tens of per cent, and the times to all VIPs include waiting for a CPU.\n\n")
	b.WriteString("| N | daemon | window | converged after | start → all VIPs | CPU master / backup (% of a core) | RSS master / backup | backup → MASTER in the window | backup VIP adds in the window | VIPs master / backup / on both | master loss → all VIPs | notes (gokeepalived's logs) |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rs {
		if r.err != "" {
			fmt.Fprintf(&b, "| %d | %s | %s | failed: %s | | | | | | | | |\n", r.n, r.daemon, r.window, strings.ReplaceAll(r.err, "|", "/"))
			continue
		}
		conv := "not within " + flagSettle.String()
		if r.converged > 0 {
			conv = r.converged.Round(100 * time.Millisecond).String()
		}
		take := "not within " + takeoverLimit.String()
		if r.converged == 0 {
			take = "not measured (no convergence)"
		} else if r.takeover > 0 {
			take = fmtMs(r.takeover)
		}
		startAll := "-"
		if r.startAll > 0 {
			startAll = fmtMs(r.startAll)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %.1f / %.1f | %d / %d MB | %d | %d | %d / %d / %d | %s | %s |\n",
			r.n, r.daemon, r.window, conv, startAll, r.cpuM, r.cpuB, r.rssM/1024, r.rssB/1024, r.entries, r.backupAdds, r.vipsM, r.vipsB, r.vipsBoth, take, strings.ReplaceAll(r.notes, "|", "/"))
	}
	if *flagPlot != "" {
		fmt.Fprintf(&b, "\n![CPU against N](%s) ![backup entries to MASTER against N](%s)\n",
			filepath.Join(plotRef, cpuPlot), filepath.Join(plotRef, flapPlot))
	}
	return b.String()
}

// fmtMs shows a duration in milliseconds (one decimal).
func fmtMs(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
