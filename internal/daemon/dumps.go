package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gokeepalived/internal/bfd"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// Dump files keepalived writes on signals; third-party exporters parse them
// (research §2.3), so the names and field names are keepalived's.
const (
	JSONFile  = "/tmp/keepalived.json"  // SIGRTMIN+2 (keepalived --signum=JSON)
	StatsFile = "/tmp/keepalived.stats" // SIGUSR2
	DataFile  = "/tmp/keepalived.data"  // SIGUSR1
)

// DumpKind selects the content of a dump file.
type DumpKind int

// The dump kinds, and the files keepalived writes them to.
const (
	DumpData  DumpKind = iota // DataFile
	DumpStats                 // StatsFile
	DumpJSON                  // JSONFile
	// DumpStatsClear writes StatsFile, then clears the statistics it shows
	// (keepalived's DBus PrintStatsClear): later stats dumps count from
	// here. The metrics and the status keep counting from the start.
	DumpStatsClear
)

// WriteDump writes a dump of the given kind to path from the latest
// published snapshot (it does not enter the loop), mode 0600, atomically
// (write to a temporary file, rename).
func (d *Daemon) WriteDump(_ context.Context, kind DumpKind, path string) error {
	snap := d.Snapshot()
	if snap == nil {
		return errNotStarted
	}
	var body []byte
	var err error
	switch kind {
	case DumpJSON:
		body, err = jsonDump(snap)
	case DumpStats, DumpStatsClear:
		d.statsBase.Lock()
		body = []byte(statsDump(snap, d.statsBase.m))
		if kind == DumpStatsClear {
			d.statsBase.m = statsBaseline(snap)
		}
		d.statsBase.Unlock()
	default:
		var b strings.Builder
		err = ctl.WriteTable(&b, snap.Status(d.now()))
		body = []byte(b.String())
	}
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gokeepalived-dump-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func jsonDump(snap *ctl.Snapshot) ([]byte, error) {
	type data struct {
		IName             string   `json:"iname"`
		IfpIfname         string   `json:"ifp_ifname"`
		VRID              int      `json:"vrid"`
		BasePriority      int      `json:"base_priority"`
		EffectivePriority int      `json:"effective_priority"`
		MasterPriority    int      `json:"master_priority"`
		LastTransition    float64  `json:"last_transition"`
		VIPSet            bool     `json:"vipset"`
		AdverInt          float64  `json:"adver_int"`
		MasterAdverInt    float64  `json:"master_adver_int"`
		Accept            int      `json:"accept"`
		NoPreempt         bool     `json:"nopreempt"`
		PreemptDelay      float64  `json:"preempt_delay"`
		State             int      `json:"state"`
		WantState         int      `json:"wantstate"`
		Version           int      `json:"version"`
		VIPs              []string `json:"vips"`
		// Maintenance is ours (gokeepalivedctl maintenance); keepalived has none.
		Maintenance bool `json:"maintenance,omitempty"`
	}
	type entry struct {
		Data  data              `json:"data"`
		Stats map[string]uint64 `json:"stats"`
	}
	var out []entry
	for _, in := range snap.Instances {
		e := entry{Data: data{
			IName: in.Name, IfpIfname: in.Interface, VRID: in.VRID, BasePriority: in.BasePriority,
			EffectivePriority: in.EffectivePriority, VIPSet: in.VIPsHeld, AdverInt: in.AdvertInterval.Seconds(),
			MasterAdverInt: in.MasterAdverInterval.Seconds(), NoPreempt: in.NoPreempt,
			PreemptDelay: in.PreemptDelay.Seconds(), State: in.State.KeepalivedCode(), WantState: in.State.KeepalivedCode(),
			Version: in.Version, VIPs: in.KernelAddrs, Maintenance: in.Maintenance,
		}, Stats: kaStats(in)}
		if in.Accept {
			e.Data.Accept = 1
		}
		if in.State != vrrp.StateMaster {
			e.Data.MasterPriority = in.MasterPriority
		}
		if t := in.LastTransition; t != nil {
			e.Data.LastTransition = float64(t.At.UnixMicro()) / 1e6
		}
		out = append(out, e)
	}
	return json.Marshal(out)
}

// kaStats maps our counters to keepalived's stats names.
func kaStats(in *ctl.InstanceSnapshot) map[string]uint64 {
	c := in.Counters
	drop := func(rs ...packet.DropReason) uint64 {
		var n uint64
		for _, r := range rs {
			n += c.Dropped(r)
		}
		return n
	}
	return map[string]uint64{
		"advert_rcvd": c.Get(ctl.AdvertsReceived), "advert_sent": c.Get(ctl.AdvertsSent),
		"become_master": c.Get(ctl.BecameMaster), "release_master": c.Get(ctl.ReleasedMaster),
		"packet_len_err": drop(packet.DropLength, packet.DropMalformed), "advert_interval_err": drop(packet.DropIntervalMismatch, packet.DropIntervalZero),
		"ip_ttl_err": drop(packet.DropTTL), "invalid_type_rcvd": drop(packet.DropType), "addr_list_err": drop(packet.DropAddrList, packet.DropAddrCount),
		"invalid_authtype": drop(packet.DropAuthType, packet.DropAuthUnsupported), "authtype_mismatch": drop(packet.DropAuthType),
		"auth_failure": drop(packet.DropAuthMismatch), "pri_zero_rcvd": c.Get(ctl.PriorityZeroReceived),
		"pri_zero_sent": c.Get(ctl.PriorityZeroSent),
	}
}

// statsBaseline is every instance's statistics now, to count later dumps
// from.
func statsBaseline(snap *ctl.Snapshot) map[string]map[string]uint64 {
	m := make(map[string]map[string]uint64, len(snap.Instances))
	for _, in := range snap.Instances {
		m[in.Name] = kaStats(in)
	}
	return m
}

// statsDump is keepalived's stats file; base, when not nil, holds the
// values at the last clear, which are subtracted.
func statsDump(snap *ctl.Snapshot, base map[string]map[string]uint64) string {
	var b strings.Builder
	for _, in := range snap.Instances {
		s := kaStats(in)
		for k, v := range base[in.Name] {
			if s[k] >= v {
				s[k] -= v
			}
		}
		fmt.Fprintf(&b, "VRRP Instance: %s\n", in.Name)
		fmt.Fprintf(&b, "  Advertisements:\n    Received: %d\n    Sent: %d\n", s["advert_rcvd"], s["advert_sent"])
		fmt.Fprintf(&b, "  Became master: %d\n  Released master: %d\n", s["become_master"], s["release_master"])
		fmt.Fprintf(&b, "  Packet Errors:\n    Length: %d\n    TTL: %d\n    Invalid Type: %d\n    Advertisement Interval: %d\n    Address List: %d\n",
			s["packet_len_err"], s["ip_ttl_err"], s["invalid_type_rcvd"], s["advert_interval_err"], s["addr_list_err"])
		fmt.Fprintf(&b, "  Authentication Errors:\n    Invalid Type: %d\n    Type Mismatch: %d\n    Failure: %d\n",
			s["invalid_authtype"], s["authtype_mismatch"], s["auth_failure"])
		fmt.Fprintf(&b, "  Priority Zero:\n    Received: %d\n    Sent: %d\n", s["pri_zero_rcvd"], s["pri_zero_sent"])
	}
	// gokeepalived's own section: drops no instance could be charged with
	// (keepalived has no such counts in its stats file).
	for _, so := range snap.Sockets {
		fmt.Fprintf(&b, "VRRP Socket: %s %s\n", so.Interface, so.Family())
		for c := range ctl.NumSocketCounters {
			fmt.Fprintf(&b, "  %s: %d\n", c, so.Counters.SocketCount(c))
		}
	}
	bfdStats(&b, snap.BFD)
	return b.String()
}

// bfdStats appends the BFD sessions' counters to the stats dump, in its
// style (keepalived's BFD process writes no stats file; its SIGUSR1 data
// file holds the session variables, which the data dump's BFD table shows).
func bfdStats(b *strings.Builder, st *ctl.BFDStatus) {
	if st == nil {
		return
	}
	for _, s := range st.Sessions {
		fmt.Fprintf(b, "BFD Instance: %s\n", s.Name)
		fmt.Fprintf(b, "  State: %s\n  Remote state: %s\n  Local diag: %s\n  Remote diag: %s\n", s.State, s.RemoteState, s.LocalDiag, s.RemoteDiag)
		fmt.Fprintf(b, "  Local discriminator: 0x%x\n  Remote discriminator: 0x%x\n", s.LocalDiscr, s.RemoteDiscr)
		fmt.Fprintf(b, "  TX interval: %d us\n  RX interval: %d us\n  Detection time: %d us\n", s.TxIntervalUS, s.RxIntervalUS, s.DetectionTimeUS)
		fmt.Fprintf(b, "  Transitions:\n    Up: %d\n    Down: %d\n", s.Ups, s.Downs)
		fmt.Fprintf(b, "  Packets:\n    Received: %d\n    Sent: %d\n    Send errors: %d\n", s.PacketsReceived, s.PacketsSent, s.SendErrors)
		fmt.Fprintf(b, "  Packets dropped:\n")
		for r := bfd.DropReason(1); r < bfd.NumDropReasons; r++ {
			fmt.Fprintf(b, "    %s: %d\n", r, s.Drops[r.String()])
		}
	}
}
