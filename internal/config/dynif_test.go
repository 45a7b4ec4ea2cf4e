package config

import (
	"strings"
	"testing"

	"gokeepalived/internal/config/syntax"
)

// dynamic_interfaces turns a missing VRRP interface from an error into a
// warning at -t and start (keepalived logs "doesn't exist" and waits);
// without it the configuration is refused, as before. A checker's bind_if
// stays an error either way.
func TestDynamicInterfacesHostCheck(t *testing.T) {
	const inst = `vrrp_instance VI_1 {
    interface gkdyn0
    virtual_router_id 51
    track_interface {
        gkdyn1
    }
    virtual_ipaddress {
        192.0.2.100/24 dev gkdyn2
    }
}
`
	for _, tc := range []struct {
		global     string
		errs, warn int
	}{
		{"", 3, 0},
		{"global_defs {\n    dynamic_interfaces\n}\n", 0, 3},
		{"global_defs {\n    dynamic_interfaces allow_if_changes\n}\n", 0, 3},
	} {
		cfg, ds := LoadBytes("t.conf", []byte(tc.global+inst), LoadOptions{})
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		ds = CheckHost(cfg, []string{"lo", "eth0"})
		var errs, warns int
		for _, d := range ds {
			if !strings.Contains(d.Msg, "gkdyn") {
				continue
			}
			if d.Severity == syntax.SevError {
				errs++
			} else {
				warns++
			}
		}
		if errs != tc.errs || warns != tc.warn {
			t.Errorf("%q: %d errors %d warnings, want %d and %d:\n%v", tc.global, errs, warns, tc.errs, tc.warn, ds)
		}
	}
}

// The model and dump of the keywords of this part (issue 11): every
// argument form keepalived 2.2.7 takes.
func TestDynamicReloadBufsModel(t *testing.T) {
	cfg, ds := LoadBytes("t.conf", []byte(`namespace_with_ipsets
global_defs {
    dynamic_interfaces allow_if_changes
    reload_time_file /run/gk-reload-time
    reload_repeat
    reload_file
    vrrp_netlink_cmd_rcv_bufs 1048576
    vrrp_netlink_cmd_rcv_bufs_force
    vrrp_netlink_monitor_rcv_bufs 0
    vrrp_netlink_monitor_rcv_bufs_force false
    process_monitor_rcv_bufs 500000
    vrrp_rx_bufs_policy advert
    vrrp_rx_bufs_multiplier 4
}
`), LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	g := cfg.Global
	want := Global{}
	want.DynamicInterfaces, want.AllowIfChanges = true, true
	want.ReloadTimeFile, want.ReloadRepeat, want.ReloadFileSet = "/run/gk-reload-time", true, true
	want.VRRPNetlinkCmdBufs = NetlinkBufs{Bytes: 1048576, Force: true}
	want.ProcessMonitorBufs = NetlinkBufs{Bytes: 500000}
	want.RxBufsPolicy, want.RxBufsMultiplier = RxBufsAdvert, 4
	want.NamespaceWithIpsets = true
	got := Global{DynamicInterfaces: g.DynamicInterfaces, AllowIfChanges: g.AllowIfChanges, ReloadTimeFile: g.ReloadTimeFile,
		ReloadRepeat: g.ReloadRepeat, ReloadFile: g.ReloadFile, ReloadFileSet: g.ReloadFileSet, VRRPNetlinkCmdBufs: g.VRRPNetlinkCmdBufs,
		VRRPNetlinkMonitorBufs: g.VRRPNetlinkMonitorBufs, ProcessMonitorBufs: g.ProcessMonitorBufs, RxBufsPolicy: g.RxBufsPolicy,
		RxBufsBytes: g.RxBufsBytes, RxBufsMultiplier: g.RxBufsMultiplier, NamespaceWithIpsets: g.NamespaceWithIpsets}
	if got.DynamicInterfaces != want.DynamicInterfaces || got.AllowIfChanges != want.AllowIfChanges ||
		got.ReloadTimeFile != want.ReloadTimeFile || got.ReloadRepeat != want.ReloadRepeat || got.ReloadFileSet != want.ReloadFileSet ||
		got.ReloadFile != "" || got.VRRPNetlinkCmdBufs != want.VRRPNetlinkCmdBufs || got.VRRPNetlinkMonitorBufs != (NetlinkBufs{}) ||
		got.ProcessMonitorBufs != want.ProcessMonitorBufs || got.RxBufsPolicy != want.RxBufsPolicy || got.RxBufsMultiplier != 4 ||
		!got.NamespaceWithIpsets {
		t.Errorf("model %+v", got)
	}
	var warned []string
	for _, d := range ds {
		warned = append(warned, d.Msg)
	}
	for _, w := range []string{"namespace_with_ipsets has no effect", "process_monitor_rcv_bufs: gokeepalived has no process-event"} {
		if !strings.Contains(strings.Join(warned, "\n"), w) {
			t.Errorf("no warning %q in %q", w, warned)
		}
	}
	for _, tc := range []struct {
		line, policy string
		bytes        int
	}{
		{"vrrp_rx_bufs_policy MTU", RxBufsMTU, 0},
		{"vrrp_rx_bufs_policy 65536", RxBufsSize, 65536},
	} {
		cfg, ds := LoadBytes("t.conf", []byte("global_defs {\n    "+tc.line+"\n}\n"), LoadOptions{})
		if ds.HasErrors() || cfg.Global.RxBufsPolicy != tc.policy || cfg.Global.RxBufsBytes != tc.bytes {
			t.Errorf("%s: %s %d %v", tc.line, cfg.Global.RxBufsPolicy, cfg.Global.RxBufsBytes, ds)
		}
	}
	if _, ds := LoadBytes("t.conf", []byte("global_defs {\n    vrrp_rx_bufs_policy lots\n}\n"), LoadOptions{}); !ds.HasErrors() ||
		!strings.Contains(ds.Error(), "t.conf:2:25") {
		t.Errorf("vrrp_rx_bufs_policy lots: %v, want an error at its argument", ds)
	}
	if cfg, _ := LoadBytes("t.conf", []byte("global_defs {\n}\n"), LoadOptions{}); cfg.Global.RxBufsMultiplier != 3 {
		t.Errorf("default vrrp_rx_bufs_multiplier %d, want keepalived's 3", cfg.Global.RxBufsMultiplier)
	}
}
