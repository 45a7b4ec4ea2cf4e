package ctl

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCallServeRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "ctl.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v, want 0600", fi.Mode().Perm())
	}
	want := &Status{PID: 42, ConfigFile: "/etc/keepalived/keepalived.conf", Instances: []InstanceStatus{{
		Name: "VI_1", Interface: "ens33", VRID: 51, Family: "ipv4", Version: 2, State: "MASTER",
		BasePriority: 100, EffectivePriority: 100, VIPs: []string{"192.0.2.100/32"}, VIPsHeld: true,
		Counters: map[string]uint64{"adverts_sent": 7},
	}}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, l, func(_ context.Context, req Request) Response {
			switch req.Cmd {
			case CmdStatus:
				return Response{Status: want}
			default:
				return Response{Error: "unknown command " + req.Cmd}
			}
		})
	}()
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ccancel()
	resp, err := Call(cctx, path, Request{Cmd: CmdStatus})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, resp.Status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if _, err := Call(cctx, path, Request{Cmd: "bogus"}); err == nil || err.Error() != "unknown command bogus" {
		t.Errorf("bogus command error = %v", err)
	}
	// A second daemon must not steal a live socket.
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second Listen error = %v, want in use", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve returned %v", err)
	}
}

func TestCallNoDaemon(t *testing.T) {
	_, err := Call(context.Background(), filepath.Join(t.TempDir(), "none.sock"), Request{Cmd: CmdStatus})
	if err == nil || !strings.Contains(err.Error(), "is the daemon running?") {
		t.Errorf("error = %v", err)
	}
}

func TestWriteTable(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 1, 500e6, time.UTC)
	s := &Status{Instances: []InstanceStatus{{
		Name: "VI_1", Interface: "ens33", VRID: 51, Family: "ipv4", State: "BACKUP",
		BasePriority: 90, EffectivePriority: 70, Master: "192.0.2.1", MasterPriority: 100, LastAdvertAge: "0.4s",
		VIPs:           []string{"192.0.2.100/32"},
		LastTransition: &Transition{From: "INIT", To: "BACKUP", Reason: "startup", At: at},
		Drops:          map[string]uint64{"ttl": 2, "auth": 1},
		Warnings:       []string{"split brain suspected"},
	}}}
	var b bytes.Buffer
	if err := WriteTable(&b, s); err != nil {
		t.Fatal(err)
	}
	want := `INSTANCE  IFACE  VRID  AF    STATE   PRIO          MASTER                LAST ADVERT  VIPS
VI_1      ens33  51    ipv4  BACKUP  70 (base 90)  192.0.2.1 (prio 100)  0.4s ago     192.0.2.100/32
VI_1: INIT -> BACKUP at 12:00:01.500: startup
VI_1: WARNING: split brain suspected
VI_1: dropped packets: auth=1 ttl=2
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}
