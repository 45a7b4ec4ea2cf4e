package chaos

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// op is one kind of step. Faults come with the step that repairs them
// (linkdown/linkup, ...); vipdel, reload, vips and track are faults on their
// own; check is a checkpoint (every fault repaired before it).
type op string

const (
	opLinkDown op = "linkdown"
	opLinkUp   op = "linkup"
	opIfDel    op = "ifdel"
	opIfAdd    op = "ifadd"
	opAddrDel  op = "addrdel"
	opAddrAdd  op = "addradd"
	opKill     op = "kill"
	opRestart  op = "restart"
	opStop     op = "stop"
	opCont     op = "cont"
	opFilter   op = "filter"   // drop every incoming VRRP packet
	opUnfilter op = "unfilter" // remove it
	opLoss     op = "loss"     // drop Arg percent of incoming VRRP packets
	opNoLoss   op = "noloss"
	opVIPDel   op = "vipdel" // delete the VIPs (and a gokeepalived's virtual rule) by hand on every node holding them
	opReload   op = "reload" // SIGHUP with priority variant Arg (0 base, 1 lowered)
	opVIPs     op = "vips"   // SIGHUP on every node with VIP list variant Arg (0: one VIP, 1: two)
	opTrack    op = "track"  // write the track_file: Arg 1 lowers the priority, 0 restores it
	opCheck    op = "check"  // checkpoint: wait for convergence and check every invariant
)

// repairOf maps each fault that needs a repair to its repair.
var repairOf = map[op]op{
	opLinkDown: opLinkUp, opIfDel: opIfAdd, opAddrDel: opAddrAdd, opKill: opRestart,
	opStop: opCont, opFilter: opUnfilter, opLoss: opNoLoss,
}

// step is one schedule entry: after Delay, do Op on node Node (-1: no node
// or every node) with argument Arg.
type step struct {
	Delay time.Duration
	Node  int
	Op    op
	Arg   int
}

func (s step) String() string {
	node := "-"
	if s.Node >= 0 {
		node = fmt.Sprintf("n%d", s.Node+1)
	}
	str := fmt.Sprintf("+%dms %s %s", s.Delay.Milliseconds(), node, s.Op)
	if s.Op == opLoss || s.Op == opReload || s.Op == opVIPs || s.Op == opTrack {
		str += ":" + strconv.Itoa(s.Arg)
	}
	return str
}

// isFault reports whether s injects a fault (a repair or a checkpoint does not).
func (s step) isFault() bool {
	switch s.Op {
	case opLinkUp, opIfAdd, opAddrAdd, opRestart, opCont, opUnfilter, opNoLoss, opCheck:
		return false
	}
	return true
}

// formatSchedule prints steps so parseSchedule reads them back.
func formatSchedule(steps []step) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = s.String()
	}
	return strings.Join(parts, "; ")
}

// parseSchedule reads formatSchedule's output (CHAOS_SCHEDULE).
func parseSchedule(text string, nodes int) ([]step, error) {
	var steps []step
	for i, part := range strings.Split(text, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 || !strings.HasPrefix(f[0], "+") || !strings.HasSuffix(f[0], "ms") {
			return nil, fmt.Errorf("step %d %q: want \"+<ms>ms <node|-> <op>[:arg]\"", i+1, strings.TrimSpace(part))
		}
		ms, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(f[0], "+"), "ms"))
		if err != nil || ms < 0 {
			return nil, fmt.Errorf("step %d %q: bad delay %q", i+1, strings.TrimSpace(part), f[0])
		}
		s := step{Delay: time.Duration(ms) * time.Millisecond, Node: -1}
		if f[1] != "-" {
			n, err := strconv.Atoi(strings.TrimPrefix(f[1], "n"))
			if err != nil || !strings.HasPrefix(f[1], "n") || n < 1 || n > nodes {
				return nil, fmt.Errorf("step %d %q: bad node %q (n1..n%d or -)", i+1, strings.TrimSpace(part), f[1], nodes)
			}
			s.Node = n - 1
		}
		name, arg, hasArg := strings.Cut(f[2], ":")
		s.Op = op(name)
		if !knownOp(s.Op) {
			return nil, fmt.Errorf("step %d %q: unknown op %q", i+1, strings.TrimSpace(part), name)
		}
		if hasArg {
			if s.Arg, err = strconv.Atoi(arg); err != nil {
				return nil, fmt.Errorf("step %d %q: bad argument %q", i+1, strings.TrimSpace(part), arg)
			}
		}
		if (s.Node < 0) != (s.Op == opVIPDel || s.Op == opVIPs || s.Op == opCheck) {
			return nil, fmt.Errorf("step %d %q: %s takes %s", i+1, strings.TrimSpace(part), s.Op,
				map[bool]string{true: "no node (-)", false: "a node"}[s.Op == opVIPDel || s.Op == opVIPs || s.Op == opCheck])
		}
		steps = append(steps, s)
	}
	return steps, nil
}

func knownOp(o op) bool {
	switch o {
	case opLinkDown, opLinkUp, opIfDel, opIfAdd, opAddrDel, opAddrAdd, opKill, opRestart, opStop, opCont,
		opFilter, opUnfilter, opLoss, opNoLoss, opVIPDel, opReload, opVIPs, opTrack, opCheck:
		return true
	}
	return false
}

// genOptions shapes a generated schedule.
type genOptions struct {
	Nodes      int
	Faults     int          // faults to inject (repairs and checkpoints come on top)
	CheckEvery int          // a checkpoint after about this many faults
	NoFault    map[int][]op // faults a node must not get (keepalived peers)
}

// generate draws a schedule from seed. It depends on seed and opts only,
// never on what happens while it runs, so a seed replays exactly. At most
// Nodes-1 nodes carry a fault at once, each node at most one; every fault
// is repaired before the next checkpoint, and the schedule ends with one.
func generate(seed uint64, o genOptions) []step {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	active := make([]op, o.Nodes) // the fault each node carries, "" for none
	track := make([]int, o.Nodes)
	reload := make([]int, o.Nodes)
	vips := 0
	delay := func() time.Duration { return time.Duration(30+rng.IntN(270)) * time.Millisecond }
	forbidden := func(n int, f op) bool {
		for _, x := range o.NoFault[n] {
			if x == f {
				return true
			}
		}
		return false
	}
	var steps []step
	repairAll := func() {
		for n, f := range active {
			if f != "" {
				steps = append(steps, step{Delay: delay(), Node: n, Op: repairOf[f]})
				active[n] = ""
			}
		}
	}
	nodeFaults := []op{opLinkDown, opIfDel, opAddrDel, opKill, opStop, opFilter, opLoss}
	sinceCheck := 0
	for faults, draws := 0, 0; faults < o.Faults && draws < 100*o.Faults+1000; draws++ {
		if sinceCheck >= o.CheckEvery {
			repairAll()
			steps = append(steps, step{Delay: delay(), Node: -1, Op: opCheck})
			sinceCheck = 0
		}
		faulty := 0
		for _, f := range active {
			if f != "" {
				faulty++
			}
		}
		n := rng.IntN(o.Nodes)
		switch r := rng.IntN(100); {
		case r < 55 && active[n] != "": // repair
			steps = append(steps, step{Delay: delay(), Node: n, Op: repairOf[active[n]]})
			active[n] = ""
			continue
		case r < 40 || r >= 90: // a node fault
			f := nodeFaults[rng.IntN(len(nodeFaults))]
			if active[n] != "" || faulty >= o.Nodes-1 || forbidden(n, f) {
				continue
			}
			s := step{Delay: delay(), Node: n, Op: f}
			if f == opLoss {
				s.Arg = 20 + 10*rng.IntN(6)
			}
			steps = append(steps, s)
			active[n] = f
		case r < 65:
			steps = append(steps, step{Delay: delay(), Node: -1, Op: opVIPDel})
		case r < 75:
			// Not while the interface is deleted: gokeepalived refuses a
			// configuration naming a missing interface and keeps the old one.
			if active[n] == opKill || active[n] == opStop || active[n] == opIfDel {
				continue
			}
			reload[n] = 1 - reload[n]
			steps = append(steps, step{Delay: delay(), Node: n, Op: opReload, Arg: reload[n]})
		case r < 80:
			if faulty != 0 {
				continue
			}
			vips = 1 - vips
			steps = append(steps, step{Delay: delay(), Node: -1, Op: opVIPs, Arg: vips})
		default:
			track[n] = 1 - track[n]
			steps = append(steps, step{Delay: delay(), Node: n, Op: opTrack, Arg: track[n]})
		}
		faults++
		sinceCheck++
	}
	repairAll()
	return append(steps, step{Delay: delay(), Node: -1, Op: opCheck})
}

func countFaults(steps []step) (faults, repairs, checks int) {
	for _, s := range steps {
		switch {
		case s.Op == opCheck:
			checks++
		case s.isFault():
			faults++
		default:
			repairs++
		}
	}
	return
}

// TestScheduleReplays: a seed gives the same schedule every time, a printed
// schedule parses back to itself, and every fault is repaired before the
// following checkpoint (runs without root).
func TestScheduleReplays(t *testing.T) {
	o := genOptions{Nodes: 3, Faults: 500, CheckEvery: 12, NoFault: map[int][]op{2: {opIfDel}}}
	a, b := generate(42, o), generate(42, o)
	if formatSchedule(a) != formatSchedule(b) {
		t.Fatal("seed 42 gave two different schedules")
	}
	if formatSchedule(generate(43, o)) == formatSchedule(a) {
		t.Fatal("seeds 42 and 43 gave the same schedule")
	}
	back, err := parseSchedule(formatSchedule(a), 3)
	if err != nil {
		t.Fatal(err)
	}
	if formatSchedule(back) != formatSchedule(a) {
		t.Fatalf("the printed schedule does not parse back to itself:\n%s\n%s", formatSchedule(back), formatSchedule(a))
	}
	if f, _, _ := countFaults(a); f != 500 {
		t.Errorf("%d faults, want 500", f)
	}
	active := map[int]op{}
	for i, s := range a {
		switch {
		case s.Op == opCheck:
			if len(active) != 0 {
				t.Fatalf("step %d: checkpoint with faults unrepaired: %v", i, active)
			}
		case repairOf[s.Op] != "":
			if active[s.Node] != "" {
				t.Fatalf("step %d (%s): node already carries %s", i, s, active[s.Node])
			}
			if s.Node == 2 && s.Op == opIfDel {
				t.Fatalf("step %d (%s): a forbidden fault", i, s)
			}
			active[s.Node] = s.Op
			if len(active) > 2 {
				t.Fatalf("step %d: every node carries a fault: %v", i, active)
			}
		case !s.isFault():
			if repairOf[active[s.Node]] != s.Op {
				t.Fatalf("step %d (%s) repairs %q", i, s, active[s.Node])
			}
			delete(active, s.Node)
		}
	}
	if a[len(a)-1].Op != opCheck {
		t.Error("the schedule does not end with a checkpoint")
	}
	for _, bad := range []string{"+10ms n4 kill", "+10ms n1 explode", "10ms n1 kill", "+10ms - kill", "+10ms n1 check"} {
		if _, err := parseSchedule(bad, 3); err == nil {
			t.Errorf("parseSchedule(%q) accepted", bad)
		}
	}
}
