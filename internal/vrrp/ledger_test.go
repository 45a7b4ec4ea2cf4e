package vrrp

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLedgerRowsAreCovered checks docs/rfc-ledger.md (issue 10): no row is
// left open; a row whose status is a deviation or n/a says why; every other
// row's ID is named by a test somewhere in the repository (a subtest name,
// or a comment in a _test.go file: unit, daemon or e2e).
func TestLedgerRowsAreCovered(t *testing.T) {
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, "docs", "rfc-ledger.md"))
	if err != nil {
		t.Fatal(err)
	}
	var tests strings.Builder
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, "_test.go") && path != filepath.Join(root, "internal", "vrrp", "ledger_test.go") {
			text, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			tests.Write(text)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all := tests.String()
	rows := 0
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| RFC") {
			continue
		}
		rows++
		cells := strings.Split(line, "|")
		if len(cells) < 5 {
			t.Errorf("malformed ledger row: %s", line)
			continue
		}
		id, status, why := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[3]), strings.TrimSpace(cells[4])
		if strings.Contains(strings.ToLower(why), "open") {
			t.Errorf("%s is left open: %s", id, why)
		}
		if strings.Contains(status, "deviation") || status == "n/a" {
			if why == "" {
				t.Errorf("%s (%s) does not say why", id, status)
			}
			continue
		}
		if strings.ContainsAny(id, "*") || strings.Contains(id, "..") {
			t.Errorf("%s: a range of requirements can only be a deviation or n/a, not %q", id, status)
			continue
		}
		named := regexp.MustCompile(regexp.QuoteMeta(id) + `([^0-9.]|$)`)
		if !named.MatchString(all) {
			t.Errorf("%s (%s): no test names it (a subtest name or a comment in a _test.go file)", id, status)
		}
	}
	if rows < 70 {
		t.Errorf("only %d ledger rows read: has the table's format changed?", rows)
	}
}
