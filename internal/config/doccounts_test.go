package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// The documentation's count of unimplemented keywords ("155 today", "155
// keywords are recognised but not implemented") is the table's: change a
// keyword's status and this test names every sentence to update.
func TestDocumentedUnimplementedCount(t *testing.T) {
	want := len(UnsupportedKeywords())
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../README.md")
	count := regexp.MustCompile(`\b(\d+) (?:today\b|keywords (?:are )?recognised but not implemented)`)
	found := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range count.FindAllSubmatchIndex(b, -1) {
			found++
			n, _ := strconv.Atoi(string(b[m[2]:m[3]]))
			if n != want {
				line := 1
				for _, c := range b[:m[0]] {
					if c == '\n' {
						line++
					}
				}
				t.Errorf("%s:%d says %q; the keyword table has %d unimplemented keywords (gokeepalived --unsupported-keywords)",
					filepath.Base(f), line, b[m[0]:m[1]], want)
			}
		}
	}
	// README, migration.md, operations.md and status.md (twice) state it.
	if found < 5 {
		t.Errorf("found the count in %d places, want at least 5: was a sentence reworded? Keep this test reading it", found)
	}
}
