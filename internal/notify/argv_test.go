package notify

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitScript(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"/usr/bin/foo", []string{"/usr/bin/foo"}},
		{"  /path/fault.sh   VG_1 ", []string{"/path/fault.sh", "VG_1"}},
		{"/bin/x\ta\tb", []string{"/bin/x", "a", "b"}},
		// man 5 keepalived.conf "Quoted strings".
		{`abcd" efg h jkl "mnop`, []string{"abcd efg h jkl mnop"}},
		{`abcd "efg h jkl" mnop`, []string{"abcd", "efg h jkl", "mnop"}},
		{`/bin/s 'param 2' x`, []string{"/bin/s", "param 2", "x"}},
		{`/bin/s "it's"`, []string{"/bin/s", "it's"}},
		{`/bin/s '' x`, []string{"/bin/s", "", "x"}},
		{`/bin/s a\ b`, []string{"/bin/s", "a b"}},
		{`/bin/s "a\"b"`, []string{"/bin/s", `a"b`}},
		{`/bin/s \\`, []string{"/bin/s", `\`}},
		{`/bin/s \t\n\x41\101\cA\E\q`, []string{"/bin/s", "\t\nAA\x01\x1bq"}},
		{`/bin/s '\x41'`, []string{"/bin/s", "A"}}, // escapes work inside single quotes too
	}
	for _, tt := range tests {
		got, err := SplitScript(tt.in)
		if err != nil {
			t.Errorf("SplitScript(%q): %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("SplitScript(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestSplitScriptErrors(t *testing.T) {
	for _, in := range []string{`/bin/s "open`, `/bin/s 'open`, `/bin/s \`, "", "   "} {
		if _, err := SplitScript(in); err == nil {
			t.Errorf("SplitScript(%q) = nil error, want one", in)
		}
	}
	if _, err := SplitScript("  "); !errors.Is(err, ErrEmptyScript) {
		t.Errorf("SplitScript(blank) = %v, want ErrEmptyScript", err)
	}
}
