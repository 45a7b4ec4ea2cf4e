package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpstreamSamples loads keepalived's own sample configurations, when
// installed, and fails on any "unknown keyword": every keyword they use
// must be in the table (implemented or not).
func TestUpstreamSamples(t *testing.T) {
	files, _ := filepath.Glob("/usr/share/doc/keepalived/samples/keepalived.conf.*")
	if len(files) == 0 {
		t.Skip("keepalived samples not installed")
	}
	// keepalived 2.2.7 itself reports "Unknown keyword 'VI_2'" for this
	// sample (its group block is written without braces).
	upstreamBroken := map[string]bool{"keepalived.conf.vrrp.lvs_syncd": true}
	for _, f := range files {
		if upstreamBroken[filepath.Base(f)] {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, ds := Load(f, LoadOptions{})
			for _, d := range ds {
				t.Log(d.String())
				if strings.Contains(d.Msg, "unknown keyword") {
					t.Errorf("%s", d)
				}
			}
		})
	}
}

// TestKeywordsKnownToKeepalived checks every keyword of the table against
// the strings of the installed keepalived 2.2.7 binary: a keyword that is
// not there is a typo or a later version's keyword.
func TestKeywordsKnownToKeepalived(t *testing.T) {
	bin, err := os.ReadFile("/usr/sbin/keepalived")
	if err != nil {
		t.Skip("keepalived binary not installed")
	}
	s := string(bin)
	// Keywords registered only when keepalived is built with an option the
	// Debian 2.2.7 package lacks (libipset).
	buildOption := map[string]bool{"vrrp_ipsets": true}
	// Keywords of later keepalived versions that gokeepalived accepts on
	// purpose (interop knobs).
	later := map[string]bool{"v3_checksum_as_v2": true}
	for _, r := range AllKeywords() {
		if !r.Keyword.Extension && !buildOption[r.Keyword.Name] && !later[r.Keyword.Name] && !strings.Contains(s, r.Keyword.Name+"\x00") {
			t.Errorf("%s: keyword %q is not in /usr/sbin/keepalived", r.Block, r.Keyword.Name)
		}
	}
}
