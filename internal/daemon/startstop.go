package daemon

import (
	"context"
	"log/slog"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/notify"
)

// RunStartupScript runs global_defs startup_script, if any, and waits for
// it, at most startup_script_timeout (then its process group is killed).
// keepalived runs it before it starts its children and starts them
// whatever the script's outcome; the caller does the same with the VRRP
// and LVS runtimes. It returns the result (nil without a script).
func RunStartupScript(ctx context.Context, cfg *config.Config, log *slog.Logger) *notify.Result {
	g := &cfg.Global
	return runStartStop(ctx, "startup_script", g.StartupScript, g.StartupScriptTimeout, g, log)
}

// RunShutdownScript is RunStartupScript for shutdown_script, which the
// caller runs once the runtimes have stopped.
func RunShutdownScript(ctx context.Context, cfg *config.Config, log *slog.Logger) *notify.Result {
	g := &cfg.Global
	return runStartStop(ctx, "shutdown_script", g.ShutdownScript, g.ShutdownScriptTimeout, g, log)
}

func runStartStop(ctx context.Context, kw string, ref *config.ScriptRef, timeout time.Duration, g *config.Global, log *slog.Logger) *notify.Result {
	if ref == nil {
		return nil
	}
	s, err := makeScript(ref, g)
	if err != nil {
		log.Error(kw+" not run", "err", err)
		return &notify.Result{ExitCode: -1, Err: err}
	}
	log.Info("running "+kw, "script", s.String(), "timeout", timeout)
	x := &notify.Exec{Security: g.EnableScriptSecurity}
	r := x.Run(ctx, s, timeout)
	if r.Err != nil {
		log.Warn(kw+" failed", "script", s.String(), "exit", r.ExitCode, "err", r.Err, "took", r.Duration)
	} else {
		log.Info(kw+" succeeded", "script", s.String(), "took", r.Duration)
	}
	return &r
}
