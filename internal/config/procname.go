package config

import "gokeepalived/internal/config/syntax"

// taskCommLen is the kernel's TASK_COMM_LEN: a thread name has at most 15
// characters.
const taskCommLen = 16

// processNameRows are the global_defs keywords naming the process and its
// threads. keepalived names each child process (prctl PR_SET_NAME);
// gokeepalived is one process: process_name names it (/proc/PID/comm),
// vrrp_process_name the VRRP loop and socket reader threads
// (/proc/PID/task/TID/comm); the checkers are goroutines without threads
// of their own, so checker_process_name only warns.
func processNameRows() []*Keyword {
	name := func(kw string, f func(*Global) *string) *Keyword {
		k := set(str(kw), func(b *builder, g *Global, n *syntax.Node) {
			v := n.Args[0].Text
			if len(v) >= taskCommLen {
				// keepalived: "Process name %s more than 15 characters, truncating" (a configuration error).
				b.ds.Errorf(n.Args[0].Pos, "%s '%s' is longer than %d characters (the kernel's limit for a process name)", kw, v, taskCommLen-1)
				return
			}
			if kw == "checker_process_name" || kw == "lvs_process_name" {
				b.ds.Warnf(n.Pos, "%s has no effect in gokeepalived: the checkers run as goroutines on shared threads, "+
					"not in a process of their own (see docs/migration.md, Process knobs)", kw)
			}
			*f(g) = v
		})
		return show(k, func(d *dumper, i int, g *Global) {
			if *f(g) != "" {
				d.kv(i, kw, *f(g))
			}
		})
	}
	checker := func(g *Global) *string { return &g.CheckerProcessName }
	return []*Keyword{
		show(set(flag("process_names"), func(b *builder, g *Global, n *syntax.Node) {
			// keepalived's defaults for the children; the parent keeps its name.
			g.VRRPProcessName, g.CheckerProcessName = "keepalived_vrrp", "keepalived_lvs"
		}), func(d *dumper, i int, g *Global) {}),
		name("process_name", func(g *Global) *string { return &g.ProcessName }),
		name("vrrp_process_name", func(g *Global) *string { return &g.VRRPProcessName }),
		name("checker_process_name", checker),
		name("lvs_process_name", checker).alias("checker_process_name", "'lvs_process_name' is deprecated; use 'checker_process_name'"),
	}
}
