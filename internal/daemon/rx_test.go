package daemon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/linux/vrrpconn"
	"gokeepalived/internal/testutil/race"
	"gokeepalived/internal/vrrp/packet"
)

// rxFixture is a started daemon with n instances on eth0 (manyInstances)
// and the adverts a
// peer (192.0.2.2, priority 200) sends for each.
type rxFixture struct {
	h    *harness
	n    *node
	sc   *sharedConn
	pkts [][]byte
	meta vrrpconn.Meta
}

func newRxFixture(t testing.TB, count int) *rxFixture {
	h := newHarness(t)
	h.quiet = true
	n := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, manyInstances(count))
	n.start()
	f := &rxFixture{h: h, n: n}
	for _, sc := range n.d.conns {
		f.sc = sc
	}
	peer, group := netip.MustParseAddr("192.0.2.2"), vrrpconn.DefaultGroup(vrrpconn.IPv4)
	f.meta = vrrpconn.Meta{Src: peer, Dst: group, TTL: 255}
	for i := 1; i <= count; i++ {
		a := packet.Advert{Version: 3, Type: packet.TypeAdvertisement, VRID: uint8(i), Priority: 200, AdverInt: 100,
			Addrs: []netip.Addr{netip.MustParseAddr(fmt.Sprintf("198.18.%d.%d", i/250, i%250+1))}}
		p, err := a.AppendBinary(nil, peer, group, packet.Options{})
		if err != nil {
			t.Fatal(err)
		}
		f.pkts = append(f.pkts, p)
	}
	return f
}

// Several packets accepted from one read reach the loop as one batch, in
// order, each advert with its own addresses; the loop handles them all.
func TestReceiveBatchOneWakeUp(t *testing.T) {
	f := newRxFixture(t, 3)
	var adv packet.Advert
	b := getBatch()
	for _, p := range f.pkts {
		f.n.d.accept(f.sc, b, p, f.meta, packet.IPv4, &adv)
	}
	// A malformed packet and one for an unknown VRID are counted, not queued.
	f.n.d.accept(f.sc, b, []byte{0x31}, f.meta, packet.IPv4, &adv)
	unknown := packet.Advert{Version: 3, Type: packet.TypeAdvertisement, VRID: 99, Priority: 200, AdverInt: 100}
	p, err := unknown.AppendBinary(nil, f.meta.Src, f.meta.Dst, packet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.n.d.accept(f.sc, b, p, f.meta, packet.IPv4, &adv)
	if len(b.evs) != 3 || f.sc.malformed.Load() != 1 || f.sc.unknownVRID.Load() != 1 {
		t.Fatalf("batch of %d adverts, malformed %d, unknown VRID %d; want 3, 1, 1", len(b.evs), f.sc.malformed.Load(), f.sc.unknownVRID.Load())
	}
	for i, ev := range b.evs {
		want := netip.MustParseAddr(fmt.Sprintf("198.18.0.%d", i+2))
		if ev.in.vrid != i+1 || len(ev.adv.Addrs) != 1 || ev.adv.Addrs[0] != want {
			t.Errorf("event %d: instance VRID %d, addresses %v; want VRID %d, [%v]", i, ev.in.vrid, ev.adv.Addrs, i+1, want)
		}
	}
	f.n.d.deliver(f.sc, b)
	if got := len(f.n.d.rx); got != 1 {
		t.Fatalf("%d items queued for the loop, want 1 batch", got)
	}
	f.n.d.step()
	for i := 1; i <= 3; i++ {
		// Priority 200 > 100: each instance heard a master and stays BACKUP.
		in := f.n.d.instances[i-1]
		if got := in.lastAdvertPrio; got != 200 || in.lastAdvertFrom != f.meta.Src {
			t.Errorf("VI_%d: last advert priority %d from %v, want 200 from %v", i, got, in.lastAdvertFrom, f.meta.Src)
		}
	}
}

// A batch the loop has no room for is counted as overflow, per advert.
func TestReceiveBatchOverflow(t *testing.T) {
	f := newRxFixture(t, 2)
	var adv packet.Advert
	for range cap(f.n.d.rx) {
		f.n.d.receive(f.sc, f.pkts[0], f.meta, packet.IPv4, &adv)
	}
	b := getBatch()
	for _, p := range f.pkts {
		f.n.d.accept(f.sc, b, p, f.meta, packet.IPv4, &adv)
	}
	f.n.d.deliver(f.sc, b)
	if got := f.sc.overflow.Load(); got != 2 {
		t.Errorf("overflow = %d, want 2", got)
	}
}

// Accepting an advert into a batch allocates nothing once the batch has
// grown (the reader's per-packet work: parse, validate, demultiplex).
func TestAcceptDoesNotAllocate(t *testing.T) {
	f := newRxFixture(t, 4)
	var adv packet.Advert
	adv.Addrs = make([]netip.Addr, 0, packet.MaxAddrs)
	b := getBatch()
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		if len(b.evs) == readBatch {
			b.evs, b.addrs = b.evs[:0], b.addrs[:0]
		}
		f.n.d.accept(f.sc, b, f.pkts[i%len(f.pkts)], f.meta, packet.IPv4, &adv)
		i++
	})
	if allocs != 0 {
		t.Errorf("accept allocates %v times per packet, want 0", allocs)
	}
	if len(b.evs) == 0 {
		t.Fatal("no advert accepted")
	}
}

// BenchmarkReceive is the receive path per packet on the reader: parse,
// validate, demultiplex by VRID and append to the batch for the loop
// (allocs/op must be 0). Run with:
// go test -run '^$' -bench Receive -benchmem ./internal/daemon/
func BenchmarkReceive(b *testing.B) {
	f := newRxFixture(b, 50)
	var adv packet.Advert
	adv.Addrs = make([]netip.Addr, 0, packet.MaxAddrs)
	batch := getBatch()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if len(batch.evs) == readBatch {
			batch.evs, batch.addrs = batch.evs[:0], batch.addrs[:0]
		}
		f.n.d.accept(f.sc, batch, f.pkts[i%len(f.pkts)], f.meta, packet.IPv4, &adv)
	}
}

// The timer heap always yields the earliest deadline, through pushes,
// moves, removals and a rebuild, checked against a scan of every unit.
func TestTimerHeap(t *testing.T) {
	d := &Daemon{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		d.units = append(d.units, &unit{name: fmt.Sprint(i)})
	}
	scan := func() time.Time {
		var next time.Time
		for _, u := range d.units {
			if !u.deadline.IsZero() && (next.IsZero() || u.deadline.Before(next)) {
				next = u.deadline
			}
		}
		return next
	}
	check := func(step int) {
		t.Helper()
		if got, want := d.nextDeadline(), scan(); !got.Equal(want) {
			t.Fatalf("step %d: nextDeadline %v, want %v", step, got, want)
		}
		for i, u := range d.timers {
			if u.heapIdx != i+1 || u.deadline.IsZero() {
				t.Fatalf("step %d: heap entry %d has index %d, deadline %v", step, i, u.heapIdx, u.deadline)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 2000 {
		u := d.units[rng.IntN(len(d.units))]
		switch rng.IntN(10) {
		case 0:
			d.setDeadline(u, time.Time{})
		case 1:
			d.resetTimers()
		default:
			d.setDeadline(u, t0.Add(time.Duration(rng.IntN(1000))*time.Millisecond))
		}
		check(step)
	}
}

// fireTimers fires the due units only and puts them back in the heap with
// the deadline their core returns; once every Master_Down_Interval has
// passed, every instance fires and becomes MASTER.
func TestFireTimersOnlyDue(t *testing.T) {
	f := newRxFixture(t, 5)
	d := f.n.d
	now := d.now()
	before := map[*unit]time.Time{}
	for _, u := range d.units {
		if u.deadline.IsZero() || !u.deadline.After(now) || u.heapIdx == 0 {
			t.Fatalf("unit %s: deadline %v (now %v), in heap %v", u.name, u.deadline, now, u.heapIdx > 0)
		}
		before[u] = u.deadline
	}
	first := d.units[2]
	d.setDeadline(first, now) // due now (early: the core's own timer is not)
	d.fireTimers()
	if !first.deadline.Equal(before[first]) || first.heapIdx == 0 {
		t.Errorf("fired unit: deadline %v, in heap %v; want the core's %v, in the heap", first.deadline, first.heapIdx > 0, before[first])
	}
	if len(d.timers) != len(d.units) {
		t.Errorf("%d units in the heap, want %d", len(d.timers), len(d.units))
	}
	f.h.now = d.nextDeadline()
	for _, u := range d.units {
		f.h.now = later(f.h.now, u.deadline)
	}
	d.fireTimers()
	for i := 1; i <= 5; i++ {
		if st := f.n.state(fmt.Sprintf("VI_%03d", i)); st != "MASTER" {
			t.Errorf("VI_%d is %s after its Master_Down_Interval, want MASTER", i, st)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// The adverts of the units whose timers fire in the same step leave in one
// batch per socket, and reach the peer as before.
func TestSendBatchPerTick(t *testing.T) {
	h := newHarness(t)
	h.quiet = true
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, strings.ReplaceAll(manyInstances(3), "priority 100", "priority 200"))
	a.batchSend = true
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, manyInstances(3))
	a.start()
	b.start()
	h.advance(10 * time.Second)
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("VI_%03d", i)
		if sa, sb := a.state(name), b.state(name); sa != "MASTER" || sb != "BACKUP" {
			t.Errorf("%s: a is %s, b is %s; want MASTER, BACKUP", name, sa, sb)
		}
	}
	full := 0
	for _, n := range a.batches {
		if n == 3 {
			full++
		}
	}
	// advert_int 1: about 8 ticks as master, all three instances in step.
	if full < 5 {
		t.Errorf("batches sent %v; want most of them holding all 3 adverts", a.batches)
	}
	if sent := a.d.instances[0].stats.Get(ctl.AdvertsSent); sent < 5 {
		t.Errorf("adverts_sent = %d, want the batched adverts counted", sent)
	}
}

// Run wakes for the timers 1/100 of the shortest advert interval late (at
// most 1 ms), so the timers due meanwhile fire, and send, together.
func TestTimerSlack(t *testing.T) {
	for _, tt := range []struct {
		conf string
		want time.Duration
	}{
		{manyInstances(2), time.Millisecond},                                             // advert_int 1
		{"global_defs {\n    vrrp_version 3\n}\n" + oneInstance, 500 * time.Microsecond}, // advert_int 0.05
		{manyInstances(2) + oneInstance, 500 * time.Microsecond},                         // the shortest
	} {
		h := newHarness(t)
		h.quiet = true
		n := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, tt.conf)
		n.start()
		next := n.d.nextDeadline()
		if n.d.slack != tt.want || next.IsZero() || !n.d.wakeAt().Equal(next.Add(tt.want)) {
			t.Errorf("slack %v, wake at %v for the deadline %v; want slack %v", n.d.slack, n.d.wakeAt(), next, tt.want)
		}
	}
}

// Dropping a flood of the same bad advert allocates nothing once the first
// one is recorded and logged (issue 13's heard-and-dropped record must not
// make the drop path a way to load the reader).
func TestDropDoesNotAllocate(t *testing.T) {
	f := newRxFixture(t, 4)
	var adv packet.Advert
	adv.Addrs = make([]netip.Addr, 0, packet.MaxAddrs)
	b := getBatch()
	ttl64 := f.meta
	ttl64.TTL = 64 // a ttl drop, from Validate
	foreign := packet.Advert{Version: 3, Type: packet.TypeAdvertisement, VRID: 200, Priority: 100, AdverInt: 100,
		Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.2")}} // another cluster's VRID and address
	fp, err := foreign.AppendBinary(nil, f.meta.Src, f.meta.Dst, packet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pkt  []byte
		meta vrrpconn.Meta
	}{{f.pkts[0], ttl64}, {fp, f.meta}} {
		pkt := c.pkt
		f.n.d.accept(f.sc, b, pkt, c.meta, packet.IPv4, &adv) // the first: recorded and logged
		allocs := testing.AllocsPerRun(100, func() {
			f.n.d.accept(f.sc, b, pkt, c.meta, packet.IPv4, &adv)
		})
		if allocs != 0 {
			t.Errorf("dropping %x allocates %v times per packet, want 0", pkt[:4], allocs)
		}
	}
	if len(b.evs) != 0 {
		t.Fatal("a bad advert was accepted")
	}
	in := (*f.sc.targets.Load())[1]
	if in.stats.Dropped(packet.DropTTL) < 100 || in.stats.Dropped(packet.DropVRIDMismatch) < 100 {
		t.Errorf("drops counted: ttl %d, vrid_mismatch %d; want each >= 100",
			in.stats.Dropped(packet.DropTTL), in.stats.Dropped(packet.DropVRIDMismatch))
	}
}

// The drops a shared socket counts before an instance can be named (issue
// 10, fault 6: kept but shown nowhere) reach the status, the status table
// and the SIGUSR2 stats dump.
func TestSocketCountersShown(t *testing.T) {
	f := newRxFixture(t, 1)
	var adv packet.Advert
	b := getBatch()
	f.n.d.accept(f.sc, b, []byte{0x31}, f.meta, packet.IPv4, &adv)
	unknown := packet.Advert{Version: 3, Type: packet.TypeAdvertisement, VRID: 99, Priority: 200, AdverInt: 100}
	p, err := unknown.AppendBinary(nil, f.meta.Src, f.meta.Dst, packet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		f.n.d.accept(f.sc, b, p, f.meta, packet.IPv4, &adv)
	}
	putBatch(b)
	f.sc.overflow.Add(3)
	f.sc.kernelDrops.Store(4) // noteDrops stores what SO_RXQ_OVFL reported

	st, err := f.n.d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Sockets) != 1 {
		t.Fatalf("status lists %d sockets, want 1: %+v", len(st.Sockets), st.Sockets)
	}
	so := st.Sockets[0]
	want := map[ctl.SocketCounter]uint64{ctl.SocketVRIDMismatch: 2, ctl.SocketMalformed: 1, ctl.SocketLoopQueueFull: 3, ctl.SocketKernelQueueFull: 4}
	for c, n := range want {
		if so.Counter(c) != n {
			t.Errorf("socket %s %s: %s = %d, want %d", so.Interface, so.Family, c, so.Counter(c), n)
		}
	}
	if so.Interface != "eth0" || so.Family != "ipv4" || len(so.Counters) != int(ctl.NumSocketCounters) {
		t.Errorf("socket = %+v", so)
	}
	var table strings.Builder
	if err := ctl.WriteTable(&table, st); err != nil {
		t.Fatal(err)
	}
	if line := "socket eth0 ipv4: dropped before reaching an instance: kernel_queue_full=4 loop_queue_full=3 malformed=1 vrid_mismatch=2\n"; !strings.Contains(table.String(), line) {
		t.Errorf("status table lacks %q:\n%s", line, table.String())
	}
	path := filepath.Join(t.TempDir(), "stats")
	if err := f.n.d.WriteDump(context.Background(), DumpStats, path); err != nil {
		t.Fatal(err)
	}
	dump, _ := os.ReadFile(path)
	if want := "VRRP Socket: eth0 ipv4\n  vrid_mismatch: 2\n  malformed: 1\n  loop_queue_full: 3\n  kernel_queue_full: 4\n"; !strings.Contains(string(dump), want) {
		t.Errorf("stats dump lacks %q:\n%s", want, dump)
	}
}

// The loop handles a received advert without allocating (the batch comes
// from a pool; the vrrp.Input the advert is boxed into stays on the stack):
// an allocation while a garbage collection runs can make the loop wait for
// the collector.
func TestDrainAdvertDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector drops sync.Pool items at random: the batch pool allocates")
	}
	f := newRxFixture(t, 2)
	var adv packet.Advert
	adv.Addrs = make([]netip.Addr, 0, packet.MaxAddrs)
	round := func() {
		b := getBatch()
		for _, p := range f.pkts {
			f.n.d.accept(f.sc, b, p, f.meta, packet.IPv4, &adv)
		}
		f.n.d.deliver(f.sc, b)
		f.n.d.drain()
	}
	for range 10 {
		round() // the instances settle in BACKUP behind the priority-200 peer
	}
	in := (*f.sc.targets.Load())[1]
	before := in.stats.Get(ctl.AdvertsReceived)
	if allocs := testing.AllocsPerRun(100, round); allocs != 0 {
		t.Errorf("handling a batch of %d adverts allocates %v times, want 0", len(f.pkts), allocs)
	}
	if got := in.stats.Get(ctl.AdvertsReceived) - before; got < 100 {
		t.Errorf("adverts_received grew by %d, want at least 100 (the adverts were not handled)", got)
	}
}
