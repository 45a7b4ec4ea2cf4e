package director

import (
	"slices"
	"testing"
	"time"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/lbtest"
	"gokeepalived/internal/vrrp"
)

const syncConf = `
global_defs {
    lvs_sync_daemon eth1 inst VI_1 maxlen 1400 port 8849 ttl 2 group 239.1.1.1
    lvs_timeouts tcp 7200 udp 60
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.0.2.100
    }
}
` + seedConf

// syncBed is a bed whose backend runs sync daemons and timeouts.
func syncBed(t *testing.T, conf string) (*bed, *lbtest.Sync) {
	t.Helper()
	fs := lbtest.NewSync()
	b := newBed(t, conf, func(_ *Options, fb *fakeBackend) { fb.Fake, fb.table = fs.Fake, fs })
	b.fake = fs.Fake
	return b, fs
}

// TestSyncDaemonFollowsVRRP: with `inst VI_1`, the backup daemon runs from
// the start and while VI_1 is BACKUP or FAULT, the master daemon while it
// is MASTER (the other one stopped first, as keepalived's
// ipvs_syncd_master/backup do); the sync id defaults to the VRID; at exit
// the running daemon is stopped.
func TestSyncDaemonFollowsVRRP(t *testing.T) {
	b, fs := syncBed(t, syncConf)
	if got := fs.SyncLog(); !slices.Equal(got, []string{"start backup eth1 id 51"}) {
		t.Fatalf("at start: %v, want the backup daemon only (the stop of leftovers fails quietly)", got)
	}
	ds, _ := fs.SyncDaemons()
	want := lb.SyncDaemon{State: lb.SyncBackup, Interface: "eth1", SyncID: 51, MaxLen: 1400, Port: 8849, TTL: 2}
	want.Group = ds[0].Group
	if len(ds) != 1 || ds[0] != want || ds[0].Group.String() != "239.1.1.1" {
		t.Fatalf("daemons %+v, want %+v with group 239.1.1.1", ds, want)
	}
	event := func(state vrrp.State) {
		b.d.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: state})
		b.d.step(b.now)
	}
	for _, st := range []struct {
		state vrrp.State
		log   []string
	}{
		{vrrp.StateBackup, nil},
		{vrrp.StateMaster, []string{"stop backup", "start master eth1 id 51"}},
		{vrrp.StateMaster, nil},
		{vrrp.StateFault, []string{"stop master", "start backup eth1 id 51"}},
		{vrrp.StateMaster, []string{"stop backup", "start master eth1 id 51"}},
		{vrrp.StateBackup, []string{"stop master", "start backup eth1 id 51"}},
		{vrrp.StateMaster, []string{"stop backup", "start master eth1 id 51"}},
	} {
		event(st.state)
		if got := fs.SyncLog(); !slices.Equal(got, st.log) {
			t.Errorf("VI_1 %s: %v, want %v", st.state, got, st.log)
		}
	}
	if to, _ := fs.Timeouts(); to != (lb.Timeouts{TCP: 7200 * time.Second, TCPFin: 120 * time.Second, UDP: 60 * time.Second}) {
		t.Errorf("timeouts %+v, want tcp 7200 (set), tcpfin 120 (kernel's), udp 60 (set)", to)
	}
	b.d.finish()
	if got := fs.SyncLog(); !slices.Equal(got, []string{"stop master"}) {
		t.Errorf("at exit: %v, want the master daemon stopped", got)
	}
}

// TestSyncDaemonWithoutInstance: without an instance both daemons run all
// the time (keepalived's checker starts IPVS_MASTER_BACKUP) with sync id
// 0; the old vrrp_instance form follows its instance; a reload that
// changes the interface restarts the daemon.
func TestSyncDaemonWithoutInstance(t *testing.T) {
	_, fs := syncBed(t, "global_defs {\n    lvs_sync_daemon eth1\n}\n"+seedConf)
	if got := fs.SyncLog(); !slices.Equal(got, []string{"start master eth1 id 0", "start backup eth1 id 0"}) {
		t.Errorf("without inst: %v, want both daemons", got)
	}

	old := `
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    lvs_sync_daemon_interface eth2
    virtual_ipaddress {
        192.0.2.100
    }
}
` + seedConf
	b, fs := syncBed(t, old)
	b.d.VRRPState(vrrp.StateEvent{Instance: "VI_2", State: vrrp.StateMaster})
	b.d.step(b.now)
	if got := fs.SyncLog(); !slices.Equal(got, []string{"start backup eth2 id 52", "stop backup", "start master eth2 id 52"}) {
		t.Errorf("lvs_sync_daemon_interface: %v", got)
	}
	b.d.Reload(load(t, syncConf))
	b.d.step(b.now)
	if got := fs.SyncLog(); !slices.Equal(got, []string{"stop master", "start backup eth1 id 51"}) {
		t.Errorf("reload to eth1 inst VI_1 (not reported MASTER yet): %v", got)
	}
}

// TestSyncDaemonRefusedWithoutIPVS: a backend without sync daemons (the
// nftables one) logs the refusal; nothing panics and the table is still
// programmed.
func TestSyncDaemonRefusedWithoutIPVS(t *testing.T) {
	b := newBed(t, syncConf)
	if !b.d.syncRefused {
		t.Error("lvs_sync_daemon on a backend without sync daemons was not reported")
	}
	if len(b.dests("192.0.2.100:80")) == 0 {
		t.Error("the virtual server was not programmed")
	}
}

// TestTranslateIPVSKeywords: the flag keywords, persistence_engine,
// thresholds, the virtual server's weight, sorry_server_inhibit and
// sorry_server_lvs_method reach the kernel's terms, and the desired table
// keeps an inhibited sorry server at weight 0 while quorum is up.
func TestTranslateIPVSKeywords(t *testing.T) {
	b, _ := syncBed(t, `
virtual_server 192.0.2.100 5060 {
    lb_algo sh
    lb_kind DR
    protocol UDP
    persistence_timeout 60
    persistence_engine sip
    sh-port
    sh-fallback
    mh-port
    ops
    weight 3
    sorry_server 198.18.0.9 5060
    sorry_server_inhibit
    sorry_server_lvs_method NAT
    real_server 198.18.0.2 5060 {
        uthreshold 100
        lthreshold 50
    }
    real_server 198.18.0.3 5060 {
        weight 7
    }
}
`)
	vs := b.d.vss["192.0.2.100:5060/UDP"]
	if vs == nil {
		t.Fatalf("not translated: %v", b.d.vsBad)
	}
	if vs.Flags != lb.FlagSched1|lb.FlagSched2|lb.FlagOnePacket || vs.PEName != "sip" || !vs.SorryInhibit {
		t.Errorf("flags %#x pe %q sorry inhibit %v", vs.Flags, vs.PEName, vs.SorryInhibit)
	}
	if vs.Sorry.Method != lb.NAT {
		t.Errorf("sorry method %s, want NAT (sorry_server_lvs_method)", vs.Sorry.Method)
	}
	r0, r1 := vs.Reals[0], vs.Reals[1]
	if r0.Weight != 3 || r0.UThreshold != 100 || r0.LThreshold != 50 || r1.Weight != 7 || r1.Method != lb.DR {
		t.Errorf("reals %+v %+v, want weight 3 (the VS's) with thresholds 100/50, and weight 7 DR", r0.Dest, r1.Dest)
	}
	ss, _ := b.fake.Services()
	if len(ss) != 1 || ss[0].Flags != vs.Flags || ss[0].PEName != "sip" {
		t.Fatalf("table %+v", ss)
	}
	var sorryW = -1
	for _, d := range ss[0].Dests {
		if d.Addr.String() == "198.18.0.9" {
			sorryW = d.Weight
		}
	}
	if sorryW != 0 {
		t.Errorf("inhibited sorry server weight %d in the table, want 0 while quorum is up", sorryW)
	}
}

// TestLVSTimeoutsRestored: as keepalived's libipvs, the kernel's own
// timeouts are kept before the first change; a timeout left out is set to
// its original value; a reload without lvs_timeouts and the exit restore
// the originals.
func TestLVSTimeoutsRestored(t *testing.T) {
	b, fs := syncBed(t, syncConf)
	orig := lb.Timeouts{TCP: 900 * time.Second, TCPFin: 120 * time.Second, UDP: 300 * time.Second}
	if to, _ := fs.Timeouts(); to != (lb.Timeouts{TCP: 7200 * time.Second, TCPFin: 120 * time.Second, UDP: 60 * time.Second}) {
		t.Fatalf("at start: %+v", to)
	}
	if err := fs.SetTimeouts(lb.Timeouts{TCPFin: 30 * time.Second}); err != nil { // someone else's change
		t.Fatal(err)
	}
	b.d.Reload(load(t, "global_defs {\n    lvs_timeouts udp 90\n}\n"+seedConf))
	b.d.step(b.now)
	if to, _ := fs.Timeouts(); to != (lb.Timeouts{TCP: 900 * time.Second, TCPFin: 120 * time.Second, UDP: 90 * time.Second}) {
		t.Errorf("reload with udp only: %+v, want tcp and tcpfin back at the originals", to)
	}
	b.d.Reload(load(t, seedConf))
	b.d.step(b.now)
	if to, _ := fs.Timeouts(); to != orig {
		t.Errorf("reload without lvs_timeouts: %+v, want the originals %+v", to, orig)
	}
	b.d.Reload(load(t, syncConf))
	b.d.step(b.now)
	b.d.finish()
	if to, _ := fs.Timeouts(); to != orig {
		t.Errorf("after exit: %+v, want the originals %+v", to, orig)
	}

	// Never set: nothing is touched, not even at exit.
	b, fs = syncBed(t, seedConf)
	_ = fs.SetTimeouts(lb.Timeouts{TCP: 5 * time.Second})
	b.d.finish()
	if to, _ := fs.Timeouts(); to.TCP != 5*time.Second {
		t.Errorf("without lvs_timeouts the exit changed the timeouts: %+v", to)
	}
}
