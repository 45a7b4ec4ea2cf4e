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

// docs/status.md's counts of the configuration tests ("differential test
// against real keepalived (89 configs), 42 exact error messages") are the
// corpus's and TestMistakes's.
func TestDocumentedConfigTestCounts(t *testing.T) {
	confs, err := filepath.Glob(filepath.Join("testdata", "diff", "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("errors_test.go")
	if err != nil {
		t.Fatal(err)
	}
	// TestMistakes's cases: one `{"name", ...` line each in its table.
	body := regexp.MustCompile(`(?s)func TestMistakes\(.*?for _, tc := range tests`).Find(src)
	mistakes := len(regexp.MustCompile("(?m)^\t\t\\{\"").FindAll(body, -1))
	if mistakes == 0 {
		t.Fatal("cannot count TestMistakes's cases in errors_test.go (was its table reshaped?)")
	}
	doc, err := os.ReadFile("../../docs/status.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		re   string
		want int
	}{
		{`differential test against real keepalived \((\d+) configs\)`, len(confs)},
		{`(\d+) exact error messages`, mistakes},
	} {
		m := regexp.MustCompile(c.re).FindSubmatch(doc)
		if m == nil {
			t.Errorf("docs/status.md no longer says %q: keep this test reading the count", c.re)
			continue
		}
		if n, _ := strconv.Atoi(string(m[1])); n != c.want {
			t.Errorf("docs/status.md says %q; the tests have %d", m[0], c.want)
		}
	}
}
