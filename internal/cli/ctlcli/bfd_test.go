package ctlcli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"gokeepalived/internal/ctl"
)

// gokeepalivedctl status shows the BFD sessions, in the table and in JSON.
func TestStatusBFD(t *testing.T) {
	st := &ctl.Status{PID: 1, BFD: &ctl.BFDStatus{Sessions: []ctl.BFDSessionStatus{{Name: "to-r1", Remote: "192.0.2.2",
		State: "Up", RemoteState: "Up", LocalDiscr: 5, RemoteDiscr: 9, LocalDiag: "No Diagnostic", TxIntervalUS: 50000,
		RxIntervalUS: 50000, DetectionTimeUS: 150000, Ups: 1, PacketsReceived: 3, PacketsSent: 4}}}}
	f := startFake(t, func(ctl.Request) ctl.Response { return ctl.Response{Status: st} })
	code, out, errOut := run(context.Background(), "--socket", f.sock, "status")
	if code != ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"BFD SESSION", "to-r1", "5/9", "50ms", "150ms", "3/4"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(context.Background(), "--socket", f.sock, "--json", "status")
	var got ctl.Status
	if code != ExitOK || json.Unmarshal([]byte(out), &got) != nil || got.BFD == nil || got.BFD.Sessions[0].RemoteDiscr != 9 {
		t.Errorf("--json: exit %d, %q", code, out)
	}
}
