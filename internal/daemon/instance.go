package daemon

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/notify"
	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// instance is the runtime of one vrrp_instance. Everything except the
// atomic counters (stats) and expect is owned by the daemon loop, but the
// socket readers also read the fields set at construction that never
// change afterwards (name, vrid, unicast): a reload that keeps the instance swaps cfg,
// which the readers therefore never touch.
type instance struct {
	name  string // cfg.Name, for the readers
	vrid  int    // cfg.VRID, for the readers
	cfg   *config.Instance
	core  *vrrp.Instance
	unit  *unit
	index int // member index within unit
	conn  *sharedConn
	// scripts are the notify scripts, users resolved when built.
	scripts *notify.Scripts

	ipv6 bool
	vmac string // use_vmac (or use_ipvlan) interface name, "" without
	// extraVMACs are the VMACs use_vmac_addr (or a VIP's use_vmac) made
	// for addresses on other interfaces or of the other family.
	extraVMACs []string
	vmacExtra  map[vmacKey]string // their names by parent and family
	// absent: built while its interface did not exist (dynamic_interfaces):
	// a placeholder socket, no source address; FAULT until it appears.
	absent bool
	// mtu is the interface's MTU when the instance was built (the MTU
	// policy of vrrp_rx_bufs_policy).
	mtu  int
	src  netip.Addr   // our advert source (primary or unicast_src_ip)
	dsts []netip.Addr // multicast group, or the unicast peers
	// checksumDst, if valid, is the destination the advert's checksum is
	// computed for (old_unicast_checksum: the IPv4 group, not the peer).
	checksumDst netip.Addr
	unicast     bool
	vips        []netip.Addr
	addrs       []addr.Address // VIPs and excluded VIPs as the kernel sees them
	routes      []addr.Route
	rules       []addr.Rule
	// expect is what the socket reader checks adverts against: replaced
	// (never changed) by a reload that changes the VIPs in place.
	expect  atomic.Pointer[packet.Expect]
	advert  packet.Advert
	sendBuf []byte
	// encoded is what sendBuf holds an encoding of (ok: it does): the
	// next advert to the same destination is patched in place
	// (packet.SetPriority), not encoded again. Cleared by a change of
	// in.advert other than its priority.
	encoded encodedAdvert
	// txQueued: sendBuf holds an advert queued for the tick's batch.
	txQueued bool

	// Counters, drops and the last advert's time: atomics, written by the
	// loop and the socket reader, read by status renderers.
	stats ctl.InstanceCounters
	// dropLogged is, per drop reason, the unix nanos of its last log line
	// (socket reader).
	dropLogged [packet.NumDropReasons]atomic.Int64

	// loop-owned status
	vipsHeld bool
	// vipset: the addresses were set (acquire) and not yet released
	// (keepalived's vipset): the accept-mode firewall covers them.
	vipset         bool
	faults         map[string]string // active fault sources → reason
	lastAdvertFrom netip.Addr
	lastAdvertPrio uint8
	lastTransition *transitionRecord
	warnings       []string
	warnedAt       map[string]time.Time // rate limit of warning log lines
	warnUntil      map[string]time.Time // status warnings → when they expire
	warnGen        uint64               // bumped when warnings or their expiry change
	sendFail       sendFailure          // adverts failing to leave (sendfail.go)

	// The entry of the last published snapshot (nil: rebuild it) and what
	// it showed (snapshot.go).
	pub     *ctl.InstanceSnapshot
	pubView instView
}

type transitionRecord struct {
	from, to vrrp.State
	reason   string
	at       time.Time
}

// unit is what the loop drives: one instance, or a sync group's members.
type unit struct {
	name     string
	members  []*instance
	group    *vrrp.SyncGroup // nil for a lone instance
	deadline time.Time       // set through Daemon.setDeadline only
	heapIdx  int             // position in the loop's timer heap + 1; 0: not in it
	// groupState is the members' common state last notified (groups only).
	groupState vrrp.State
	// scripts are the sync group's notify scripts (groups only).
	scripts *notify.Scripts
	// awaitingTrackers: not started yet because a member tracks something
	// with weight 0 that has no result yet (see startUnit).
	awaitingTrackers bool
}

// coreConfig maps the configuration model to the VRRP core's config.
func coreConfig(c *config.Instance, g *config.Global, src netip.Addr, vips []netip.Addr) vrrp.Config {
	vc := vrrp.Config{
		VRID:                    uint8(c.VRID),
		Version:                 uint8(c.Version),
		Priority:                uint8(c.Priority),
		AdverInt:                c.AdvertInt,
		NoPreempt:               !c.Preempt,
		PreemptDelay:            c.PreemptDelay,
		InitialState:            vrrp.StateBackup,
		AcceptMode:              c.Accept,
		PrimaryAddr:             src,
		VIPs:                    vips,
		GARPMasterRepeat:        c.GARP.MasterRepeat,
		GARPMasterDelay:         c.GARP.MasterDelay,
		GARPMasterRefresh:       c.GARP.MasterRefresh,
		GARPMasterRefreshRepeat: c.GARP.MasterRefreshRepeat,
		GARPLowerPrioRepeat:     c.GARP.LowerPrioRepeat,
		GARPExtraIf:             c.GARPExtraIf.Interval,
		LowerPrioNoAdvert:       c.LowerPrioNoAdvert,
		HigherPrioSendAdvert:    c.HigherPrioSendAdvert,
		DownTimerAdverts:        c.DownTimerAdverts,
	}
	if strings.EqualFold(c.State, "MASTER") {
		vc.InitialState = vrrp.StateMaster
	}
	return vc
}

// kernelAddrs maps virtual_ipaddress(_excluded) lines, which package config
// has parsed and checked, to kernel addresses field by field; an address
// without dev goes on the VMAC, if any, else the instance's interface. It
// cannot fail; the error result keeps its caller's shape.
func kernelAddrs(c *config.Instance, vmac string, extra map[vmacKey]string) ([]addr.Address, error) {
	var out []addr.Address
	for _, list := range [][]config.VIP{c.VIPs, c.ExcludedVIPs} {
		for _, v := range list {
			a := addr.Address{Prefix: v.Prefix, Dev: addrDev(c, v, vmac, extra), Broadcast: v.Broadcast, Scope: addr.Scope(v.Scope),
				Label: v.Label, NoPrefixRoute: v.NoPrefixRoute}
			out = append(out, a)
		}
	}
	return out, nil
}

func (in *instance) family() string {
	if in.ipv6 {
		return "ipv6"
	}
	return "ipv4"
}

func (in *instance) count(c ctl.Counter) { in.stats.Inc(c) }

// warn records a warning for the status (deduplicated, the most recent
// 8). It stays visible until ttl after it was last raised, so a condition
// that went away (the other master yielded) stops being reported.
func (in *instance) warn(now time.Time, msg string, ttl time.Duration) {
	in.warnUntil[msg] = now.Add(ttl)
	in.warnGen++
	for _, w := range in.warnings {
		if w == msg {
			return
		}
	}
	in.warnings = append(in.warnings, msg)
	if len(in.warnings) > 8 {
		delete(in.warnUntil, in.warnings[0])
		in.warnings = in.warnings[len(in.warnings)-8:]
	}
}

// clearWarnings drops warnings that no longer apply after a state change.
func (in *instance) clearWarnings() {
	in.warnGen++
	in.warnings = in.warnings[:0]
	clear(in.warnUntil)
}

// encodedAdvert names the advert encoded in an instance's sendBuf: the
// addresses and options that went into its checksum.
type encodedAdvert struct {
	ok       bool
	src, dst netip.Addr
	opts     packet.Options
}
