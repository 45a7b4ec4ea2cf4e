package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The keyword audit (issue 11, item 4): an implemented keyword must take
// effect. For each implemented keyword of the audited blocks the audit
// loads a configuration without it and with it, and requires the
// normalised model (the -d dump) to differ: a keyword parsed and then
// ignored leaves it unchanged. The lines are generated from the keyword's
// argument types (several candidates are tried) unless its row in
// auditRows (audit_rows_test.go) gives one. A row also names the tests
// that show the run-time effect (checked to exist), or says why there is
// none to observe. TestKeywordAuditCatchesIgnored shows the audit failing
// on a keyword whose setter does nothing.

// auditRow is one keyword's audit entry.
type auditRow struct {
	Line     string   // the keyword's line; "" = generated from its arguments
	Effect   []string // tests showing the run-time effect ("TestName"), each must exist
	NoEffect string   // or: why no run-time effect is observable
	SameDump string   // the dump does not change, because ...
	// Base replaces the audit's template configuration (with its %s for
	// the line) when the keyword cannot appear in the default one.
	Base string
}

// auditBase is the configuration the audited line is added to: %s is
// replaced by the global_defs line.
const auditBase = `global_defs {
%s
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.100/24
    }
}
`

// auditDump is the dump of text, or "" with the errors when refused.
func auditDump(text string) (string, error) {
	cfg, ds := LoadBytes("audit.conf", []byte(text), LoadOptions{})
	if ds.HasErrors() {
		return "", ds
	}
	var b strings.Builder
	if err := Dump(&b, cfg); err != nil {
		return "", err
	}
	// Positions move with the added line.
	return regexp.MustCompile(`  # audit\.conf:\d+:\d+`).ReplaceAllString(b.String(), ""), nil
}

// candidates are lines to try for k, from its argument types.
func candidates(k *Keyword) []string {
	if k.MaxArgs == 0 {
		return []string{k.Name}
	}
	var out []string
	if k.MinArgs == 0 {
		out = append(out, k.Name)
	}
	vals := func(a ArgSpec) []string {
		switch a.Kind {
		case ArgInt, ArgPort:
			var v []string
			for _, f := range []float64{a.Min + 1, a.Max, a.Min, 2, 7} {
				if f >= a.Min && (a.Max == 0 || f <= a.Max) {
					v = append(v, strconv.FormatFloat(f, 'f', -1, 64))
				}
			}
			return v
		case ArgTimer:
			return []string{"2", "0.5", strconv.FormatFloat(a.Max, 'f', -1, 64)}
		case ArgBool:
			return []string{"false", "true"}
		case ArgIP, ArgPrefix:
			return []string{"192.0.2.77", "224.0.0.77", "ff02::77"}
		case ArgEnum:
			return a.Enum
		case ArgPath:
			return []string{"/bin/true", "/tmp/gk-audit"}
		}
		return []string{"gkaudit", "1", "0", "true"}
	}
	n := max(k.MinArgs, 1)
	var first []string
	if len(k.Args) > 0 {
		first = vals(k.Args[0])
	} else {
		first = vals(ArgSpec{Kind: ArgString})
	}
	for _, v := range first {
		line := k.Name + " " + v
		for i := 1; i < n; i++ {
			a := ArgSpec{Kind: ArgString}
			if i < len(k.Args) {
				a = k.Args[i]
			}
			line += " " + vals(a)[0]
		}
		out = append(out, line)
	}
	return out
}

// auditKeyword checks one global_defs keyword; dump loads a configuration.
func auditKeyword(k *Keyword, row auditRow, dump func(string) (string, error)) error {
	return auditIn(auditBase, k, row, dump)
}

// auditInstanceBase is auditBase for vrrp_instance keywords.
const auditInstanceBase = `global_defs {
    enable_script_security
    script_user root
}
vrrp_script chk {
    script /bin/true
}
track_file tf {
    file /tmp/gk-audit-track-file
}
vrrp_track_process tp {
    process nginx
}
bfd_instance b1 {
    neighbor_ip 192.0.2.9
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
%s
    virtual_ipaddress {
        192.0.2.100/24
    }
}
`

// auditIn checks one keyword, its line put in base's %s.
func auditIn(auditBase string, k *Keyword, row auditRow, dump func(string) (string, error)) error {
	base, err := dump(fmt.Sprintf(auditBase, ""))
	if err != nil {
		return fmt.Errorf("base configuration refused: %v", err)
	}
	lines := candidates(k)
	if row.Line != "" {
		lines = []string{row.Line}
	}
	var tried []string
	for _, l := range lines {
		got, err := dump(fmt.Sprintf(auditBase, "    "+l))
		switch {
		case err != nil:
			tried = append(tried, fmt.Sprintf("%q: refused (%v)", l, err))
		case got == base && row.SameDump == "":
			tried = append(tried, fmt.Sprintf("%q: the model did not change", l))
		default:
			return nil
		}
	}
	return fmt.Errorf("parsed but without effect on the model (give the row a Line, or SameDump with the reason):\n  %s", strings.Join(tried, "\n  "))
}

// repoTests are the names of the Test functions of the repository.
func repoTests(t *testing.T) map[string]bool {
	t.Helper()
	root := filepath.Join("..", "..")
	re := regexp.MustCompile(`(?m)^func (Test\w+)\(`)
	out := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			out[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKeywordAudit audits every implemented global_defs keyword.
func TestKeywordAudit(t *testing.T) {
	tests := repoTests(t)
	g := Table().Root.Lookup("global_defs").Block
	var missing []string
	for _, name := range g.order {
		k := g.Keywords[name]
		if k.Status != Implemented || k.AliasOf != "" || k.set == nil {
			continue
		}
		row, ok := auditRows["global_defs "+name]
		if !ok {
			missing = append(missing, name)
			row = auditRow{}
		}
		if err := auditKeyword(k, row, auditDump); err != nil {
			t.Errorf("global_defs %s: %v", name, err)
		}
		for _, e := range row.Effect {
			if !tests[e] {
				t.Errorf("global_defs %s: effect test %s does not exist", name, e)
			}
		}
		if ok && len(row.Effect) == 0 && row.NoEffect == "" {
			t.Errorf("global_defs %s: its audit row names no effect test and no reason", name)
		}
	}
	slices.Sort(missing)
	// Keywords without a row are audited on the model only; their number
	// may only go down.
	if len(missing) > auditRowsMissing {
		t.Errorf("%d implemented global_defs keywords have no audit row (at most %d allowed): %s",
			len(missing), auditRowsMissing, strings.Join(missing, " "))
	}
	t.Logf("%d global_defs keywords without a run-time audit row: %s", len(missing), strings.Join(missing, " "))
}

// TestKeywordAuditInstance audits every implemented vrrp_instance keyword
// on the model (rows: "vrrp_instance NAME").
func TestKeywordAuditInstance(t *testing.T) {
	tests := repoTests(t)
	b := Table().Root.Lookup("vrrp_instance").Block
	missing := 0
	for _, name := range b.order {
		k := b.Keywords[name]
		if k.Status != Implemented || k.AliasOf != "" || k.set == nil {
			continue
		}
		row, ok := auditRows["vrrp_instance "+name]
		if !ok {
			missing++
		}
		base := auditInstanceBase
		if row.Base != "" {
			base = row.Base
		}
		if err := auditIn(base, k, row, auditDump); err != nil {
			t.Errorf("vrrp_instance %s: %v", name, err)
		}
		for _, e := range row.Effect {
			if !tests[e] {
				t.Errorf("vrrp_instance %s: effect test %s does not exist", name, e)
			}
		}
	}
	t.Logf("%d vrrp_instance keywords audited on the model only", missing)
}

// TestKeywordAuditCatchesIgnored: a keyword whose setter does nothing
// (simulated by a loader that drops its line, as a no-op setter would)
// fails the audit, as notify_master_rx_lower_pri would have when it was
// parsed and never run.
func TestKeywordAuditCatchesIgnored(t *testing.T) {
	k := Table().Root.Lookup("global_defs").Block.Keywords["nftables_counters"]
	ignore := func(text string) (string, error) {
		return auditDump(strings.ReplaceAll(text, "nftables_counters", ""))
	}
	if err := auditKeyword(k, auditRows["global_defs nftables_counters"], ignore); err == nil {
		t.Fatal("the audit passed a keyword that is parsed and ignored")
	} else {
		t.Logf("as it should: %v", err)
	}
	if err := auditKeyword(k, auditRows["global_defs nftables_counters"], auditDump); err != nil {
		t.Errorf("the real keyword fails the audit: %v", err)
	}
}
