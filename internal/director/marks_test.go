package director

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/lbtest"
)

// markFake is the lbtest table with nftables_ipvs's marks (lb.Marker).
type markFake struct {
	*lbtest.Fake
	log []string // "set NAME prio N: ranges" / "remove NAME"
}

func (m *markFake) SetMarks(mt lb.MarkTable) error {
	var rs []string
	for _, r := range mt.Ranges {
		rs = append(rs, rangeString(r))
	}
	m.log = append(m.log, fmt.Sprintf("set %s prio %d: %s", mt.Name, mt.Priority, strings.Join(rs, ", ")))
	return nil
}

func (m *markFake) RemoveMarks(name string) error {
	m.log = append(m.log, "remove "+name)
	return nil
}

const marksConf = `
global_defs {
    nftables_ipvs_start_fwmark 2000
    nftables_ipvs
    nftables_ipvs_priority -5
}
virtual_server_group web {
    192.0.2.10-19 80
    2001:db8::10-1f 80
}
virtual_server_group dns {
    192.0.2.53 53
}
virtual_server_group marked {
    fwmark 9
}
virtual_server group web {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.2 8080 {
    }
}
virtual_server group dns {
    lb_algo rr
    lb_kind NAT
    protocol UDP
    real_server 198.18.0.2 5353 {
    }
}
virtual_server group marked {
    lb_algo rr
    lb_kind NAT
    real_server 198.18.0.3 {
    }
}
`

// TestTranslateNFTablesIPVS: with nftables_ipvs a group of ranges becomes
// one fwmark service per family (and protocol), marks given from
// nftables_ipvs_start_fwmark in configuration order (the start written
// before nftables_ipvs is reset to 1000 by it, as in keepalived); a group with a
// fwmark entry keeps its services. The director writes the table at
// start, rewrites it when a reload changes it, and removes it at exit.
func TestTranslateNFTablesIPVS(t *testing.T) {
	cfg := load(t, marksConf)
	marks := Marks(cfg)
	want := GroupMarks{{"web", lb.TCP}: 1000, {"dns", lb.UDP}: 1001}
	if diff := cmp.Diff(want, marks); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
	tcp, err := VirtualServer(cfg.VirtualServers[0], cfg.VirtualServerGroups, marks)
	if err != nil {
		t.Fatal(err)
	}
	if want := []lb.Key{{FWMark: 1000, Family: lb.Inet}, {FWMark: 1000, Family: lb.Inet6}}; !slices.Equal(tcp.Keys, want) {
		t.Errorf("TCP keys %v, want %v", tcp.Keys, want)
	}
	if fw, _ := VirtualServer(cfg.VirtualServers[2], cfg.VirtualServerGroups, marks); len(fw.Keys) != 1 || fw.Keys[0].FWMark != 9 {
		t.Errorf("group with a fwmark entry: keys %v, want its own fwmark 9", fw.Keys)
	}
	if plain, _ := VirtualServer(cfg.VirtualServers[0], cfg.VirtualServerGroups, nil); len(plain.Keys) != 10+16 {
		t.Errorf("without nftables_ipvs: %d services, want one per address (26)", len(plain.Keys))
	}

	mf := &markFake{Fake: lbtest.New()}
	b := newBed(t, marksConf, func(_ *Options, fb *fakeBackend) { fb.table = mf })
	wantSet := "set keepalived_ipvs prio -5: TCP 192.0.2.10-192.0.2.19 port 80 mark 1000, TCP 2001:db8::10-2001:db8::1f port 80 mark 1000, " +
		"UDP 192.0.2.53 port 53 mark 1001"
	if !slices.Equal(mf.log, []string{wantSet}) {
		t.Errorf("at start:\n  %s\nwant\n  %s", strings.Join(mf.log, "\n  "), wantSet)
	}
	ss, _ := mf.Services()
	var keys []string
	for _, s := range ss {
		keys = append(keys, s.Key.String())
	}
	if want := []string{"FWM 9 inet", "FWM 1000 inet", "FWM 1000 inet6", "FWM 1001 inet"}; !slices.Equal(keys, want) {
		t.Errorf("services %v, want %v", keys, want)
	}
	// A reload that changes nothing writes nothing; one that renames the
	// table removes the old one first.
	b.d.Reload(load(t, marksConf))
	b.advance(0)
	if len(mf.log) != 1 {
		t.Errorf("unchanged reload wrote marks: %v", mf.log[1:])
	}
	b.d.Reload(load(t, strings.Replace(marksConf, "    nftables_ipvs\n", "    nftables_ipvs gk_marks\n", 1)))
	b.advance(0)
	if got := mf.log[1:]; len(got) != 2 || got[0] != "remove keepalived_ipvs" || !strings.HasPrefix(got[1], "set gk_marks prio -5: ") {
		t.Errorf("renaming reload: %v", got)
	}
	b.d.finish()
	if last := mf.log[len(mf.log)-1]; last != "remove gk_marks" {
		t.Errorf("at exit: %q, want the table removed", last)
	}
}

// bufFake records SetRcvBufs (lb.RcvBufSetter).
type bufFake struct {
	*lbtest.Fake
	set []lb.OpenOptions
}

func (b *bufFake) SetRcvBufs(cmd, mon lb.RcvBuf) error {
	b.set = append(b.set, lb.OpenOptions{Cmd: cmd, Monitor: mon})
	return nil
}

// TestOpenOptions: the backend is opened with net_namespace_ipvs's
// namespace and the lvs_netlink buffer sizes; a reload's new sizes reach the
// open backend, a new namespace does not (a restart is needed, as in
// keepalived).
func TestOpenOptions(t *testing.T) {
	conf := `
net_namespace_ipvs blue
global_defs {
    lvs_netlink_cmd_rcv_bufs 1048576
    lvs_netlink_cmd_rcv_bufs_force
    lvs_netlink_monitor_rcv_bufs 65536
}
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.2 80 {
    }
}
`
	var got []lb.OpenOptions
	bf := &bufFake{Fake: lbtest.New()}
	b := &bed{t: t, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} // the clock
	d := New(Options{Open: func(_ string, o lb.OpenOptions) (Backend, error) {
		got = append(got, o)
		return &fakeBackend{Fake: bf.Fake, name: "fake", table: bf}, nil
	}, Clock: b, Prober: inlineProber{}})
	if err := d.start(b.now, load(t, conf)); err != nil {
		t.Fatal(err)
	}
	want := lb.OpenOptions{NetNS: "/var/run/netns/blue", Cmd: lb.RcvBuf{Bytes: 1 << 20, Force: true}, Monitor: lb.RcvBuf{Bytes: 65536}}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("opened with %+v, want %+v", got, want)
	}
	bf.set = nil
	d.reload(b.now, load(t, strings.Replace(strings.Replace(conf, "blue", "red", 1), "65536", "131072", 1)))
	if len(bf.set) != 1 || bf.set[0].Monitor.Bytes != 131072 || bf.set[0].Cmd != want.Cmd {
		t.Errorf("reload set %+v, want the new monitor size", bf.set)
	}
	if len(got) != 1 || d.openOpts.NetNS != "/var/run/netns/blue" {
		t.Errorf("the namespace changed without a restart: opens %d, running in %q", len(got), d.openOpts.NetNS)
	}
	d.reload(b.now, load(t, strings.Replace(conf, "blue", "red", 1)))
	if len(bf.set) != 2 || bf.set[1].Monitor.Bytes != 65536 {
		t.Errorf("second reload set %+v", bf.set)
	}
	d.finish()
}
