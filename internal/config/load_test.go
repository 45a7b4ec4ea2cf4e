package config

import (
	"path/filepath"
	"strings"
	"testing"
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

func TestSeedSampleRefused(t *testing.T) {
	_, ds := Load(filepath.Join("testdata", "seed_sample.conf"), LoadOptions{})
	t.Log("\n" + ds.Error())
	if !ds.HasErrors() {
		t.Fatal("no errors")
	}
	_ = strings.Join
}
