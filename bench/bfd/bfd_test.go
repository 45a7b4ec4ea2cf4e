//go:build bfdbench

package bfd

import (
	"bufio"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"net/netip"
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
	"gokeepalived/internal/bfd"
	"gokeepalived/test/e2e/netns"
)

var (
	flagTrials  = flag.Int("trials", 10, "detection trials per daemon and interval")
	flagLoad    = flag.Int("load-seconds", 60, "seconds of the false-Down run under load")
	flagDaemons = flag.String("daemons", "gokeepalived,keepalived", "daemons to compare")
	flagOut     = flag.String("out", "", "write the results as markdown to this file")
	flagCommand = flag.String("command", "bench/bfd/run.sh", "command that reproduces the run (written to -out)")
)

func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

const (
	frrBfdd  = "/usr/lib/frr/bfdd"
	selfAddr = "192.0.2.1"
	peerAddr = "192.0.2.2"
	mult     = 3
	busy     = 16
)

// pkt is one BFD control packet in the capture.
type pkt struct {
	at    time.Time
	src   string
	state string
	diag  bfd.Diag
}

// capture is tcpdump in the daemon's node; packets parses its log.
type capture struct{ p *netns.Proc }

func (c capture) packets() []pkt {
	f, err := os.Open(c.p.LogPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []pkt
	var at time.Time
	var raw []byte
	flush := func() {
		// IPv4 header (IHL), UDP header, then the BFD control packet.
		if at.IsZero() || len(raw) < 20 {
			return
		}
		ihl := int(raw[0]&0x0f) * 4
		if len(raw) < ihl+8+bfd.HeaderLen {
			return
		}
		cp, err := bfd.ParseControl(raw[ihl+8:])
		if err != nil {
			return
		}
		src := netip.AddrFrom4([4]byte(raw[12:16]))
		out = append(out, pkt{at: at, src: src.String(), state: cp.State.String(), diag: cp.Diag})
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if ts, _, ok := strings.Cut(line, " IP "); ok && !strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, " ") {
			flush()
			at, raw = time.Time{}, raw[:0]
			if sec, err := strconv.ParseFloat(ts, 64); err == nil {
				at = time.Unix(0, int64(sec*1e9))
			}
			continue
		}
		if _, hexs, ok := strings.Cut(strings.TrimSpace(line), ":  "); ok && strings.HasPrefix(strings.TrimSpace(line), "0x") {
			b, err := hex.DecodeString(strings.ReplaceAll(hexs, " ", ""))
			if err == nil {
				raw = append(raw, b...)
			}
		}
	}
	flush()
	return out
}

// fast reports whether the last n packets of src came at most 1.5 x iv
// apart and said Up (both sides left the 1 s pace).
func fast(ps []pkt, src string, iv time.Duration, n int) bool {
	var last []pkt
	for i := len(ps) - 1; i >= 0 && len(last) < n; i-- {
		if ps[i].src == src {
			last = append(last, ps[i])
		}
	}
	if len(last) < n {
		return false
	}
	for i := 0; i+1 < len(last); i++ {
		if last[i].state != "Up" || last[i].at.Sub(last[i+1].at) > iv*3/2 {
			return false
		}
	}
	return true
}

// wait polls cond every 20 ms until it holds (true) or limit passes.
func wait(t *testing.T, what string, limit time.Duration, cond func() bool) bool {
	t.Helper()
	end := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(end) {
			t.Logf("%s: not within %v", what, limit)
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

type result struct {
	daemon   string
	interval time.Duration
	detect   []time.Duration
	failed   int // trials without a Down, or without a recovery
	downs    int // Downs the daemon detected itself (diag 1)
	signaled int // Downs the peer signaled (the peer timed out)
	loadSecs int
	loadTx   int // the daemon's packets during the load run
}

func daemonConf(iv time.Duration) string {
	ms := iv.Milliseconds()
	return fmt.Sprintf("bfd_instance peer {\n    neighbor_ip %s\n    source_ip %s\n    min_rx %d\n    min_tx %d\n    multiplier %d\n}\n",
		peerAddr, selfAddr, ms, ms, mult)
}

func startFRR(t *testing.T, n *netns.Node, iv time.Duration) {
	dir, err := os.MkdirTemp("", "gkbfdb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	n.MustExec("chown", "frr:frr", dir)
	ms := iv.Milliseconds()
	conf := fmt.Sprintf("bfd\n peer %s local-address %s\n  receive-interval %d\n  transmit-interval %d\n  detect-multiplier %d\n !\n!\n",
		selfAddr, peerAddr, ms, ms, mult)
	if err := os.WriteFile(filepath.Join(dir, "bfdd.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// The peer runs SCHED_RR 20 (chrt), so that its own lateness under
	// load is not counted against the daemon under test.
	n.Start("chrt", "-r", "20", frrBfdd, "-f", filepath.Join(dir, "bfdd.conf"), "-i", filepath.Join(dir, "bfdd.pid"),
		"-z", filepath.Join(dir, "zserv.api"), "--vty_socket", dir, "--bfdctl", filepath.Join(dir, "bfdd.sock"),
		"-u", "frr", "-g", "frr", "-P", "0", "--log", "stdout")
}

const cut = "table inet gkbench_bfd {\n chain out {\n  type filter hook output priority 0;\n  udp dport 3784 drop\n }\n}\n"

func run(t *testing.T, daemon string, iv time.Duration, trials int, loadSecs int) result {
	topo := netns.New(t, "bfdb")
	lan := topo.Switch("lan")
	a, b := topo.Node("a"), topo.Node("b")
	topo.Link(a, lan, "eth0", selfAddr+"/24")
	topo.Link(b, lan, "eth0", peerAddr+"/24")
	capt := capture{a.Start("tcpdump", "-tt", "-n", "-l", "-x", "-i", "eth0", "udp", "port", "3784")}
	startFRR(t, b, iv)
	d := netns.Factories[daemon](a, daemonConf(iv))
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	res := result{daemon: daemon, interval: iv}
	up := func() bool { ps := capt.packets(); return fast(ps, selfAddr, iv, 20) && fast(ps, peerAddr, iv, 20) }
	if !wait(t, "session Up at full rate", 60*time.Second, up) {
		t.Fatal("the session never ran at full rate")
	}
	cutFile := filepath.Join(t.TempDir(), "cut.nft")
	if err := os.WriteFile(cutFile, []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range trials {
		mark := len(capt.packets())
		b.MustExec("nft", "-f", cutFile)
		var down, last pkt
		got := wait(t, fmt.Sprintf("trial %d: Down", i), 10*time.Second, func() bool {
			ps := capt.packets()
			// The peer's last packet may be one captured before the mark
			// (at 50 ms it often is: the cut takes effect a few ms after
			// nft starts), so the scan starts a little earlier; Downs are
			// looked for only after the mark.
			last = pkt{}
			for j := max(0, mark-1000); j < len(ps); j++ {
				if ps[j].src == peerAddr {
					last = ps[j]
				}
				if j >= mark && ps[j].src == selfAddr && ps[j].state == "Down" {
					down = ps[j]
					return true
				}
			}
			return false
		})
		if got && !last.at.IsZero() {
			res.detect = append(res.detect, down.at.Sub(last.at))
		} else {
			res.failed++
		}
		b.MustExec("nft", "delete", "table", "inet", "gkbench_bfd")
		if !wait(t, fmt.Sprintf("trial %d: Up again", i), 60*time.Second, up) {
			res.failed++
			break
		}
	}
	if loadSecs > 0 {
		mark := len(capt.packets())
		var procs []*exec.Cmd
		for range busy {
			c := exec.Command("timeout", strconv.Itoa(loadSecs+10), "sh", "-c", "while :; do :; done")
			// A group of its own: killing timeout alone left its sh
			// spinning (orphaned busy loops for hours).
			c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			procs = append(procs, c)
		}
		time.Sleep(time.Duration(loadSecs) * time.Second)
		for _, c := range procs {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL) // the group: timeout and its sh
			_ = c.Wait()
		}
		ps := capt.packets()[mark:]
		prev := "Up"
		for _, p := range ps {
			if p.src != selfAddr {
				continue
			}
			res.loadTx++
			if p.state != "Up" && prev == "Up" {
				if p.diag == bfd.DiagNeighborSignaledDown {
					res.signaled++
				} else {
					res.downs++
				}
			}
			prev = p.state
		}
		res.loadSecs = loadSecs
	}
	_ = d.Stop()
	return res
}

func TestBFDBench(t *testing.T) {
	netns.RequireRoot(t)
	for _, bin := range []string{frrBfdd, "/usr/sbin/keepalived"} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("%s: %v", bin, err)
		}
	}
	loadBefore := benchdoc.LoadAvg()
	var results []result
	for _, daemon := range strings.Split(*flagDaemons, ",") {
		for _, iv := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond} {
			load := 0
			if iv == 10*time.Millisecond {
				load = *flagLoad
			}
			t.Run(fmt.Sprintf("%s/%v", daemon, iv), func(t *testing.T) {
				results = append(results, run(t, daemon, iv, *flagTrials, load))
			})
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "## BFD: detection and false Downs, gokeepalived vs keepalived (`bench/bfd`)\n\n")
	fmt.Fprintf(&sb, "Generated by `%s` (issue 14). Do not edit this section by hand; run it again (it replaces only this section).\n\n", *flagCommand)
	fmt.Fprintf(&sb, "Revision %s; %d CPUs (%s); load average before the run %s, after %s. The daemon under test holds one\n",
		os.Getenv("GOKEEPALIVED_BENCH_REV"), runtime.NumCPU(), benchdoc.CPUModel(), loadBefore, benchdoc.LoadAvg())
	fmt.Fprintf(&sb, "session (multiplier %d) with FRR's bfdd (%s) in another namespace. **Detection**: the peer's BFD packets are\n", mult,
		benchdoc.FirstLine(benchdoc.CmdOut(frrBfdd, "--version")))
	sb.WriteString("dropped at its own output (nftables); the time is from the peer's last packet on the wire to the daemon's first\n" +
		"packet saying Down, both from one capture (tcpdump in the daemon's node). The bound is multiplier x interval + 10 ms.\n" +
		fmt.Sprintf("**False Downs**: at 3 x 10 ms, %d busy processes (`timeout N sh -c 'while :; do :; done'`) spin on the CPUs for the\n", busy) +
		"whole run; every Down the daemon sends is counted (there is no fault, so each is false): those it detected itself\n" +
		"(diagnostic 1: the peer's packets came late) apart from those the peer signaled (the peer found ours late).\n" +
		"The peer runs SCHED_RR 20 (`chrt`), so that its own lateness is not counted against the daemon.\n\n")
	sb.WriteString("| daemon | interval | trials | detection min | median | max | bound | within bound | failed trials |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		d := slices.Clone(r.detect)
		slices.Sort(d)
		if len(d) == 0 {
			continue
		}
		bound := time.Duration(mult)*r.interval + 10*time.Millisecond
		within := 0
		for _, x := range d {
			if x <= bound {
				within++
			}
		}
		ms := func(x time.Duration) string { return fmt.Sprintf("%.1f ms", float64(x)/1e6) }
		fmt.Fprintf(&sb, "| %s | %d x %v | %d | %s | %s | %s | %s | %d/%d | %d |\n", r.daemon, mult, r.interval, len(d),
			ms(d[0]), ms(d[len(d)/2]), ms(d[len(d)-1]), ms(bound), within, len(d), r.failed)
	}
	sb.WriteString("\n| daemon | interval | busy processes | seconds | packets sent | false Downs detected by the daemon | Downs the peer signaled |\n|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		if r.loadSecs > 0 {
			fmt.Fprintf(&sb, "| %s | %d x %v | %d | %d | %d | %d | %d |\n", r.daemon, mult, r.interval, busy, r.loadSecs, r.loadTx, r.downs, r.signaled)
		}
	}
	fmt.Print("\n" + sb.String())
	if *flagOut != "" {
		if err := benchdoc.WriteSection(*flagOut, "## BFD: detection and false Downs, gokeepalived vs keepalived (`bench/bfd`)", sb.String()); err != nil {
			t.Fatal(err)
		}
	}
	_ = context.Background
}
