package igmp

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDisableAndRestore(t *testing.T) {
	for _, c := range []struct{ before, during, after string }{{"1\n", "0", "1"}, {"0\n", "0\n", "0\n"}} {
		p := filepath.Join(t.TempDir(), "reports")
		if err := os.WriteFile(p, []byte(c.before), 0o644); err != nil {
			t.Fatal(err)
		}
		restore, err := disable(p)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != c.during {
			t.Errorf("before %q: during %q, want %q", c.before, b, c.during)
		}
		if err := restore(); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != c.after {
			t.Errorf("before %q: after %q, want %q", c.before, b, c.after)
		}
	}
}
