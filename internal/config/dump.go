package config

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Dump writes a readable, normalised view of the model (every default
// applied) for `gokeepalived -d`. The layout is stable so that it can be
// compared in tests and between runs.
//
// Each keyword's row in the table prints what the model holds for it
// (rows.go); this file holds the shared formatting.
func Dump(w io.Writer, c *Config) error {
	d := &dumper{w: w}
	d.rows(0, Table().Root, c)
	return d.err
}

type dumper struct {
	w   io.Writer
	err error
}

func (d *dumper) line(indent int, format string, args ...any) {
	if d.err != nil {
		return
	}
	_, d.err = fmt.Fprintf(d.w, "%s%s\n", strings.Repeat("  ", indent), strings.TrimRight(fmt.Sprintf(format, args...), " "))
}

func (d *dumper) kv(indent int, k string, v any) {
	if dd, ok := v.(time.Duration); ok {
		v = fmtDur(dd)
	}
	d.line(indent, "%s %v", k, v)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func weightStr(w int, rev bool) string {
	if rev {
		return fmt.Sprintf("%d reverse", w)
	}
	return fmt.Sprint(w)
}

// block prints a header line and the block's keywords below it.
func (d *dumper) block(i int, header string, spec *BlockSpec, obj any) {
	d.line(i, "%s", header)
	d.rows(i+1, spec, obj)
}

func (d *dumper) tracks(i int, name string, ts []Track) {
	for _, t := range ts {
		w := "(default)"
		if t.HasWeight {
			w = weightStr(t.Weight, t.Reverse)
		}
		d.line(i, "%s %s weight %s", name, t.Name, w)
	}
}

// script prints a script keyword that is set: argv, user, group.
func (d *dumper) script(i int, name string, r *ScriptRef) {
	if r != nil {
		d.kv(i, name, strings.TrimSpace(strings.Join(r.Args, " ")+" "+r.User+" "+r.Group))
	}
}

func (d *dumper) instance(i int, v *Instance) {
	d.block(i, "vrrp_instance "+v.Name+"  # "+v.Pos.String(), spec("vrrp_instance"), v)
	if v.SyncGroup != "" {
		d.kv(i+1, "sync_group", v.SyncGroup)
	}
}

func (d *dumper) vsGroup(i int, g *VirtualServerGroup) {
	d.line(i, "virtual_server_group %s  # %s", g.Name, g.Pos)
	for _, e := range g.Entries {
		if e.FWMark != 0 {
			d.line(i+1, "fwmark %d %s", e.FWMark, e.Family)
		} else {
			d.line(i+1, "%s-%s port %d", e.First, e.Last, e.Port)
		}
	}
}

func vipString(ip VIP) string {
	var b strings.Builder
	b.WriteString(ip.Prefix.String())
	if ip.Broadcast.IsValid() {
		fmt.Fprintf(&b, " brd %s", ip.Broadcast)
	}
	scope := ""
	if ip.Scope != ScopeGlobal {
		scope = ip.Scope.String()
	}
	for _, o := range []struct{ k, v string }{{"dev", ip.Dev}, {"scope", scope}, {"label", ip.Label}, {"preferred_lft", ip.PreferredLft}} {
		if o.v != "" {
			fmt.Fprintf(&b, " %s %s", o.k, o.v)
		}
	}
	if ip.Peer.IsValid() {
		fmt.Fprintf(&b, " peer %s", ip.Peer)
	}
	if ip.TrackGroup != "" {
		fmt.Fprintf(&b, " track_group %s", ip.TrackGroup)
	}
	for _, f := range []struct {
		k string
		v bool
	}{{"home", ip.Home}, {"-nodad", ip.NoDAD}, {"mngtmpaddr", ip.MngTmpAddr}, {"noprefixroute", ip.NoPrefixRoute}, {"autojoin", ip.AutoJoin}, {"no_track", ip.NoTrack}, {"use_vmac", ip.UseVMAC}} {
		if f.v {
			b.WriteString(" " + f.k)
		}
	}
	return b.String()
}
