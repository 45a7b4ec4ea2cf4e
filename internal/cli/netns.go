package cli

import (
	"fmt"
	"io"
	"os"

	"gokeepalived/internal/config"
	"gokeepalived/internal/linux/nsexec"
)

// nsEnv marks a gokeepalived that already runs in its network namespace.
const nsEnv = "GOKEEPALIVED_NETNS"

// enterNamespace runs the daemon (and -t) in the network namespace of -s
// or net_namespace, as keepalived does: it executes itself again there,
// since setns moves one thread and a Go program has many. done is true
// when the caller must return code (the exec failed).
func enterNamespace(o Options, args []string, stderr io.Writer, first *firstLoad) (code int, done bool) {
	if os.Getenv(nsEnv) != "" {
		return 0, false // already inside
	}
	ns := o.Namespace
	if ns == "" {
		// The configuration names it: read it quietly (its errors are
		// reported by the real load, inside the namespace or here).
		if cfg, ds := first.load(); cfg != nil && !ds.HasErrors() {
			ns = cfg.Global.NetNamespace
		}
	}
	if ns == "" {
		return 0, false
	}
	argv := append([]string{os.Args[0]}, args...)
	err := nsexec.Exec(ns, argv, append(os.Environ(), nsEnv+"="+ns))
	fmt.Fprintf(stderr, "gokeepalived: cannot run in network namespace %s: %v\n", ns, err)
	return ExitFatal, true
}

// namespaceNote is logged at start inside a namespace.
func namespaceNote(o Options, g *config.Global) string {
	ns := netNamespace(o, g)
	if ns != "" && o.Namespace != "" && g.NetNamespace != "" && g.NetNamespace != o.Namespace {
		return fmt.Sprintf("overriding config net_namespace '%s' with command line namespace '%s'", g.NetNamespace, o.Namespace)
	}
	return ""
}
