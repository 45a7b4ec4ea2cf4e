package config

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSeedNginxPairLoadsClean(t *testing.T) {
	for _, f := range []string{"seed_nginx_master.conf", "seed_nginx_backup.conf"} {
		t.Run(f, func(t *testing.T) {
			cfg, ds := Load(filepath.Join("testdata", f), LoadOptions{})
			if len(ds) != 0 {
				t.Fatalf("diagnostics:\n%s", ds.Error())
			}
			if len(cfg.Instances) != 1 || cfg.Instances[0].Interface != "ens33" {
				t.Fatalf("instances = %+v", cfg.Instances)
			}
		})
	}
}

// TestSeedSampleRefused: keepalived 2.2.7 -t refuses the seed's sample with
// (Line 20) vrrp_garp_interval '0' is invalid, (Line 21) vrrp_gna_interval
// '0' is invalid, "(VI_1) State MASTER must match being address owner" and
// "(VI_1) Strict mode does not support authentication. Ignoring." (run in a
// network namespace with eth0 present). We report the same four, with
// positions, and nothing else.
func TestSeedSampleRefused(t *testing.T) {
	_, ds := Load(filepath.Join("testdata", "seed_sample.conf"), LoadOptions{})
	want := []string{
		"testdata/seed_sample.conf:20:23: error: vrrp_garp_interval '0' is out of range [0.000001, 4294.967295] seconds",
		"testdata/seed_sample.conf:21:22: error: vrrp_gna_interval '0' is out of range [0.000001, 4294.967295] seconds",
		"testdata/seed_sample.conf:27:11: error: vrrp_instance VI_1: state MASTER under vrrp_strict requires priority 255 (address owner), priority is 100",
		"testdata/seed_sample.conf:37:5: error: vrrp_instance VI_1: authentication is not allowed under vrrp_strict (keepalived ignores it)",
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("diagnostics (-want +got):\n%s", d)
	}
}
