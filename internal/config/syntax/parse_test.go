package syntax

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

type parseCase struct {
	name  string
	files map[string]string // main.conf and anything it includes
	opts  Options
	want  []*Node
	diags []string
}

func runCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, ds := parseFS(t, tc.files, tc.opts)
			if diff := cmp.Diff(tc.want, f.Nodes); diff != "" {
				t.Errorf("nodes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.diags, diagStrings(ds)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func main(s string) map[string]string { return map[string]string{mainFile: s} }

func TestParseBlocks(t *testing.T) {
	runCases(t, []parseCase{{
		name: "keyword and args",
		files: main("router_id  LVS_1\n" +
			"\tvrrp_strict\n"),
		want: []*Node{
			nd("1:1", "router_id", w("1:12", "LVS_1")),
			nd("2:2", "vrrp_strict"),
		},
	}, {
		name: "nested blocks",
		files: main("vrrp_instance VI_1 {\n" +
			"    state MASTER\n" +
			"    authentication {\n" +
			"        auth_type PASS\n" +
			"    }\n" +
			"}\n"),
		want: []*Node{
			blk(nd("1:1", "vrrp_instance", w("1:15", "VI_1")), "6:1",
				nd("2:5", "state", w("2:11", "MASTER")),
				blk(nd("3:5", "authentication"), "5:5",
					nd("4:9", "auth_type", w("4:19", "PASS")))),
		},
	}, {
		name: "brace on the next line",
		files: main("global_defs\n" +
			"{\n" +
			"  router_id r1\n" +
			"}\n"),
		want: []*Node{
			blk(nd("1:1", "global_defs"), "4:1",
				nd("3:3", "router_id", w("3:13", "r1"))),
		},
	}, {
		name: "block on one line",
		files: main("virtual_ipaddress { 192.0.2.1/24 dev eth0 label eth0:1 }\n" +
			"real_server 192.0.2.9 80 { weight 1 } { TCP_CHECK { connect_timeout 3 } }\n"),
		want: []*Node{
			blk(nd("1:1", "virtual_ipaddress"), "1:56",
				nd("1:21", "192.0.2.1/24", w("1:34", "dev"), w("1:38", "eth0"), w("1:43", "label"), w("1:49", "eth0:1"))),
			// keepalived splits lines only at braces: "weight 1 TCP_CHECK"
			// would be one line, so the test closes a block after "weight 1"
			// and the stray '{' keeps the following lines balanced.
			blk(nd("2:1", "real_server", w("2:13", "192.0.2.9"), w("2:23", "80")), "2:37",
				nd("2:28", "weight", w("2:35", "1"))),
			blk(nd("2:41", "TCP_CHECK"), "2:71",
				nd("2:53", "connect_timeout", w("2:69", "3"))),
		},
		diags: []string{"main.conf:2:39: error: unexpected '{' without a keyword before it"},
	}, {
		name:  "braces split words outside double quotes only",
		files: main("a{b \"c{d}\" }\n"),
		want: []*Node{
			blk(nd("1:1", "a"), "1:12",
				nd("1:3", "b", q("1:5", "c{d}"))),
		},
	}, {
		name:  "empty block",
		files: main("static_ipaddress {\n}\n"),
		want:  []*Node{blk(nd("1:1", "static_ipaddress"), "2:1")},
	}, {
		name:  "missing closing brace",
		files: main("vrrp_instance VI_1 {\n  virtual_ipaddress {\n    192.0.2.1\n}\n"),
		want: []*Node{
			blk(nd("1:1", "vrrp_instance", w("1:15", "VI_1")), "",
				blk(nd("2:3", "virtual_ipaddress"), "4:1",
					nd("3:5", "192.0.2.1"))),
		},
		diags: []string{`main.conf:1:1: error: missing '}': block "vrrp_instance" is not closed at end of input`},
	}, {
		name:  "stray braces",
		files: main("}\nfoo\n}\n{\nbar\n"),
		want:  []*Node{nd("2:1", "foo"), nd("5:1", "bar")},
		diags: []string{
			"main.conf:1:1: error: extra '}' found: no block is open",
			"main.conf:3:1: error: extra '}' found: no block is open",
			"main.conf:4:1: error: unexpected '{' without a keyword before it",
			"main.conf:4:1: error: missing '}': '{' is not closed at end of input",
		},
	}, {
		name:  "second brace after a block",
		files: main("a {\n}\n{\nb\n}\n"),
		want:  []*Node{blk(nd("1:1", "a"), "2:1"), nd("4:1", "b")},
		diags: []string{"main.conf:3:1: error: unexpected '{' without a keyword before it"},
	}, {
		name:  "CRLF line ends",
		files: main("a 1\r\nb {\r\n}\r\n"),
		want:  []*Node{nd("1:1", "a", w("1:3", "1")), blk(nd("2:1", "b"), "3:1")},
	}})
}

func TestParseCommentsAndQuotes(t *testing.T) {
	runCases(t, []parseCase{{
		name: "comments",
		files: main("# full line\n" +
			"! bang line\n" +
			"a 1 # trailing\n" +
			"b 2! bang\n" +
			"c \"x # y ! z\" # real\n" +
			"d \\#e\n"),
		want: []*Node{
			nd("3:1", "a", w("3:3", "1")),
			nd("4:1", "b", w("4:3", "2")),
			nd("5:1", "c", q("5:3", "x # y ! z")),
			nd("6:1", "d", w("6:3", "#e")),
		},
	}, {
		name: "quotes and escapes",
		files: main(`notify "/bin/x a" 'b c' ab" c "d` + "\n" +
			`esc "\t\x41\101\cA\E\q\"\\" \#` + "\n" +
			`empty "" ''` + "\n"),
		want: []*Node{
			nd("1:1", "notify", q("1:8", "/bin/x a"), q("1:19", "b c"), q("1:25", "ab c d")),
			nd("2:1", "esc", q("2:5", "\tAA\x01\x1bq\"\\"), w("2:29", "#")),
			nd("3:1", "empty", q("3:7", ""), q("3:10", "")),
		},
	}, {
		name:  "single quotes do not protect comments, as in keepalived",
		files: main("script 'a # b'\n"),
		want:  nil,
		diags: []string{"main.conf:1:8: error: unterminated quoted string: missing closing '"},
	}, {
		name:  "unterminated double quote",
		files: main("a \"b c\nd 1\n"),
		want:  []*Node{nd("2:1", "d", w("2:3", "1"))},
		diags: []string{`main.conf:1:3: error: unterminated quoted string: missing closing "`},
	}, {
		name:  "trailing backslash outside a definition",
		files: main("a b \\\nc\n"),
		want:  []*Node{nd("2:1", "c")},
		diags: []string{`main.conf:1:5: error: '\' at end of line (line continuation is only allowed in multi-line $definitions)`},
	}})
}

func TestParseConditional(t *testing.T) {
	conf := "@main router_id main_router\n" +
		"@backup router_id backup_router\n" +
		"unicast_peer {\n" +
		"  @^main    1.2.3.4\n" +
		"  @^backup\t1.2.3.5\n" +
		"}\n" +
		"@main\n"
	runCases(t, []parseCase{{
		name:  "config id main",
		files: main(conf),
		opts:  Options{ConfigID: "main"},
		want: []*Node{
			nd("1:7", "router_id", w("1:17", "main_router")),
			blk(nd("3:1", "unicast_peer"), "6:1",
				nd("5:12", "1.2.3.5")),
		},
	}, {
		name:  "no config id",
		files: main(conf),
		want: []*Node{
			blk(nd("3:1", "unicast_peer"), "6:1",
				nd("4:13", "1.2.3.4"),
				nd("5:12", "1.2.3.5")),
		},
	}})
}
