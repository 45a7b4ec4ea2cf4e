package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestWriteOracleConfig writes a configuration that uses every keyword of
// the table in its block, to be checked with the real keepalived:
//
//	GOKEEPALIVED_ORACLE_OUT=/tmp/all.conf go test -run WriteOracle ./internal/config/
//	ip netns exec gkcfg-x keepalived -t -f /tmp/all.conf -l -n 2>&1 | grep 'Unknown keyword'
//
// keepalived 2.2.7 must report no unknown keyword (vrrp_ipsets excepted:
// the Debian build lacks libipset).
func TestWriteOracleConfig(t *testing.T) {
	out := os.Getenv("GOKEEPALIVED_ORACLE_OUT")
	if out == "" {
		t.Skip("GOKEEPALIVED_ORACLE_OUT not set")
	}
	var b strings.Builder
	writeAll(&b, Table().Root, 0)
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sampleArg(s ArgSpec) string {
	switch s.Kind {
	case ArgInt, ArgTimer, ArgPort:
		return fmt.Sprint(fmtNum(max(s.Min, 1)))
	case ArgBool:
		return "on"
	case ArgIP, ArgPrefix:
		return "10.0.0.1"
	case ArgEnum:
		return s.Enum[0]
	case ArgPath:
		return "/bin/true"
	}
	return "x"
}

func writeAll(b *strings.Builder, blk *BlockSpec, depth int) {
	ind := strings.Repeat("  ", depth)
	for _, n := range blk.Names() {
		k := blk.Lookup(n)
		args := []string{n}
		for i := 0; i < k.MinArgs; i++ {
			a := "x"
			if i < len(k.Args) {
				a = sampleArg(k.Args[i])
			}
			if n == "virtual_server" && i == 0 {
				a = "10.0.0.1"
			}
			args = append(args, a)
		}
		if n == "virtual_server" {
			args = append(args, "80")
		}
		if n == "real_server" {
			args = append(args, "80")
		}
		line := ind + strings.Join(args, " ")
		switch {
		case k.Block != nil:
			b.WriteString(line + " {\n")
			writeAll(b, k.Block, depth+1)
			b.WriteString(ind + "}\n")
		case k.ValueBlock:
			b.WriteString(line + " {\n" + ind + "}\n")
		default:
			b.WriteString(line + "\n")
		}
	}
}
