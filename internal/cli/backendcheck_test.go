package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigTestJudgesBackend: -t states the load-balancer backend and
// refuses, at the keyword's position, what that backend cannot program;
// a virtual_server without lb_algo (wlc) passes on both backends.
func TestConfigTestJudgesBackend(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noAlgo := write("noalgo.conf", `virtual_server 192.0.2.100 80 {
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.2 80 {
        TCP_CHECK {
            connect_timeout 3
        }
    }
}
`)
	bad := write("bad.conf", `virtual_server 192.0.2.100 80 {
    lb_algo lblc
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.2 80 {
        lvs_method DR
    }
}
`)
	for _, be := range []string{"nft", "ipvs"} {
		code, _, stderr := run("-t", "-f", noAlgo, "--lb-backend", be)
		if code != ExitOK || !strings.Contains(stderr, "load-balancer backend: "+be+" (chosen by --lb-backend)") {
			t.Errorf("%s: no lb_algo: exit %d\n%s", be, code, stderr)
		}
	}
	code, _, stderr := run("-t", "-f", bad, "--lb-backend", "nft")
	if code != ExitConfig {
		t.Fatalf("nft, lblc and DR: exit %d, want %d\n%s", code, ExitConfig, stderr)
	}
	for _, want := range []string{
		bad + ":2:5: error: virtual_server 192.0.2.100:80/TCP: cannot run on the nft backend: TCP 192.0.2.100:80: scheduler lblc",
		bad + ":6:9: error: virtual_server 192.0.2.100:80/TCP: cannot run on the nft backend: TCP 192.0.2.100:80 real server 198.18.0.2:80 has lb_kind DR",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code, _, stderr := run("-t", "-f", bad, "--lb-backend", "ipvs"); code != ExitOK {
		t.Errorf("ipvs, lblc and DR: exit %d\n%s", code, stderr)
	}
}
