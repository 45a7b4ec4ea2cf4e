package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gokeepalived/internal/notify"
)

// TestStartupShutdownScripts: startup_script and shutdown_script run with
// their arguments and the configured user; a script that outlives its
// timeout is killed and reported; without one nothing runs.
func TestStartupShutdownScripts(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "s.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" >> "+out+"\n[ \"$1\" = slow ] && sleep 30\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, fmt.Sprintf(`global_defs {
    startup_script "%[1]s up"
    shutdown_script "%[1]s slow"
    shutdown_script_timeout 1
}
`, script)+oneInstance)
	log := slog.New(slog.DiscardHandler)
	if r := RunStartupScript(context.Background(), cfg, log); r == nil || r.Err != nil || r.ExitCode != 0 {
		t.Fatalf("startup_script: %+v", r)
	}
	r := RunShutdownScript(context.Background(), cfg, log)
	if r == nil || !errors.Is(r.Err, notify.ErrScriptTimeout) {
		t.Fatalf("shutdown_script past its 1 s timeout: %+v, want a timeout", r)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "up slow" {
		t.Errorf("scripts ran with %q, want up then slow", got)
	}
	if cfg.Global.StartupScriptTimeout.Seconds() != 10 {
		t.Errorf("startup_script_timeout default %v, want 10s", cfg.Global.StartupScriptTimeout)
	}
	if r := RunStartupScript(context.Background(), load(t, oneInstance), log); r != nil {
		t.Errorf("no startup_script, yet %+v", r)
	}
}
