package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gokeepalived/test/e2e/netns"
)

// TestFeatureTrackFileInterface: the master (priority 100) tracks a file with weight 1
// (its effective priority is 100 + the integer in the file) and ens34 with weight -20.
// File -5: priority 95, still master (the backup, 90, hears 95). File -15: 85, the backup
// takes over. File 0: 100, the master preempts. ens34 down: 80, the backup takes over;
// up: back. Real keepalived runs the same scenario as the reference (VIP checks only).
func TestFeatureTrackFileInterface(t *testing.T) {
	t.Parallel()
	for _, kind := range bothDaemons {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := newFeatPair(t, "tf", kind, true)
			file := filepath.Join(p.master.Dir, "prio")
			write := func(v string) {
				t.Helper()
				tmp := file + ".tmp"
				if err := os.WriteFile(tmp, []byte(v+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, file); err != nil {
					t.Fatal(err)
				}
			}
			write("0")
			top := fmt.Sprintf("track_file tf {\n    file %s\n    weight 1\n}\n", file)
			extra := "    track_file {\n        tf\n    }\n    track_interface {\n        ens34 weight -20\n    }\n"
			p.startDaemon(t, p.master, featConf("master", "MASTER", 100, "", top, featInst{Extra: extra}), "")
			p.startDaemon(t, p.backup, featConf("backup", "BACKUP", 90, "", "", featInst{}), "")

			// prio: the master's effective priority is want (gokeepalived's status; when it
			// is master, the backup hears it too), and the VIP is on the expected node.
			prio := func(want int, holder *node) func() (bool, string) {
				other := p.backup
				if holder == p.backup {
					other = p.master
				}
				return func() (bool, string) {
					ok, why := holdsAll(p, holder, other, []string{vip}, []string{"VI_1"})()
					if p.master.Sock != "" {
						is, w := instanceOf(p.master, "VI_1")
						ok = ok && w == "" && is.EffectivePriority == want
						if holder == p.master {
							bs, w := instanceOf(p.backup, "VI_1")
							ok = ok && w == "" && bs.MasterPriority == want
							why += fmt.Sprintf("\nbackup hears master priority %d", bs.MasterPriority)
						}
						why += fmt.Sprintf("\nmaster trackers: %+v", is.Trackers)
					}
					return ok, fmt.Sprintf("want master priority %d, VIP on %s: %s", want, holder.Name, why)
				}
			}
			step := func(what string, want int, holder *node, act func()) {
				t.Helper()
				act()
				took := netns.Eventually(t, converge, prio(want, holder))
				t.Logf("%s: %s → priority %d, VIP on %s after %.3fs", kind, what, want, holder.Name, took.Seconds())
			}

			netns.Eventually(t, converge, prio(100, p.master))
			step("file -5", 95, p.master, func() { write("-5") })
			step("file -15", 85, p.backup, func() { write("-15") })
			step("file 0", 100, p.master, func() { write("0") })
			step("ens34 down", 80, p.backup, func() { p.master.LinkDown(ifname2) })
			step("ens34 up", 100, p.master, func() { p.master.LinkUp(ifname2) })
		})
	}
}
