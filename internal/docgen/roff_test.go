package docgen

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                "plain",
		"`--use-file` <FILE>.": `\fB\-\-use\-file\fR \fIFILE\fR.`,
		`a\b`:                  `a\eb`,
		"`open":                `\fBopen\fR`,
		"1 < 2 and 3 > 2":      "1 < 2 and 3 > 2",
		"`code <arg> more`":    `\fBcode \fIarg\fB more\fR`,
		"{a|b} [<x>]":          `{a|b} [\fIx\fR]`,
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteGuardsControlLines(t *testing.T) {
	p := &Page{Name: "x", Section: "1", Sections: []Section{{Title: "S", Paras: []string{".starts with a dot", "'quote"}}}}
	var b strings.Builder
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n\\&.starts with a dot\n", "\n\\&'quote\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}

func TestOptionItems(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringP("file", "f", "/etc/x", "Read FILE")
	fs.Bool("quiet", false, "Say less")
	fs.String("log", "", "Log to FILE")
	fs.Lookup("log").NoOptDefVal = "-"
	items := OptionItems(fs, map[string]FlagDoc{"file": {Value: "PATH", Note: "Note."}})
	want := []Item{
		{Tag: "`-f`, `--file`=<PATH>", Text: []string{"Read FILE. Default: `/etc/x`. Note."}},
		{Tag: "`--quiet`", Text: []string{"Say less."}},
		{Tag: "`--log`[=<STRING>]", Text: []string{"Log to FILE."}},
	}
	if len(items) != len(want) {
		t.Fatalf("got %d items, want %d: %+v", len(items), len(want), items)
	}
	for i := range want {
		if items[i].Tag != want[i].Tag || strings.Join(items[i].Text, "|") != strings.Join(want[i].Text, "|") {
			t.Errorf("item %d: got %+v, want %+v", i, items[i], want[i])
		}
	}
}
