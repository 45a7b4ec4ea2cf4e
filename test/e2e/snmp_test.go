package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gokeepalived/internal/snmp/snmptest"
	"gokeepalived/test/e2e/netns"
)

// snmpRecords is what one daemon served: its KEEPALIVED-MIB walk (OID ->
// "TYPE: value") and the notifications snmptrapd received.
type snmpRecords struct {
	Walk  map[string]string
	Traps []string
	MAC   string // the master's ens33 (vrrpOperVirtualMacAddr shows it)
}

const (
	kaOID       = ".1.3.6.1.4.1.9586.100.5"
	kaInstEntry = kaOID + ".2.3.1."
	rfcOID      = ".1.3.6.1.2.1.68"
	rfcOper     = rfcOID + ".1.3.1."
	v3OID       = ".1.3.6.1.2.1.207"
	v3Oper      = v3OID + ".1.1.1.1."
	v3Stats     = v3OID + ".1.2.5.1."
	vip3        = "192.0.2.101"
)

// snmpServed are the vrrpInstanceEntry columns gokeepalived serves; each
// must read exactly as keepalived's.
var snmpServed = []string{"2", "3", "4", "5", "7", "8", "9", "10", "12", "13", "14", "27", "30"}

// snmpNotServed are keepalived's objects gokeepalived does not serve (yet),
// each with why: the differences that must exist. Any other difference fails.
var snmpNotServed = []struct{ prefix, why string }{
	{kaInstEntry + "6.", "vrrpInstanceWantedState: the core's wanted state is not in the status snapshot"},
	{kaInstEntry + "11.", "vrrpInstanceTrackPrimaryIf: not in the snapshot"},
	{kaInstEntry + "15.", "vrrpInstanceAuthType: not in the snapshot"},
	{kaInstEntry + "16.", "vrrpInstanceLvsSyncDaemon: lvs_sync_daemon is not implemented"},
	{kaOID + ".2.1.1.10.", "vrrpSyncGroupTrackingWeight: sync_group_tracking_weight is not in the snapshot"},
	{kaInstEntry + "19.", "vrrpInstanceGarpDelay: not in the snapshot"},
	{kaInstEntry + "20.", "vrrpInstanceSmtpAlert: not in the snapshot"},
	{kaInstEntry + "21.", "vrrpInstanceNotifyExec: notify scripts are not in the snapshot"},
	{kaInstEntry + "28.", "vrrpInstancePromoteSecondaries: not in the snapshot"},
	{kaInstEntry + "29.", "vrrpInstanceUseLinkbeat: not in the snapshot"},
	{kaInstEntry + "33.", "vrrpInstanceNotifyDeleted: not in the snapshot"},
	{kaInstEntry + "34.", "vrrpInstanceMulticastAddressType: not in the snapshot"},
	{kaInstEntry + "35.", "vrrpInstanceMulticastAddress: not in the snapshot"},
	{kaOID + ".1.3.", "mail group (smtp_server, notification_email...): not served"},
	{kaOID + ".1.4.", "trapEnable: not served"},
	{kaOID + ".1.5.", "linkBeat: not served"},
	{kaOID + ".1.6.", "lvsSyncDaemon globals: not served"},
	{kaOID + ".1.7.", "lvsTimeouts: not served"},
	{kaOID + ".1.8.", "lvsSyncDaemon globals: not served"},
	{kaOID + ".1.9.", "lvsSyncDaemon globals: not served"},
	{kaOID + ".1.10.", "lvsSyncDaemon globals: not served"},
	{kaOID + ".1.11.", "lvsSyncDaemon globals: not served"},
	{kaOID + ".2.6.", "vrrpAddressTable: the snapshot holds VIPs as text, not served yet"},
	{rfcOper + "13.", "vrrpOperVirtualRouterUpTime: keepalived counts from its own SNMP start; not served"},
	{v3Oper + "12.", "vrrpv3OperationsUpTime: not served"},
	{v3Stats + "2.", "vrrpv3StatisticsNewMasterReason: the reason is not in the snapshot"},
	{v3Stats + "6.", "vrrpv3StatisticsProtoErrReason: not in the snapshot"},
}

// TestSNMPDifferential: keepalived (enable_snmp_vrrp, enable_snmp_rfc,
// enable_traps, snmp_socket) and gokeepalived run the same configuration, each against
// its own snmpd (a private AgentX socket, SNMP on 127.0.0.1) and snmptrapd.
// Once both instances are MASTER, snmpwalk reads KEEPALIVED-MIB, VRRP-MIB
// (RFC 2787) and VRRPv3-MIB (RFC 6527) from both:
// every object gokeepalived serves reads exactly as keepalived's, version.0
// aside (each names itself), and every object keepalived serves that
// gokeepalived does not is listed in snmpNotServed. Both send
// vrrpInstanceStateChange for each instance becoming MASTER, and VRRP-MIB's
// vrrpTrapNewMaster for the VRRPv2 one, with the same varbinds.
func TestSNMPDifferential(t *testing.T) {
	snmptest.Need(t, "snmpd", "snmpwalk", "snmptrapd")
	got := runBoth(t, snmpScenario)
	k, g := got["keepalived"], got["gokeepalived"]
	if k.Walk == nil || g.Walk == nil {
		t.Skip("one daemon's run failed: no comparison")
	}
	version := kaOID + ".1.1.0"
	for oid, gv := range g.Walk {
		kv, ok := k.Walk[oid]
		switch {
		case !ok:
			t.Errorf("%s = %s served by gokeepalived, not by keepalived", oid, gv)
		case oid == version:
			if !strings.HasPrefix(gv, `STRING: "gokeepalived `) {
				t.Errorf("version.0 = %s", gv)
			}
		case strings.HasPrefix(oid, rfcOper+"2."), strings.HasPrefix(oid, v3Oper+"5."):
			// Each run has its own veth: each daemon shows its own MAC.
			if hexMAC(kv) != k.MAC || hexMAC(gv) != g.MAC {
				t.Errorf("%s: keepalived %s (its MAC %s), gokeepalived %s (its MAC %s)", oid, kv, k.MAC, gv, g.MAC)
			}
		case kv != gv:
			t.Errorf("%s: keepalived %s, gokeepalived %s", oid, kv, gv)
		}
	}
	for oid, kv := range k.Walk {
		if _, ok := g.Walk[oid]; ok {
			continue
		}
		served := false
		for _, c := range snmpServed {
			served = served || strings.HasPrefix(oid, kaInstEntry+c+".")
		}
		listed := slices.ContainsFunc(snmpNotServed, func(d struct{ prefix, why string }) bool { return strings.HasPrefix(oid, d.prefix) })
		if served || !listed {
			t.Errorf("%s = %s served by keepalived, missing from gokeepalived (and not a listed difference)", oid, kv)
		}
	}
	t.Logf("%d objects read the same from both daemons; keepalived serves %d more (listed differences)", len(g.Walk), len(k.Walk)-len(g.Walk))
	if kt, gt := newMasterTrap(k.Traps), newMasterTrap(g.Traps); kt == "" || kt != gt {
		t.Errorf("vrrpTrapNewMaster of VI_1:\nkeepalived   %q\ngokeepalived %q", kt, gt)
	}
	if kt, gt := groupTrap(k.Traps, "SG_1"), groupTrap(g.Traps, "SG_1"); kt == "" || kt != gt {
		t.Errorf("vrrpSyncGroupStateChange of SG_1 to MASTER:\nkeepalived   %q\ngokeepalived %q\nall keepalived's: %q\nall gokeepalived's: %q", kt, gt, k.Traps, g.Traps)
	}
	for _, name := range []string{"VI_1", "VI_2"} {
		kt, gt := masterTrap(k.Traps, name), masterTrap(g.Traps, name)
		if kt == "" || kt != gt {
			t.Errorf("vrrpInstanceStateChange of %s to MASTER:\nkeepalived   %q\ngokeepalived %q\nall keepalived's: %q\nall gokeepalived's: %q", name, kt, gt, k.Traps, g.Traps)
		}
	}
}

// masterTrap is the first vrrpInstanceStateChange of instance name to
// master(2) among traps.
func masterTrap(traps []string, name string) string {
	for _, tr := range traps {
		if strings.Contains(tr, kaOID+".2.10.0.2|") && strings.Contains(tr, fmt.Sprintf(`%s2 = STRING: "%s"|`, kaInstEntry, name)) &&
			strings.Contains(tr, kaInstEntry+"4 = INTEGER: 2|") {
			return tr
		}
	}
	return ""
}

// groupTrap is the first vrrpSyncGroupStateChange of group name to
// master(2) among traps.
func groupTrap(traps []string, name string) string {
	for _, tr := range traps {
		if strings.Contains(tr, kaOID+".2.10.0.1|") && strings.Contains(tr, fmt.Sprintf(`%s.2.1.1.2 = STRING: "%s"|`, kaOID, name)) &&
			strings.Contains(tr, kaOID+".2.1.1.3 = INTEGER: 2|") {
			return tr
		}
	}
	return ""
}

// newMasterTrap is the first VRRP-MIB vrrpTrapNewMaster among traps (only
// VI_1, VRRPv2, is in VRRP-MIB).
func newMasterTrap(traps []string) string {
	for _, tr := range traps {
		if strings.Contains(tr, "OID: "+rfcOID+".0.1|") {
			return tr
		}
	}
	return ""
}

// hexMAC turns snmpwalk's `Hex-STRING: 02 AB ...` into 02:ab:...
func hexMAC(v string) string {
	return strings.ToLower(strings.Join(strings.Fields(strings.TrimPrefix(v, "Hex-STRING:")), ":"))
}

func snmpScenario(t *testing.T, kind string) snmpRecords {
	trapd := snmptest.StartTrapd(t)
	s := snmptest.StartSnmpd(t, trapd.Addr)
	p := newFeatPair(t, "snmp", kind, false)
	globals := fmt.Sprintf("    enable_snmp_vrrp\n    enable_snmp_rfc\n    enable_traps\n    snmp_socket unix:%s\n", s.Socket)
	// VI_1: VRRPv2, initial state MASTER. VI_2 (after it: keepalived
	// indexes instances in configuration order, gokeepalived by name):
	// VRRPv3 (interval in centiseconds, accept shown), initial state BACKUP,
	// a preempt delay.
	conf := featConf("snmp-lb", "MASTER", 100, globals, "", featInst{Name: "VI_1"}) + fmt.Sprintf(`vrrp_instance VI_2 {
    state BACKUP
    interface %s
    virtual_router_id 52
    priority 90
    version 3
    advert_int 0.5
    preempt_delay 2
    virtual_ipaddress {
        %s
    }
}
vrrp_sync_group SG_1 {
    group {
        VI_1
        VI_2
    }
    notify_master "/bin/true master"
}
`, ifname, vip3)
	p.startDaemon(t, p.master, conf, "")
	netns.Eventually(t, converge, func() (bool, string) {
		return p.master.HasAddr(vip) && p.master.HasAddr(vip3), "both VIPs on the master:\n" + lastLines(p.master.D.Logs(), 12)
	})
	var r snmpRecords
	netns.Eventually(t, converge, func() (bool, string) {
		w, err := s.Walk(kaOID)
		if err != nil {
			return false, err.Error()
		}
		for _, i := range []string{"1", "2"} {
			if w[kaInstEntry+"4."+i] != "INTEGER: 2" {
				return false, fmt.Sprintf("vrrpInstanceState.%s MASTER in the walk: %v\nsnmpd: %s\n%s", i, w, s.LogTail(), lastLines(p.master.D.Logs(), 12))
			}
		}
		if w[kaOID+".2.1.1.3.1"] != "INTEGER: 2" {
			return false, fmt.Sprintf("vrrpSyncGroupState.1 MASTER in the walk: %v", w)
		}
		for _, tree := range []string{rfcOID, v3OID} {
			rfc, err := s.Walk(tree)
			if err != nil {
				return false, err.Error()
			}
			for k, v := range rfc {
				w[k] = v
			}
		}
		r.Walk = w
		return true, ""
	})
	netns.Eventually(t, converge, func() (bool, string) {
		r.Traps = trapd.Traps()
		return masterTrap(r.Traps, "VI_1") != "" && masterTrap(r.Traps, "VI_2") != "" && newMasterTrap(r.Traps) != "" &&
				groupTrap(r.Traps, "SG_1") != "",
			fmt.Sprintf("both MASTER notifications, vrrpTrapNewMaster and the sync group's: %q", r.Traps)
	})
	r.MAC = linkMAC(p.master, ifname)
	return r
}
