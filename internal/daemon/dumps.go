package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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

// keepalived's numeric states (include/vrrp.h).
func kaState(s vrrp.State) int {
	switch s {
	case vrrp.StateBackup:
		return 1
	case vrrp.StateMaster:
		return 2
	case vrrp.StateFault:
		return 3
	case vrrp.StateStop:
		return 98
	}
	return 0
}

// DumpKind selects the content of a dump file.
type DumpKind int

// The dump kinds, and the files keepalived writes them to.
const (
	DumpData  DumpKind = iota // DataFile
	DumpStats                 // StatsFile
	DumpJSON                  // JSONFile
)

// WriteDump writes a dump of the given kind to path from the loop's
// current state, mode 0600, atomically (write to a temporary file, rename).
func (d *Daemon) WriteDump(ctx context.Context, kind DumpKind, path string) error {
	var body []byte
	var err error
	if derr := d.Do(ctx, func() {
		switch kind {
		case DumpJSON:
			body, err = d.jsonDump()
		case DumpStats:
			body = []byte(d.statsDump())
		default:
			var b strings.Builder
			err = ctl.WriteTable(&b, d.snapshot())
			body = []byte(b.String())
		}
	}); derr != nil {
		return derr
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

func (d *Daemon) jsonDump() ([]byte, error) {
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
	}
	type entry struct {
		Data  data              `json:"data"`
		Stats map[string]uint64 `json:"stats"`
	}
	var out []entry
	for _, in := range d.instances {
		e := entry{Data: data{
			IName: in.cfg.Name, IfpIfname: in.cfg.Interface, VRID: in.cfg.VRID, BasePriority: in.cfg.Priority,
			EffectivePriority: int(in.core.Priority()), VIPSet: in.vipsHeld, AdverInt: in.cfg.AdvertInt.Seconds(),
			MasterAdverInt: in.core.MasterAdverInterval().Duration().Seconds(), NoPreempt: !in.cfg.Preempt,
			PreemptDelay: in.cfg.PreemptDelay.Seconds(), State: kaState(in.core.State()), WantState: kaState(in.core.State()),
			Version: in.cfg.Version,
		}, Stats: d.kaStats(in)}
		if in.cfg.Accept {
			e.Data.Accept = 1
		}
		if _, p := in.core.Master(); in.core.State() != vrrp.StateMaster {
			e.Data.MasterPriority = int(p)
		}
		if t := in.lastTransition; t != nil {
			e.Data.LastTransition = float64(t.at.UnixMicro()) / 1e6
		}
		for _, a := range in.addrs {
			e.Data.VIPs = append(e.Data.VIPs, a.String())
		}
		out = append(out, e)
	}
	return json.Marshal(out)
}

// kaStats maps our counters to keepalived's stats names.
func (d *Daemon) kaStats(in *instance) map[string]uint64 {
	drop := func(names ...string) uint64 {
		var n uint64
		for _, name := range names {
			for r := range in.drops {
				if packet.DropReason(r).String() == name {
					n += in.drops[r].Load()
				}
			}
		}
		return n
	}
	return map[string]uint64{
		"advert_rcvd": in.counters["adverts_received"], "advert_sent": in.counters["adverts_sent"],
		"become_master": in.counters["became_master"], "release_master": in.counters["released_master"],
		"packet_len_err": drop("Length", "Malformed"), "advert_interval_err": drop("IntervalMismatch", "IntervalZero"),
		"ip_ttl_err": drop("TTL"), "invalid_type_rcvd": drop("Type"), "addr_list_err": drop("AddrList", "AddrCount"),
		"invalid_authtype": drop("AuthType", "AuthUnsupported"), "authtype_mismatch": drop("AuthType"),
		"auth_failure": drop("AuthMismatch"), "pri_zero_rcvd": in.counters["priority_zero_received"],
		"pri_zero_sent": in.counters["priority_zero_sent"],
	}
}

func (d *Daemon) statsDump() string {
	var b strings.Builder
	for _, in := range d.instances {
		s := d.kaStats(in)
		fmt.Fprintf(&b, "VRRP Instance: %s\n", in.cfg.Name)
		fmt.Fprintf(&b, "  Advertisements:\n    Received: %d\n    Sent: %d\n", s["advert_rcvd"], s["advert_sent"])
		fmt.Fprintf(&b, "  Became master: %d\n  Released master: %d\n", s["become_master"], s["release_master"])
		fmt.Fprintf(&b, "  Packet Errors:\n    Length: %d\n    TTL: %d\n    Invalid Type: %d\n    Advertisement Interval: %d\n    Address List: %d\n",
			s["packet_len_err"], s["ip_ttl_err"], s["invalid_type_rcvd"], s["advert_interval_err"], s["addr_list_err"])
		fmt.Fprintf(&b, "  Authentication Errors:\n    Invalid Type: %d\n    Type Mismatch: %d\n    Failure: %d\n",
			s["invalid_authtype"], s["authtype_mismatch"], s["auth_failure"])
		fmt.Fprintf(&b, "  Priority Zero:\n    Received: %d\n    Sent: %d\n", s["pri_zero_rcvd"], s["pri_zero_sent"])
	}
	return b.String()
}
