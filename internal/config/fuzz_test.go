package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"gokeepalived/internal/config/syntax"
)

// FuzzLoad runs the whole pipeline (syntax with includes read from a real
// temporary directory, keyword rows, values, cross references, the model)
// on a fuzzed main file and a fuzzed file it may include: no input
// panics; a configuration without errors can be dumped and diffed, and
// compared with itself it has no change.
func FuzzLoad(f *testing.F) {
	var seeds [][]byte
	for _, pattern := range []string{"testdata/*.conf", "testdata/*/*.conf", "../../test/e2e/testdata/*/*.conf"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				seeds = append(seeds, data)
			}
		}
	}
	for _, s := range seeds {
		f.Add(s, []byte(nil))
	}
	for _, s := range fuzzLoadSeeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, main, included []byte) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "conf.d"), 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "keepalived.conf")
		if err := os.WriteFile(path, main, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "conf.d", "a.conf"), included, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, ds := Load(path, LoadOptions{Syntax: syntax.Options{ConfigID: "lb1", MaxLines: 2000,
			Env: func(string) (string, bool) { return "", false }}})
		for _, d := range ds {
			if d.Msg == "" {
				t.Errorf("diagnostic without a message at %v", d.Pos)
			}
		}
		if ds.HasErrors() {
			return
		}
		if cfg == nil {
			t.Fatal("no configuration and no error")
		}
		var b bytes.Buffer
		if err := Dump(&b, cfg); err != nil {
			t.Errorf("Dump: %v", err)
		}
		d := Diff(cfg, cfg)
		if !d.Instances.Empty() || !d.VirtualServers.Empty() || !d.RealServers.Empty() || !d.Scripts.Empty() || !d.SyncGroups.Empty() || d.GlobalChanged {
			t.Errorf("a configuration differs from itself: %+v", d)
		}
	})
}

// fuzzLoadSeeds are a main file and the file conf.d/a.conf it may include;
// crashers found by fuzzing are added here and as named table cases.
var fuzzLoadSeeds = [][2]string{
	{"include conf.d/*.conf\n", "vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 1\n  priority 100\n  virtual_ipaddress {\n    192.0.2.1/32\n  }\n}\n"},
	{"global_defs {\n  router_id r\n}\ninclude conf.d/{a,b}.conf\n", "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.2 80 {\n    HTTP_GET {\n      url {\n        path /\n      }\n    }\n  }\n}\n"},
	{"vrrp_instance V {\ninclude conf.d/a.conf\n", "  interface lo\n  virtual_router_id 300\n}\n"},
	{"$X=lo\ninclude conf.d/a.conf\n", "vrrp_instance V {\n interface $X\n virtual_router_id 2\n unicast_peer {\n 192.0.2.9\n }\n track_script {\n nope\n }\n}\n"},
	{"@lb1 include conf.d/a.conf\n@^lb1 bad\n", "vrrp_sync_group G {\n group {\n V\n }\n}\n"},
	{"include conf.d/a.conf\n", "include ../keepalived.conf\n"},
	{"include " + "{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}{s,t}{u,v}" + ".conf\n", ""},
}
