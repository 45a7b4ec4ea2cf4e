package cli

import (
	"os"

	"gokeepalived/internal/config"
	"gokeepalived/internal/daemon"
	"gokeepalived/internal/snmp"
	"gokeepalived/internal/vrrp"
)

// snmpOptions decides the SNMP subagent as keepalived does: -x turns on
// enable_snmp_vrrp, -A sets the socket unless snmp_socket does; the agent
// runs when enable_snmp_vrrp is on, and sends notifications when
// enable_traps is on too.
func snmpOptions(o Options, cfg *config.Config) (snmp.Options, bool) {
	g := cfg.Global
	opts := snmp.Options{Socket: g.SNMPSocket, VRRP: g.EnableSNMPVRRP || o.SNMP}
	if opts.Socket == "" {
		opts.Socket = o.SNMPSocket
	}
	opts.Traps = opts.VRRP && g.EnableTraps
	return opts, opts.VRRP
}

// snmpSettings are the configuration's values the MIB shows beside the
// snapshot: the router id (the host name by default) and each instance's
// configured state.
func snmpSettings(cfg *config.Config) snmp.Settings {
	set := snmp.Settings{Version: "gokeepalived " + Version, RouterID: cfg.Global.RouterID,
		InitialStates: make(map[string]vrrp.State, len(cfg.Instances))}
	if set.RouterID == "" {
		set.RouterID, _ = os.Hostname()
	}
	for _, in := range cfg.Instances {
		switch in.State {
		case "MASTER":
			set.InitialStates[in.Name] = vrrp.StateMaster
		case "BACKUP":
			set.InitialStates[in.Name] = vrrp.StateBackup
		}
	}
	return set
}

// stateTee hands every VRRP state change to each sink (the load-balancer
// runtime, the SNMP subagent); each queues it without blocking.
type stateTee []daemon.StateSink

func (t stateTee) VRRPState(ev vrrp.StateEvent) {
	for _, s := range t {
		s.VRRPState(ev)
	}
}
