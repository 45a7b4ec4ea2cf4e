package filecheck

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/check/probe/probetest"
)

func TestParseValue(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1\n": 1, "  -5 ": -5, "+7x": 7, "": 0, "abc": 0, "99999999999999999999": math.MaxInt64,
	} {
		if got := ParseValue(in); got != want {
			t.Errorf("ParseValue(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFileCheck(t *testing.T) {
	w := func(n int) *int { return &n }
	tests := []struct {
		name       string
		content    string
		cfg        Config
		wantOK     bool
		wantWeight *int
		reason     string
	}{
		{"weight 0, value 0", "0\n", Config{}, true, nil, "value 0"},
		{"weight 0, value 1 is down", "1\n", Config{}, false, nil, "non-zero is down"},
		{"weight 5 static", "2", Config{Weight: 5}, true, nil, "= 10"},
		{"weight 5 dynamic", "2", Config{Weight: 5, Dynamic: true}, true, w(10), "= 10"},
		{"reverse", "2", Config{Weight: 5, Reverse: true, Dynamic: true}, true, w(-10), "= -10"},
		{"huge negative is down", "-3000000000", Config{Weight: 1}, false, nil, "= -3000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "state")
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			tt.cfg.Name, tt.cfg.Path = "maint", p
			c, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := probetest.Check(t, c, tt.wantOK, tt.reason)
			if diff := cmp.Diff(tt.wantWeight, r.Weight); diff != "" {
				t.Errorf("weight (-want +got):\n%s", diff)
			}
		})
	}
	c, _ := New(Config{Name: "gone", Path: filepath.Join(t.TempDir(), "missing")})
	if r := c.Check(context.Background()); !r.OK || !strings.Contains(r.Reason, "no such file") {
		t.Errorf("missing file (value 0): %+v", r)
	}
}
