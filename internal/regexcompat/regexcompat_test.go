package regexcompat

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		pat  string
		at   int
		want string // "" = accepted
	}{
		{`(?<=id=)\d+`, -1, ""},
		{`(a)\1`, -1, ""},
		{`(?>a+)b`, -1, ""},
		{`(?i)ok$`, -1, ""},
		{`[]a]`, -1, ""},
		{`a++b`, 2, "possessive"},
		{`x\Ky`, 1, "\\K"},
		{`\h+`, 0, "\\h"},
		{`a\vb`, 1, "vertical tab"},
		{`[[:alpha:]]`, 1, "POSIX"},
		{`(?R)`, 0, "recursion"},
		{`(?1)`, 0, "recursion"},
		{`(*UTF)a`, 0, "verbs"},
		{`\Qa.b\E`, 0, "\\Q"},
		{`(?U)a*`, 0, "(?U)"},
		{`\x{41}`, 0, "\\x{"},
		{`(?|(a)|(b))`, 0, "branch reset"},
		{`(`, 0, "("},
	} {
		at, why := Check(tc.pat)
		if tc.want == "" {
			if why != "" {
				t.Errorf("%q refused: %s", tc.pat, why)
			}
			continue
		}
		if at != tc.at || !strings.Contains(why, tc.want) {
			t.Errorf("%q: at %d %q, want at %d mentioning %q", tc.pat, at, why, tc.at, tc.want)
		}
	}
}

func TestFind(t *testing.T) {
	body := []byte("head id=42 tail\nlast")
	find := func(pat string, opts []string, min int) int {
		t.Helper()
		r, err := Compile(pat, opts, 0)
		if err != nil {
			t.Fatal(err)
		}
		at, err := r.Find(body, min)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	if at := find(`(?<=id=)\d+`, nil, 0); at != 8 {
		t.Errorf("look-behind: %d", at)
	}
	// The look-behind sees bytes before the start offset; ^ does not
	// match at it.
	if at := find(`(?<=id=)\d+`, nil, 8); at != 8 {
		t.Errorf("look-behind across min offset: %d", at)
	}
	if at := find(`^id`, nil, 5); at != -1 {
		t.Errorf("^ at the start offset: %d", at)
	}
	if at := find(`^last`, []string{"multiline"}, 0); at != 16 {
		t.Errorf("multiline: %d", at)
	}
	if at := find(`TAIL`, []string{"caseless"}, 0); at != 11 {
		t.Errorf("caseless: %d", at)
	}
	// $ before a final newline, as PCRE2.
	r, _ := Compile(`end$`, nil, 0)
	if at, _ := r.Find([]byte("the end\n"), 0); at != 4 {
		t.Errorf("$ before final newline: %d", at)
	}
	// Bytes, not runes: offsets are byte offsets in both modes.
	r, _ = Compile(`b`, nil, 0)
	if at, _ := r.Find([]byte("é b"), 0); at != 3 {
		t.Errorf("non-utf byte offset: %d", at)
	}
	r, _ = Compile(`b`, []string{"utf"}, 0)
	if at, _ := r.Find([]byte("é b"), 0); at != 3 {
		t.Errorf("utf byte offset: %d", at)
	}
	// regex_stack: a small bound makes a deep backtracking match fail.
	r, _ = Compile(`(a|b)*c`, nil, 64)
	if _, err := r.Find([]byte(strings.Repeat("ab", 5000)+"c"), 0); err == nil {
		t.Error("regex_stack bound: deep match did not fail")
	}
	r, _ = Compile(`(a|b)*c`, nil, 0)
	if at, err := r.Find([]byte(strings.Repeat("ab", 5000)+"c"), 0); err != nil || at != 0 {
		t.Errorf("default stack: %d %v", at, err)
	}
}
