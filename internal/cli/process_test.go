package cli

import (
	"testing"

	"gokeepalived/internal/config"
)

// TestUmaskFor: -u/--umask wins over global_defs umask, which applies
// when the option is not given (keepalived's rule); neither: leave it.
func TestUmaskFor(t *testing.T) {
	for _, c := range []struct{ opt, cfg, want int }{{-1, 0o27, 0o27}, {0o22, 0o27, 0o22}, {-1, -1, -1}, {0o77, -1, 0o77}} {
		if got := umaskFor(Options{Umask: c.opt}, &config.Global{Umask: c.cfg}); got != c.want {
			t.Errorf("option %#o, config %#o: %#o, want %#o", c.opt, c.cfg, got, c.want)
		}
	}
}
