package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/dbusapi/dbustest"
	"gokeepalived/test/e2e/netns"
)

// dbusRecords is what one daemon showed on its bus, with its instance
// name (global `instance`, which keepalived puts into every path)
// replaced by INST.
type dbusRecords struct {
	Tree       []string          // object paths (busctl tree)
	Members    map[string]string // path -> the keepalived interface's members (busctl introspect)
	Props      []string          // property reads, in order
	Signals    []string          // path member body, in order
	Files      []string          // dump files the methods wrote, by name
	StatsClear string            // "Became master" in the stats dump after PrintStatsClear
}

// TestDBusDifferential: keepalived and gokeepalived run the same pair
// configuration with enable_dbus on the backup node, each against its own
// private dbus-daemon (a system-type bus; DBUS_SYSTEM_BUS_ADDRESS points
// the daemon at it). A client on the bus records what each daemon shows:
// the object tree, the interfaces' members, the Name and State properties
// as BACKUP and, after the master stops, as MASTER, the signals in order
// (VrrpStarted, VrrpStatusChange at start and on becoming MASTER,
// VrrpReloaded after the ReloadConfig method, VrrpStatusChange(98) and
// VrrpStopped on SIGTERM), and the dump files PrintData and PrintStats
// write. Every record must read the same from both daemons.
func TestDBusDifferential(t *testing.T) {
	dbustest.Need(t, "dbus-daemon", "busctl")
	got := runBoth(t, dbusScenario)
	k, g := got["keepalived"], got["gokeepalived"]
	if k.Tree == nil || g.Tree == nil {
		t.Skip("one daemon's run failed: no comparison")
	}
	same := func(what string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s differ:\nkeepalived   %q\ngokeepalived %q", what, a, b)
		}
	}
	same("object trees", k.Tree, g.Tree)
	same("interface members", k.Members, g.Members)
	same("properties", k.Props, g.Props)
	same("signals", k.Signals, g.Signals)
	same("dump files", k.Files, g.Files)
	same("stats after PrintStatsClear", k.StatsClear, g.StatsClear)
	t.Logf("both daemons showed %d objects, %d property reads and %d signals alike", len(g.Tree), len(g.Props), len(g.Signals))
}

func dbusScenario(t *testing.T, kind string) dbusRecords {
	bus := dbustest.Start(t)
	client := bus.Connect(t)
	sigs := dbustest.Signals(t, client, "/org/keepalived/Vrrp1")
	p := newFeatPair(t, "dbus", kind, false)
	inst := fmt.Sprintf("gkdbus%s%d", kind[:2], os.Getpid())
	// The backup node runs the daemon through a wrapper that points it at
	// the private bus, and its dump files ($TMPDIR, as keepalived) at a
	// directory of its own.
	tmp := p.backup.Node.Dir("tmp")
	bin := netns.KeepalivedBin
	if kind == "gokeepalived" {
		var err error
		if bin, err = netns.GokeepalivedBinary(); err != nil {
			t.Fatal(err)
		}
	}
	wrapper := filepath.Join(p.backup.Dir, "with-bus.sh")
	if err := os.WriteFile(wrapper, []byte(fmt.Sprintf("#!/bin/sh\nDBUS_SYSTEM_BUS_ADDRESS='%s' TMPDIR='%s' exec %s \"$@\"\n", bus.Address, tmp, bin)), 0o755); err != nil {
		t.Fatal(err)
	}
	p.startDaemon(t, p.master, featConf("dbus-m", "MASTER", 150, "", "", featInst{}), "")
	netns.Eventually(t, converge, func() (bool, string) {
		return p.master.HasAddr(vip), "the VIP on the master:\n" + lastLines(p.master.D.Logs(), 12)
	})
	top := fmt.Sprintf("instance %s\n", inst)
	p.startDaemon(t, p.backup, featConf("dbus-b", "BACKUP", 100, "    enable_dbus\n    data_use_instance\n", top, featInst{}), wrapper)

	var r dbusRecords
	norm := func(s string) string { return strings.ReplaceAll(s, inst, "INST") }
	root := "/org/keepalived/Vrrp1/" + inst
	ipath := root + "/Instance/" + ifname + "/51/IPv4"
	vpath := root + "/Vrrp"
	prop := func(name string) string {
		out, err := bus.Busctl("get-property", "org.keepalived.Vrrp1", ipath, "org.keepalived.Vrrp1.Instance", name)
		if err != nil {
			return "error: " + strings.TrimSpace(out)
		}
		return name + " " + strings.TrimSpace(out)
	}
	call := func(path, iface, method string) {
		t.Helper()
		if out, err := bus.Busctl("call", "org.keepalived.Vrrp1", path, iface, method); err != nil {
			t.Errorf("%s.%s on %s: %v: %s", iface, method, path, err, out)
		}
	}
	var seen []string
	// waitSignal reads signals until one matching want (path member body) arrives.
	waitSignal := func(want string) {
		t.Helper()
		deadline := time.After(converge)
		for {
			select {
			case s := <-sigs:
				if strings.HasPrefix(s.Name, "org.freedesktop.DBus.") {
					continue
				}
				line := norm(fmt.Sprintf("%s %s %v", s.Path, s.Name, s.Body))
				seen = append(seen, line)
				if line == norm(want) {
					return
				}
			case <-deadline:
				t.Fatalf("no signal %q within %s; seen %q\n%s", want, converge, seen, lastLines(p.backup.D.Logs(), 15))
			}
		}
	}
	started := vpath + " org.keepalived.Vrrp1.Vrrp.VrrpStarted []"
	waitSignal(started)
	netns.Eventually(t, converge, func() (bool, string) {
		s := prop("State")
		return s == `State (us) 1 "Backup"`, "backup State property: " + s
	})
	tree, err := bus.Busctl("tree", "--list", "org.keepalived.Vrrp1")
	if err != nil {
		t.Fatalf("busctl tree: %v: %s", err, tree)
	}
	r.Tree = strings.Fields(norm(tree))
	r.Members = map[string]string{}
	member := regexp.MustCompile(`^\.(\S+)\s+(method|property|signal)\s+(\S+)\s+(\S+)`)
	for _, path := range []string{vpath, ipath} {
		out, err := bus.Busctl("introspect", "org.keepalived.Vrrp1", path)
		if err != nil {
			t.Fatalf("busctl introspect %s: %v: %s", path, err, out)
		}
		var ms []string
		in := false
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "org.") {
				in = strings.HasPrefix(l, "org.keepalived.")
				continue
			}
			if m := member.FindStringSubmatch(l); in && m != nil {
				ms = append(ms, strings.Join(m[1:], " "))
			}
		}
		slices.Sort(ms)
		r.Members[norm(path)] = strings.Join(ms, "; ")
	}
	r.Props = append(r.Props, prop("Name"), prop("State"))

	// The master stops: the backup takes over and says so.
	if err := p.master.D.Stop(); err != nil {
		t.Fatal(err)
	}
	waitSignal(ipath + " org.keepalived.Vrrp1.Instance.VrrpStatusChange [2]")
	r.Props = append(r.Props, prop("State"))
	netns.Eventually(t, converge, p.holders("the backup (now master)", false, true))

	// Methods.
	call(ipath, "org.keepalived.Vrrp1.Instance", "SendGarp")
	call(vpath, "org.keepalived.Vrrp1.Vrrp", "PrintData")
	call(vpath, "org.keepalived.Vrrp1.Vrrp", "PrintStatsClear")
	call(vpath, "org.keepalived.Vrrp1.Vrrp", "PrintStats")
	netns.Eventually(t, converge, func() (bool, string) {
		var missing []string
		r.Files = nil
		for _, name := range []string{"keepalived." + inst + ".data", "keepalived.stats"} {
			path := filepath.Join(tmp, name)
			if _, err := os.Stat(path); err != nil {
				missing = append(missing, path)
			} else {
				r.Files = append(r.Files, norm(filepath.Base(path)))
			}
		}
		return len(missing) == 0, fmt.Sprintf("dump files missing: %v", missing)
	})
	stats, _ := os.ReadFile(filepath.Join(tmp, "keepalived.stats"))
	if m := regexp.MustCompile(`Became master: (\d+)`).FindStringSubmatch(string(stats)); m != nil {
		r.StatsClear = "Became master: " + m[1]
	} else {
		t.Errorf("no 'Became master' in the stats dump:\n%s", stats)
	}
	call(vpath, "org.keepalived.Vrrp1.Vrrp", "ReloadConfig")
	waitSignal(vpath + " org.keepalived.Vrrp1.Vrrp.VrrpReloaded []")

	// Stop: the instance's STOP state, then VrrpStopped.
	if err := p.backup.D.(interface{ Signal(syscall.Signal) error }).Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitSignal(vpath + " org.keepalived.Vrrp1.Vrrp.VrrpStopped []")
	r.Signals = seen
	if i := slices.Index(seen, norm(started)); i != 0 {
		t.Errorf("VrrpStarted is signal %d of %q", i, seen)
	}
	return r
}
