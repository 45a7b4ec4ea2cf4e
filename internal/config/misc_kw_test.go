package config

import (
	"strings"
	"testing"
	"time"
)

// TestGlobalMiscKeywords: vrrp_down_timer_adverts, umask, random_seed,
// child_wait_time and the instance's debug, with keepalived's forms.
func TestGlobalMiscKeywords(t *testing.T) {
	cfg := load(t, `child_wait_time 7
global_defs {
    vrrp_down_timer_adverts 5
    umask IWGRP|IWOTH |IXOTH
}
vrrp_instance A {
    interface eth0
    virtual_router_id 1
    debug 2
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_instance B {
    interface eth0
    virtual_router_id 2
    down_timer_adverts 4
    virtual_ipaddress {
        192.0.2.2
    }
}
`)
	a, b := cfg.Instances[0], cfg.Instances[1]
	if a.DownTimerAdverts != 5 || b.DownTimerAdverts != 4 {
		t.Errorf("down_timer_adverts: A %d (want the global 5), B %d (want its own 4)", a.DownTimerAdverts, b.DownTimerAdverts)
	}
	if cfg.Global.Umask != 0o23 || a.Debug != 2 || cfg.Global.ChildWaitTime != 7*time.Second {
		t.Errorf("umask %#o (want 023), debug %d, child_wait_time %v", cfg.Global.Umask, a.Debug, cfg.Global.ChildWaitTime)
	}
	if def := load(t, ""); def.Global.Umask != -1 || def.Global.DownTimerAdverts != 3 {
		t.Errorf("defaults: umask %d, vrrp_down_timer_adverts %d", def.Global.Umask, def.Global.DownTimerAdverts)
	}
	for text, want := range map[string]int{"0022": 0o22, "077": 0o77, "IRWXU": -2, "IWGRP|IWOTH": 0o22, "IWGRP |IWOTH": 0o22} {
		m, err := parseUmask(strings.Fields(text))
		if want == -2 {
			if err == nil {
				t.Errorf("umask %q accepted (%#o)", text, m)
			}
			continue
		}
		if err != nil || m != want {
			t.Errorf("umask %q = %#o, %v; want %#o", text, m, err, want)
		}
	}
	for _, bad := range []string{"umask 0800", "umask 22 1", "umask IWGRP|", "umask IWGRP IWOTH"} {
		if _, ds := LoadBytes("t.conf", []byte("global_defs {\n"+bad+"\n}\n"), LoadOptions{}); !ds.HasErrors() {
			t.Errorf("%q accepted", bad)
		}
	}
	var b2 strings.Builder
	if err := Dump(&b2, cfg); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"umask 023", "debug 2", "child_wait_time 7s", "vrrp_down_timer_adverts 5"} {
		if !strings.Contains(b2.String(), w) {
			t.Errorf("dump lacks %q", w)
		}
	}
}

// TestRandomSeed: random_seed seeds ${_RANDOM} (keepalived seeds srandom
// with it before reading the file): the same seed gives the same values,
// another seed others, wherever random_seed is in the file.
func TestRandomSeed(t *testing.T) {
	router := func(seed string) string {
		cfg := load(t, "global_defs {\n    router_id r${_RANDOM 0 1000000}\n    random_seed "+seed+"\n}\n")
		if !cfg.Global.RandomSeedSet {
			t.Fatal("random_seed not set")
		}
		return cfg.Global.RouterID
	}
	a1, a2, b := router("42"), router("42"), router("43")
	if a1 != a2 {
		t.Errorf("random_seed 42 gave %s then %s", a1, a2)
	}
	if a1 == b {
		t.Errorf("random_seed 42 and 43 both gave %s", a1)
	}
	unseeded := load(t, "global_defs {\n    router_id r${_RANDOM 0 1000000}\n}\n").Global.RouterID
	if unseeded == a1 {
		t.Errorf("the seed had no effect: %s with and without it", a1)
	}
}

// TestInstanceKeywords: instance, use_pid_dir and data_use_instance reach
// the model (the command line uses them for pid and dump files).
func TestInstanceKeywords(t *testing.T) {
	g := load(t, "instance lb1\nuse_pid_dir\nglobal_defs {\n    data_use_instance\n}\n").Global
	if g.InstanceName != "lb1" || !g.UsePidDir || !g.DataUseInstance {
		t.Errorf("instance %q use_pid_dir %v data_use_instance %v", g.InstanceName, g.UsePidDir, g.DataUseInstance)
	}
}
