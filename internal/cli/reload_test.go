package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
)

// fakeVRRP and fakeLB record the configurations a reload applies.
type fakeVRRP struct{ got []*config.Config }

func (f *fakeVRRP) ReloadSummary(_ context.Context, c *config.Config) (ctl.ReloadSummary, error) {
	f.got = append(f.got, c)
	return ctl.ReloadSummary{Added: []string{"VI_1"}}, nil
}

type fakeLB struct{ got []*config.Config }

func (f *fakeLB) Reload(c *config.Config) { f.got = append(f.got, c) }

const (
	oneVS = "virtual_server 192.0.2.1 80 {\n  protocol TCP\n  real_server 192.0.2.2 80 {\n    TCP_CHECK {\n    }\n  }\n}\n"
	oneVI = "vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100/32\n  }\n}\n"
)

// TestReloadRefusesEmpty: issue 10 fault 7, an empty configuration, or one
// whose included files are empty, was accepted on reload and silently
// stopped every instance. It is refused with the reason and how to ask
// for it; --allow-empty (the ctl request's AllowEmpty) lets it through.
func TestReloadRefusesEmpty(t *testing.T) {
	for _, tc := range []struct {
		name       string
		running    string // the configuration running before the reload
		files      map[string]string
		opts       Options
		allowEmpty bool
		refused    string // the error's start; "" when the reload is applied
	}{
		{name: "empty file", running: oneVS, files: map[string]string{"k.conf": ""},
			refused: "new configuration refused: the new configuration has no vrrp_instance and no virtual_server, so reloading it would stop all 0 VRRP instance(s) and 1 virtual server(s)"},
		{name: "only comments", running: oneVI + oneVS, files: map[string]string{"k.conf": "# nothing yet\n"},
			refused: "new configuration refused: the new configuration has no vrrp_instance and no virtual_server, so reloading it would stop all 1 VRRP instance(s) and 1 virtual server(s)"},
		{name: "included file empty", running: oneVS, files: map[string]string{"k.conf": "include conf.d/*.conf\n", "conf.d/vs.conf": ""},
			refused: "new configuration refused: the new configuration has no vrrp_instance"},
		{name: "includes match nothing", running: oneVS, files: map[string]string{"k.conf": "global_defs {\n  router_id r1\n}\ninclude conf.d/*.conf\n"},
			refused: "new configuration refused: the new configuration has no vrrp_instance"},
		{name: "-P keeps no instance", running: oneVI, opts: Options{VRRPOnly: true}, files: map[string]string{"k.conf": oneVS},
			refused: "new configuration refused: the new configuration has no vrrp_instance"},
		{name: "asked for", running: oneVS, files: map[string]string{"k.conf": ""}, allowEmpty: true},
		{name: "nothing ran", running: "", files: map[string]string{"k.conf": ""}},
		{name: "something kept", running: oneVI + oneVS, files: map[string]string{"k.conf": oneVS}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tc.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			running, ds := config.LoadBytes("running.conf", []byte(tc.running), config.LoadOptions{})
			if ds.HasErrors() {
				t.Fatalf("running configuration: %v", ds)
			}
			o := tc.opts
			o.ConfigFile = filepath.Join(dir, "k.conf")
			vrrp, lb := &fakeVRRP{}, &fakeLB{}
			before := subsystems(o, running)
			targets := &reloadTargets{vrrp: vrrp, lb: lb, running: before}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			sum, err := reload(context.Background(), o, targets, log, tc.allowEmpty)
			if tc.refused != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.refused) {
					t.Fatalf("reload = %+v, %v; want an error starting %q", sum, err, tc.refused)
				}
				for _, want := range []string{"the previous configuration keeps running", "gokeepalivedctl reload --allow-empty"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				if len(vrrp.got)+len(lb.got) != 0 || targets.running != before {
					t.Errorf("refused configuration applied: vrrp %d, lb %d", len(vrrp.got), len(lb.got))
				}
				return
			}
			if err != nil || len(sum.Added) != 1 {
				t.Fatalf("reload = %+v, %v; want it applied (the daemon's summary passed on)", sum, err)
			}
			if len(vrrp.got) != 1 || len(lb.got) != 1 || targets.running != vrrp.got[0] {
				t.Errorf("applied: vrrp %d, lb %d, running updated %v", len(vrrp.got), len(lb.got), targets.running == vrrp.got[0])
			}
		})
	}
}

// TestReloadCheckConfigLog: with reload_check_config FILE in the running
// configuration, a reload's check is written to FILE, refused or applied;
// without it, nothing is written.
func TestReloadCheckConfigLog(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "check.log")
	for _, c := range []struct {
		name, running, next, want string
	}{
		{"refused", "global_defs {\n  reload_check_config " + logFile + "\n}\n" + oneVS, "vrrp_instance VI_1 {\n  priority 300\n}\n", "configuration refused"},
		{"applied", "global_defs {\n  reload_check_config " + logFile + "\n}\n" + oneVS, oneVS, "configuration OK"},
		{"not set", oneVS, oneVS, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(logFile)
			conf := filepath.Join(dir, "k.conf")
			if err := os.WriteFile(conf, []byte(c.next), 0o644); err != nil {
				t.Fatal(err)
			}
			running, ds := config.LoadBytes("running.conf", []byte(c.running), config.LoadOptions{})
			if ds.HasErrors() {
				t.Fatalf("running configuration: %v", ds)
			}
			o := Options{ConfigFile: conf}
			targets := &reloadTargets{vrrp: &fakeVRRP{}, lb: &fakeLB{}, running: subsystems(o, running)}
			_, _ = reload(context.Background(), o, targets, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
			b, err := os.ReadFile(logFile)
			if c.want == "" {
				if err == nil {
					t.Errorf("check written without reload_check_config: %q", b)
				}
				return
			}
			if err != nil || !strings.Contains(string(b), c.want) {
				t.Errorf("check log %q (%v), want it to say %q", b, err, c.want)
			}
		})
	}
}

// TestConfigSaveDir: config_save_dir in the running configuration saves
// the configuration before and after each applied reload.
func TestConfigSaveDir(t *testing.T) {
	dir := t.TempDir()
	save := filepath.Join(dir, "saved")
	conf := filepath.Join(dir, "k.conf")
	next := "global_defs {\n  router_id after_reload\n}\n" + oneVS
	if err := os.WriteFile(conf, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	running, ds := config.LoadBytes("running.conf", []byte("global_defs {\n  config_save_dir "+save+"\n  router_id before_reload\n}\n"+oneVS), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	o := Options{ConfigFile: conf}
	targets := &reloadTargets{vrrp: &fakeVRRP{}, lb: &fakeLB{}, running: subsystems(o, running)}
	if _, err := reload(context.Background(), o, targets, slog.New(slog.NewTextHandler(io.Discard, nil)), false); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"before": "before_reload", "after": "after_reload"} {
		files, _ := filepath.Glob(filepath.Join(save, "reload-*-"+name+".conf"))
		if len(files) != 1 {
			t.Fatalf("%s: saved files %v", name, files)
		}
		if b, _ := os.ReadFile(files[0]); !strings.Contains(string(b), want) {
			t.Errorf("%s: %s lacks %q:\n%s", name, files[0], want, b)
		}
	}
}
