package bfd

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// golden is one captured packet of testdata/*.hex (written by
// testdata/capture.sh from FRR's bfdd and keepalived's BFD process).
type golden struct {
	name    string
	payload []byte
}

func readGolden(t testing.TB) []golden {
	t.Helper()
	files, err := filepath.Glob("testdata/*.hex")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 16 {
		t.Fatalf("found %d golden packets, want the 18 capture.sh writes", len(files))
	}
	var out []golden
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var h strings.Builder
		for _, line := range strings.Split(string(raw), "\n") {
			if !strings.HasPrefix(line, "#") {
				h.WriteString(strings.TrimSpace(line))
			}
		}
		b, err := hex.DecodeString(h.String())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, golden{strings.TrimSuffix(filepath.Base(f), ".hex"), b})
	}
	return out
}

// TestGolden parses every captured packet, checks the fields its file name
// states (state, P, F, diagnostic) and the ones every peer sets, that
// Validate accepts it, and that Marshal gives back the same bytes.
func TestGolden(t *testing.T) {
	for _, g := range readGolden(t) {
		t.Run(g.name, func(t *testing.T) {
			c, err := ParseControl(g.payload)
			if err != nil {
				t.Fatalf("ParseControl: %v", err)
			}
			if r := Validate(&c); r != OK {
				t.Fatalf("Validate: %v", r)
			}
			parts := strings.Split(g.name, "-")
			wantState := map[string]State{"admindown": StateAdminDown, "down": StateDown, "init": StateInit, "up": StateUp}[parts[2]]
			if c.State != wantState {
				t.Errorf("State %v, file says %s", c.State, parts[2])
			}
			has := func(s string) bool {
				for _, p := range parts[3:] {
					if p == s {
						return true
					}
				}
				return false
			}
			if c.Poll != has("poll") || c.Final != has("final") {
				t.Errorf("P=%v F=%v, file name %s", c.Poll, c.Final, g.name)
			}
			if (c.Diag == DiagControlDetectionExpired) != has("diag1") {
				t.Errorf("Diag %v, file name %s", c.Diag, g.name)
			}
			if c.Version != 1 || c.DetectMult != 3 || c.AuthBit || c.Demand || c.Multipoint || c.MyDiscr == 0 {
				t.Errorf("unexpected header %+v", c)
			}
			// capture.sh configures 300 ms both ways. Before Up, keepalived
			// advertises 1 s TX (RFC 5880 §6.8.3) and its configured RX;
			// bfdd advertises 1 s both ways, and after a timeout it keeps
			// the configured values in Down.
			wantTx, wantRx := uint32(300000), uint32(300000)
			switch {
			case strings.HasPrefix(g.name, "frr-") && c.State == StateInit:
				wantTx, wantRx = 1000000, 1000000
			case strings.HasPrefix(g.name, "keepalived-") && c.State != StateUp:
				wantTx = 1000000
			}
			if c.DesiredMinTx != wantTx || c.RequiredMinRx != wantRx {
				t.Errorf("DesiredMinTx %d RequiredMinRx %d, want %d and %d", c.DesiredMinTx, c.RequiredMinRx, wantTx, wantRx)
			}
			if (c.State == StateUp || c.State == StateInit) != (c.YourDiscr != 0) {
				t.Errorf("State %v with Your Discriminator %d", c.State, c.YourDiscr)
			}
			enc, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, g.payload) {
				t.Errorf("Marshal:\n got % x\nwant % x", enc, g.payload)
			}
		})
	}
}
