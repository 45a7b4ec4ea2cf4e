package syntax

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestParseInclude(t *testing.T) {
	runCases(t, []parseCase{{
		name: "glob, braces and relative paths",
		files: map[string]string{
			mainFile:         "a\ninclude conf.d/*.conf\ninclude other/{x,y}.conf\nz\n",
			"conf.d/1.conf":  "one {\n  include ../other/x.conf\n}\n",
			"conf.d/2.conf":  "two\n",
			"conf.d/.h.conf": "hidden\n",
			"other/x.conf":   "x ${_PWD}\n",
			"other/y.conf":   "y\n",
		},
		want: []*Node{
			nd("1:1", "a"),
			blk(nd("conf.d/1.conf:1:1", "one"), "conf.d/1.conf:3:1",
				nd("other/x.conf:1:1", "x", w("other/x.conf:1:3", "other"))),
			nd("conf.d/2.conf:1:1", "two"),
			nd("other/x.conf:1:1", "x", w("other/x.conf:1:3", "other")),
			nd("other/y.conf:1:1", "y"),
			nd("4:1", "z"),
		},
	}, {
		name:  "missing files warn with plain include",
		files: main("include nope.conf\ninclude none/*.conf\ninclude {a,b}.conf\nok\n"),
		want:  []*Node{nd("4:1", "ok")},
		diags: []string{
			`main.conf:1:1: warning: include: config file "nope.conf" not found`,
			`main.conf:2:1: warning: include: no config files matched "none/*.conf"`,
			`main.conf:3:1: warning: include: config file "a.conf" not found`,
			`main.conf:3:1: warning: include: config file "b.conf" not found`,
		},
	}, {
		name: "strict variants and include_check",
		files: map[string]string{
			mainFile: "includer nope.conf\nincludem nope.conf\nincludew none/*\nincludeb {a,b}.conf\nincludea none/*\n" +
				"include sub.conf\ninclude nope.conf\ninclude_check -match\ninclude nope.conf\ninclude_check bogus\n",
			"a.conf":   "a\n",
			"sub.conf": "include_check\ninclude nope.conf\n",
		},
		want: []*Node{
			// include_check is a preprocessor directive, not part of the tree.
			nd("a.conf:1:1", "a"),
		},
		diags: []string{
			`main.conf:1:1: warning: include: config file "nope.conf" not found`,
			`main.conf:2:1: error: include: config file "nope.conf" not found`,
			`main.conf:3:1: error: include: no config files matched "none/*"`,
			`main.conf:4:1: error: include: config file "b.conf" not found`,
			`main.conf:5:1: error: include: no config files matched "none/*"`,
			`sub.conf:2:1: error: include: config file "nope.conf" not found`,
			`main.conf:7:1: warning: include: config file "nope.conf" not found`,
			`main.conf:9:1: warning: include: config file "nope.conf" not found`,
			`main.conf:10:15: error: include_check: unknown check "bogus" (want readable, match, wildcard_match or brace_match)`,
		},
	}, {
		// Issue 10 fault 8: 20 "{a,b}" groups made a million names (9.7 s,
		// 425 MB, a warning each). The expansion stops at maxBraceNames.
		name:  "brace expansion capped",
		files: main("include " + strings.Repeat("{a,b}", 20) + ".conf\nok\n"),
		want:  []*Node{nd("2:1", "ok")},
		diags: []string{
			`main.conf:1:9: error: include: "` + strings.Repeat("{a,b}", 20) + `.conf" expands to more than 1024 file names; split it into several include lines`,
		},
	}, {
		// The summary is an error if a file it counts would have been one.
		name:  "missing files named up to 8, then summarised",
		files: main("include {a,b}{c,d}{e,f}{g,h}.conf\nincludeb x{1,2,3,4,5,6,7,8,9}/*.conf\nincludeb {1,2,3,4,5,6,7,8,9,a}.conf\n"),
		diags: []string{
			`main.conf:1:1: warning: include: config file "aceg.conf" not found`,
			`main.conf:1:1: warning: include: config file "aceh.conf" not found`,
			`main.conf:1:1: warning: include: config file "acfg.conf" not found`,
			`main.conf:1:1: warning: include: config file "acfh.conf" not found`,
			`main.conf:1:1: warning: include: config file "adeg.conf" not found`,
			`main.conf:1:1: warning: include: config file "adeh.conf" not found`,
			`main.conf:1:1: warning: include: config file "adfg.conf" not found`,
			`main.conf:1:1: warning: include: config file "adfh.conf" not found`,
			`main.conf:1:1: warning: include: 8 more config files from "{a,b}{c,d}{e,f}{g,h}.conf" not found`,
			`main.conf:2:1: warning: include: no config files matched "x1/*.conf"`,
			`main.conf:2:1: warning: include: no config files matched "x2/*.conf"`,
			`main.conf:2:1: warning: include: no config files matched "x3/*.conf"`,
			`main.conf:2:1: warning: include: no config files matched "x4/*.conf"`,
			`main.conf:2:1: warning: include: no config files matched "x5/*.conf"`,
			`main.conf:2:1: warning: include: no config files matched "x6/*.conf"`,
			`main.conf:2:1: warning: include: no config files matched "x7/*.conf"`,
			`main.conf:2:1: warning: include: no config files matched "x8/*.conf"`,
			`main.conf:2:1: warning: include: 1 more config files from "x{1,2,3,4,5,6,7,8,9}/*.conf" not found`,
			`main.conf:3:1: error: include: config file "1.conf" not found`,
			`main.conf:3:1: error: include: config file "2.conf" not found`,
			`main.conf:3:1: error: include: config file "3.conf" not found`,
			`main.conf:3:1: error: include: config file "4.conf" not found`,
			`main.conf:3:1: error: include: config file "5.conf" not found`,
			`main.conf:3:1: error: include: config file "6.conf" not found`,
			`main.conf:3:1: error: include: config file "7.conf" not found`,
			`main.conf:3:1: error: include: config file "8.conf" not found`,
			`main.conf:3:1: error: include: 2 more config files from "{1,2,3,4,5,6,7,8,9,a}.conf" not found`,
		},
	}, {
		name: "cycle and directory",
		files: map[string]string{
			mainFile:   "include b.conf\ninclude d\n",
			"b.conf":   "b\ninclude main.conf\n",
			"d/x.conf": "x\n",
		},
		want: []*Node{nd("b.conf:1:1", "b")},
		diags: []string{
			"b.conf:2:1: error: include cycle: main.conf -> b.conf -> main.conf",
			`main.conf:2:1: warning: include: configuration file "d" is a directory - skipping`,
		},
	}, {
		name:  "a block may span files, as in keepalived",
		files: map[string]string{mainFile: "g {\ninclude in.conf\n", "in.conf": "r 1\n}\n"},
		want:  []*Node{blk(nd("1:1", "g"), "in.conf:2:1", nd("in.conf:1:1", "r", w("in.conf:1:3", "1")))},
	}})
}

func TestParseFileMissing(t *testing.T) {
	f, ds := ParseFile("etc/none.conf", Options{FS: fstest.MapFS{}})
	if f == nil || len(f.Nodes) != 0 {
		t.Fatalf("got %+v, want an empty File", f)
	}
	want := []string{"etc/none.conf:0:0: error: cannot read configuration file: open etc/none.conf: file does not exist"}
	if diff := cmp.Diff(want, diagStrings(ds)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestExpandBraces(t *testing.T) {
	for in, want := range map[string][]string{
		"a":                    {"a"},
		"a{b,c}d":              {"abd", "acd"},
		"{foo/{,cat,dog},bar}": {"foo/", "foo/cat", "foo/dog", "bar"},
		"x{}y{1,2}":            {"x{}y1", "x{}y2"},
		"open{a,b":             {"open{a,b"},
		"{1,2,3,4,5,6,7,8}":    {"1", "2", "3", "4", "5", "6", "7", "8"},
	} {
		got, ok := expandBraces(in, 8)
		if !ok {
			t.Errorf("expandBraces(%q, 8) gave up", in)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("expandBraces(%q) (-want +got):\n%s", in, diff)
		}
	}
	for _, in := range []string{"{1,2,3,4,5,6,7,8,9}", "{a,b}{c,d}{e,f}{g,h}", strings.Repeat("{a,b}", 40)} {
		if got, ok := expandBraces(in, 8); ok || got != nil {
			t.Errorf("expandBraces(%q, 8) = %q, %v; want nil, false", in, got, ok)
		}
	}
}
