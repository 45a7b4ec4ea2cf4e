package director

import (
	"fmt"
	"slices"
	"strings"
	"testing"

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
