//go:build failoverbench

package failover

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"gokeepalived/bench/internal/benchdoc"
)

type key struct{ caseID, daemon string }

// benchRun collects the trials of one run.
type benchRun struct {
	cases    []benchCase
	daemons  []string
	trials   map[key][]trial
	failures map[key][]string

	started, finished time.Time
	loadBefore        string
	loadAfter         string
}

func newRun(cases []benchCase, daemons []string) *benchRun {
	return &benchRun{
		cases: cases, daemons: daemons,
		trials: map[key][]trial{}, failures: map[key][]string{},
		started: time.Now(), loadBefore: benchdoc.LoadAvg(),
	}
}

func (r *benchRun) add(c benchCase, daemon string, tr trial) {
	k := key{c.ID, daemon}
	r.trials[k] = append(r.trials[k], tr)
}

func (r *benchRun) fail(c benchCase, daemon string, err error) {
	k := key{c.ID, daemon}
	first, _, _ := strings.Cut(err.Error(), "\n")
	r.failures[k] = append(r.failures[k], first)
}

func (r *benchRun) finish() {
	r.finished = time.Now()
	r.loadAfter = benchdoc.LoadAvg()
}

type stats struct {
	n                int
	med, lo, hi, avg time.Duration
}

func summarize(ds []time.Duration) stats {
	if len(ds) == 0 {
		return stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stats{n: len(s), med: med, lo: s[0], hi: s[len(s)-1], avg: sum / time.Duration(len(s))}
}

func (r *benchRun) failover(c benchCase, daemon string) stats {
	return r.stat(c, daemon, func(tr trial) time.Duration { return tr.Failover })
}

func (r *benchRun) stat(c benchCase, daemon string, f func(trial) time.Duration) stats {
	var ds []time.Duration
	for _, tr := range r.trials[key{c.ID, daemon}] {
		ds = append(ds, f(tr))
	}
	return summarize(ds)
}

func fmtMS(d time.Duration) string { return fmt.Sprintf("%.1f ms", ms(d)) }

func (c benchCase) theory() string {
	if c.Fault == faultTerm {
		return fmt.Sprintf("Skew_Time %s", fmtMS(c.skew()))
	}
	lo, hi := c.expected()
	return fmt.Sprintf("MDI %s (range %s – %s)", fmtMS(c.mdi()), fmtMS(lo), fmtMS(hi))
}

func (c benchCase) recoveryTitle() string {
	if c.Fault == faultTerm {
		return fmt.Sprintf("(d/%s) master daemon restarted, v%d advert_int %s", c.ID, c.Version, secs(c.Interval))
	}
	return fmt.Sprintf("(d/%s) master link up again, v%d advert_int %s", c.ID, c.Version, secs(c.Interval))
}

func secs(d time.Duration) string { return strings.TrimSuffix(fmt.Sprintf("%g", d.Seconds()), "s") }

// markdown renders both tables.
func (r *benchRun) markdown() string {
	var b strings.Builder
	b.WriteString("Failover: time from the fault to the first HTTP answer through the VIP from the new master.\n\n")
	b.WriteString("| case | theory (RFC) | daemon | trials | median | min | max | backup's first advert: median / max | beyond the RFC timer: median / max | priority-0 advert after SIGTERM: median / max | failed trials |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range r.cases {
		for _, d := range r.daemons {
			s := r.failover(c, d)
			fails := len(r.failures[key{c.ID, d}])
			if s.n == 0 {
				fmt.Fprintf(&b, "| (%s) %s | %s | %s | 0 | – | – | – | – | – | – | %d |\n", c.ID, c.Title, c.theory(), d, fails)
				continue
			}
			bey := r.stat(c, d, func(tr trial) time.Duration { return tr.Beyond })
			wire := r.stat(c, d, func(tr trial) time.Duration { return tr.Wire })
			p0 := "–"
			if c.Fault == faultTerm {
				st := r.stat(c, d, func(tr trial) time.Duration { return tr.Prio0 })
				p0 = fmtMS(st.med) + " / " + fmtMS(st.hi)
			}
			fmt.Fprintf(&b, "| (%s) %s | %s | %s | %d | %s | %s | %s | %s / %s | %s / %s | %s | %d |\n",
				c.ID, c.Title, c.theory(), d, s.n, fmtMS(s.med), fmtMS(s.lo), fmtMS(s.hi), fmtMS(wire.med), fmtMS(wire.hi), fmtMS(bey.med), fmtMS(bey.hi), p0, fails)
		}
	}
	b.WriteString("\nPreemption (d): the master returns while the backup serves; requests started from the moment it returns until ")
	b.WriteString("3 advert intervals (at least 500 ms) after its first answer.\n\n")
	b.WriteString("| master returns | daemon | trials | requests not answered (total) | trials with one | connections reset (total) | longest gap between answers: median / max | master answers after: median / max |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range r.cases {
		for _, d := range r.daemons {
			trs := r.trials[key{c.ID, d}]
			var gaps, back []time.Duration
			lost, withLoss, reset := 0, 0, 0
			for _, tr := range trs {
				gaps = append(gaps, tr.Rec.LongestGap)
				back = append(back, tr.Rec.ToMaster)
				lost += tr.Rec.Lost
				reset += tr.Rec.Reset
				if tr.Rec.Lost > 0 {
					withLoss++
				}
			}
			g, bk := summarize(gaps), summarize(back)
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %s / %s | %s / %s |\n",
				c.recoveryTitle(), d, len(trs), lost, withLoss, reset, fmtMS(g.med), fmtMS(g.hi), fmtMS(bk.med), fmtMS(bk.hi))
		}
	}
	return b.String()
}

// targets checks issue 4's targets for gokeepalived and returns one line per target.
func (r *benchRun) targets() []string {
	var out []string
	check := func(ok bool, format string, args ...any) {
		mark := "MET"
		if !ok {
			mark = "MISSED"
		}
		out = append(out, fmt.Sprintf("- **%s**: %s", mark, fmt.Sprintf(format, args...)))
	}
	const gk, ka = "gokeepalived", "keepalived"
	if !slices.Contains(r.daemons, gk) {
		return nil
	}
	for _, c := range r.cases {
		s := r.failover(c, gk)
		fails := len(r.failures[key{c.ID, gk}])
		if s.n == 0 {
			check(false, "(%s) no successful gokeepalived trial", c.ID)
			continue
		}
		switch c.Fault {
		case faultLink:
			check(s.hi <= c.mdi()+20*time.Millisecond && fails == 0,
				"(%s) worst failover %s ≤ MDI + 20 ms = %s (failed trials: %d)", c.ID, fmtMS(s.hi), fmtMS(c.mdi()+20*time.Millisecond), fails)
			if slices.Contains(r.daemons, ka) {
				k := r.failover(c, ka)
				check(k.n > 0 && s.med <= k.med, "(%s) median %s not slower than keepalived's %s", c.ID, fmtMS(s.med), fmtMS(k.med))
			}
		case faultTerm:
			check(s.hi <= c.skew()+20*time.Millisecond && fails == 0,
				"(%s) worst graceful handover %s ≤ Skew_Time + 20 ms = %s (failed trials: %d)", c.ID, fmtMS(s.hi), fmtMS(c.skew()+20*time.Millisecond), fails)
		}
		lost, reset := 0, 0
		for _, tr := range r.trials[key{c.ID, gk}] {
			lost += tr.Rec.Lost
			reset += tr.Rec.Reset
		}
		check(lost == 0, "(d/%s) preemption leaves no request unanswered: %d unanswered in %d trials (plus %d connections reset because they were open across the switch)",
			c.ID, lost, len(r.trials[key{c.ID, gk}]), reset)
	}
	return out
}

func (r *benchRun) document(table, command string) string {
	var b strings.Builder
	b.WriteString(sectionHeading + "\n\n")
	b.WriteString("Generated by `bench/failover/run.sh` (issue 4, item 7). Do not edit this section by hand; run it again ")
	b.WriteString("(it replaces only this section of the file).\n\n")
	fmt.Fprintf(&b, "Reproduce (as root, from the repository root):\n\n```sh\n%s\n```\n\n", command)
	b.WriteString("### Setup\n\n")
	b.WriteString("The seed's nginx pair in network namespaces: a bridge, `master` (192.0.2.1, priority 100, `state MASTER`), ")
	b.WriteString("`backup` (192.0.2.2, priority 90, `state BACKUP`), both running nginx that answers with the node's name, ")
	b.WriteString("and `client` (192.0.2.10). VIP 192.0.2.100, VRID 51, multicast 224.0.0.18, default GARP settings. ")
	b.WriteString("Both daemons run with the same flags (`-P -n -l -D -f … -p … -r …`) in two identical topologies side by side; ")
	b.WriteString("trials alternate between them (gokeepalived first on odd trials, keepalived first on even ones), ")
	b.WriteString("so background load hits both alike. Both run with their defaults: gokeepalived puts its VRRP loop on a SCHED_RR thread ")
	b.WriteString("where allowed (it is, as root); keepalived does so only with `vrrp_rt_priority`, which these configs do not set.\n\n")
	fmt.Fprintf(&b, "- **Client probe**: a new TCP connection and `GET /` every %s from the client namespace, up to %d in flight, ", probeInterval, probeWorkers)
	fmt.Fprintf(&b, "each with a %s timeout; a request stuck on a lost SYN does not delay the next, so the resolution is about 10 ms.\n", probeTimeout)
	b.WriteString("- **Fault**: a random delay, uniform in [0, advert_int) and the same for both daemons in a trial, after one of the master's adverts ")
	b.WriteString("as the client sees it (raw socket on the client, kernel receive timestamps), so the fault falls at a random but known phase of the master's advert timer. ")
	b.WriteString("Link loss is `ip link set ens33 down` on the master, done over a netlink socket opened beforehand; the fault time is taken right before that call. ")
	b.WriteString("Graceful stop is SIGTERM to the master daemon's process group (time taken right before kill(2)).\n")
	b.WriteString("- **Failover time**: from the fault to the completion of the first request that started after the fault and was answered by the backup's nginx.\n")
	b.WriteString("- **Theory**: Master_Down_Interval = 3 × advert_int + Skew_Time, Skew_Time = (256 − 90) / 256 × advert_int (RFC 3768 / RFC 5798, computed in µs as keepalived does). ")
	b.WriteString("With the fault at a random phase, a link-loss takeover lands in [MDI − advert_int, MDI] plus the GARP, ARP update and one probe interval. ")
	b.WriteString("On a priority-0 advert the backup takes over after Skew_Time.\n")
	b.WriteString("- **Backup's first advert**: from the fault to the first advert of the backup (now master) as the client sees it: ")
	b.WriteString("the daemon's takeover on the wire, without nginx, ARP and the probe.\n")
	b.WriteString("- **Beyond the RFC timer**: the failover minus what the timers make unavoidable: for a link loss MDI − phase ")
	b.WriteString("(phase = fault − the master's last advert before it), for a graceful stop the time to the priority-0 advert + Skew_Time. ")
	b.WriteString("It is the new master's own work (VIP, GARP), the client's ARP update, scheduling delays and the probe's resolution, ")
	b.WriteString("and compares the daemons independently of where the fault fell.\n")
	b.WriteString("- **(d)**: after each trial of (a), (b) and (c) the master returns (link up again, or the daemon started again) and preempts; ")
	b.WriteString("A request in that window that gets no answer (connect or read timeout, unreachable) counts as not answered; ")
	b.WriteString("a request reset by the peer was connected to one node while the VIP moved to the other (its SYN went to the old holder, ")
	b.WriteString("its GET to the new one): that is inherent to moving an IP address and is counted apart. ")
	b.WriteString("A returning master preempts only when its own Master_Down_Timer expires (RFC 3768 §6.4.2 / RFC 5798 §6.4.2: a Backup ")
	b.WriteString("that receives a lower-priority advert with preemption on discards it), so \"master answers after\" is about ")
	b.WriteString("3 × advert_int + Skew_Time(100) after the link is up or the daemon has started, by design, for both daemons.\n\n")

	b.WriteString("### Machine and run\n\n")
	for _, kv := range r.machine() {
		fmt.Fprintf(&b, "- %s\n", kv)
	}
	b.WriteString("\nThe machine has 2 cores shared with other engineers' builds and tests running at the same time, ")
	b.WriteString("so the numbers are noisy: a delayed probe, nginx or daemon thread shows up as tens of milliseconds. ")
	b.WriteString("Compare the two daemons within this run, not across runs.\n\n")
	b.WriteString("### Results\n\n")
	b.WriteString(table)
	b.WriteString("\n### Issue 4 targets (gokeepalived)\n\n")
	for _, t := range r.targets() {
		b.WriteString(t + "\n")
	}
	var fl []string
	for _, c := range r.cases {
		for _, d := range r.daemons {
			for _, f := range r.failures[key{c.ID, d}] {
				fl = append(fl, fmt.Sprintf("- (%s) %s: %s", c.ID, d, f))
			}
		}
	}
	if len(fl) > 0 {
		b.WriteString("\n### Failed trials\n\n" + strings.Join(fl, "\n") + "\n")
	}
	b.WriteString("\n### Per-trial data\n\n")
	b.WriteString("| case | daemon | phase (ms) | failover (ms) | backup's first advert (ms) | beyond RFC timer (ms) | master answers after (ms) | lost | longest gap (ms) |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.cases {
		for _, d := range r.daemons {
			var dl, fo, wi, be, bk, lo, gp []string
			for _, tr := range r.trials[key{c.ID, d}] {
				dl = append(dl, fmt.Sprint(tr.Phase.Milliseconds()))
				wi = append(wi, fmt.Sprintf("%.0f", ms(tr.Wire)))
				be = append(be, fmt.Sprintf("%.0f", ms(tr.Beyond)))
				fo = append(fo, fmt.Sprintf("%.0f", ms(tr.Failover)))
				bk = append(bk, fmt.Sprintf("%.0f", ms(tr.Rec.ToMaster)))
				lo = append(lo, fmt.Sprint(tr.Rec.Lost))
				gp = append(gp, fmt.Sprintf("%.0f", ms(tr.Rec.LongestGap)))
			}
			fmt.Fprintf(&b, "| (%s) | %s | %s | %s | %s | %s | %s | %s | %s |\n", c.ID, d,
				strings.Join(dl, " "), strings.Join(fo, " "), strings.Join(wi, " "), strings.Join(be, " "), strings.Join(bk, " "), strings.Join(lo, " "), strings.Join(gp, " "))
		}
	}
	return b.String()
}

// sectionHeading starts this benchmark's section of docs/benchmarks.md, which other
// benchmarks share; it ends at the next level-2 heading.
const sectionHeading = "## Failover: gokeepalived vs keepalived (`bench/failover`)"

func (r *benchRun) machine() []string {
	var out []string
	out = append(out, "Date: "+r.started.UTC().Format("2006-01-02 15:04 MST")+
		fmt.Sprintf(", run took %s", r.finished.Sub(r.started).Round(time.Second)))
	if s := benchdoc.CmdOut("uname", "-srm"); s != "" {
		out = append(out, "Kernel: "+s)
	}
	if cpu := benchdoc.CPUModel(); cpu != "" {
		out = append(out, fmt.Sprintf("CPU: %s, %d logical CPUs visible to Go", cpu, runtime.NumCPU()))
	}
	out = append(out, fmt.Sprintf("Load average before / after: %s / %s", r.loadBefore, r.loadAfter))
	out = append(out, "Go: "+runtime.Version())
	if s := benchdoc.FirstLine(benchdoc.CmdOut("/usr/sbin/keepalived", "--version")); s != "" {
		out = append(out, "keepalived: "+s+" (Debian package), run with `-P`")
	}
	if s := os.Getenv("GOKEEPALIVED_BENCH_REV"); s != "" {
		out = append(out, "gokeepalived: "+s)
	}
	out = append(out, fmt.Sprintf("Trials per case and daemon: %d", *flagTrials))
	return out
}
