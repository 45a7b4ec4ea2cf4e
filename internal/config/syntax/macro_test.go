package syntax

import "testing"

func TestParseDefinitions(t *testing.T) {
	runCases(t, []parseCase{{
		name: "lazy recursive expansion",
		files: main("$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n" +
			"$ADDRESS_BASE_SUB=0\n" +
			"${ADDRESS_BASE}.100/32\n" +
			"$ADDRESS_BASE_SUB=10\n" +
			"${ADDRESS_BASE}.100/32\n"),
		want: []*Node{nd("3:1", "10.2.0.100/32"), nd("5:1", "10.2.10.100/32")},
	}, {
		name: "unbraced use needs a separator after it",
		files: main("$P=240\n" +
			"priority $P\n" +
			"list $P,$P)\n" +
			"x $Px\n"),
		want: []*Node{
			nd("2:1", "priority", w("2:10", "240")),
			nd("3:1", "list", w("3:6", "240,240)")),
			nd("4:1", "x", w("4:3", "$Px")),
		},
		diags: []string{`main.conf:4:3: warning: undefined parameter "$Px" left as is`},
	}, {
		name:  "undefined braced use is kept",
		files: main("notify \"/bin/echo ${NOPE} $1\"\n"),
		want:  []*Node{nd("1:1", "notify", q("1:8", "/bin/echo ${NOPE} $1"))},
		diags: []string{`main.conf:1:19: warning: undefined parameter "${NOPE}" left as is`},
	}, {
		name:  "empty value and conditional definition",
		files: main("$E=\n@main $PRIO=240\n@backup $PRIO=200\nfoo${E} $PRIO\n$IF_MAIN=@main\n$IF_MAIN priority 1\n"),
		opts:  Options{ConfigID: "main"},
		want: []*Node{
			nd("4:1", "foo", w("4:9", "240")),
			nd("6:10", "priority", w("6:19", "1")),
		},
	}, {
		name: "multi-line definition used twice",
		files: main("$INSTANCE= \\\n" +
			"vrrp_instance VI_${NUM} { \\\n" +
			"    @high priority 130 \\\n" +
			"    @low priority 120 \\\n" +
			"    virtual_ipaddress { \\\n" +
			"        10.0.${NUM}.254/24 \\\n" +
			"    } \\\n" +
			"}\n" +
			"$NUM=0\n" +
			"$INSTANCE\n" +
			"$NUM=1\n" +
			"  $INSTANCE\n"),
		opts: Options{ConfigID: "low"},
		want: []*Node{
			blk(nd("10:1", "vrrp_instance", w("10:1", "VI_0")), "10:1",
				nd("10:1", "priority", w("10:1", "120")),
				blk(nd("10:1", "virtual_ipaddress"), "10:1", nd("10:1", "10.0.0.254/24"))),
			blk(nd("12:3", "vrrp_instance", w("12:3", "VI_1")), "12:3",
				nd("12:3", "priority", w("12:3", "120")),
				blk(nd("12:3", "virtual_ipaddress"), "12:3", nd("12:3", "10.0.1.254/24"))),
		},
	}, {
		name: "nested multi-line definitions and an empty line ending one",
		files: main("$RS= \\\n" +
			"real_server 192.168.${VS}.${RS_NUM} 80 { \\\n" +
			"  weight 1 \\\n" +
			"}\n" +
			"$VS_DEF= \\\n" +
			"virtual_server 10.0.${VS}.4 80 { \\\n" +
			"# a comment line does not end it \\\n" +
			"  $RS_NUM=1 \\\n" +
			"  $RS \\\n" +
			"  $RS_NUM=2 \\\n" +
			"  $RS \\\n" +
			"}\n" +
			"$VS=7\n" +
			"$VS_DEF\n" +
			"$CUT= \\\n" +
			"a \\\n" +
			"\n" +
			"b\n"),
		want: []*Node{
			blk(nd("14:1", "virtual_server", w("14:1", "10.0.7.4"), w("14:1", "80")), "14:1",
				blk(nd("14:1", "real_server", w("14:1", "192.168.7.1"), w("14:1", "80")), "14:1",
					nd("14:1", "weight", w("14:1", "1"))),
				blk(nd("14:1", "real_server", w("14:1", "192.168.7.2"), w("14:1", "80")), "14:1",
					nd("14:1", "weight", w("14:1", "1")))),
			nd("18:1", "b"),
		},
	}, {
		name:  "multi-line definition in the middle of a line is not expanded",
		files: main("$M= \\\nx \\\ny\nk $M z\n"),
		want:  []*Node{nd("4:1", "k", w("4:3", "$M"), w("4:6", "z"))},
		diags: []string{`main.conf:4:3: warning: multi-line parameter "$M" can only be used at the end of a line; left as is`},
	}, {
		name:  "self-referencing definition",
		files: main("$A=x$A\n$A\nok\n"),
		want:  []*Node{nd("3:1", "ok")},
		diags: []string{"main.conf:2:1: error: parameter substitution of $A does not terminate (a definition that uses itself?); line dropped"},
	}, {
		name:  "recursive multi-line definition",
		files: main("$A= \\\n$A\n$A\n"),
		diags: []string{"main.conf:3:1: error: parameter substitution of $A does not terminate (a definition that uses itself?); line dropped"},
	}, {
		name: "built-ins",
		files: main("a ${_INSTANCE} \"${_HASH}${_BANG}\" ${_RANDOM 5 5} ${_PWD} ${_ENV HOME}\n" +
			"b ${_HASH} comment\n" +
			"$_HASH=override\n" +
			"c ${_HASH} ${_RANDOM} ${_INSTANCE 1}\n"),
		opts: Options{ConfigID: "lb1", Env: func(k string) (string, bool) { return "/home/" + k, true }},
		want: []*Node{
			nd("1:1", "a", w("1:3", "lb1"), q("1:16", "#!"), w("1:35", "5"), w("1:50", "."), w("1:58", "/home/HOME")),
			nd("2:1", "b"),
			// Left as is, "${...}" is then split at its braces, as in keepalived.
			blk(nd("4:1", "c", w("4:3", "override"), w("4:12", "30434"), w("4:23", "$")), "4:36",
				nd("4:25", "_INSTANCE", w("4:35", "1"))),
		},
		diags: []string{`main.conf:4:23: warning: parameter "${_INSTANCE 1}" takes no arguments; left as is`},
	}, {
		name:  "unset environment variable",
		files: main("a ${_ENV NOPE}x\n"),
		want:  []*Node{nd("1:1", "a", w("1:15", "x"))},
		diags: []string{`main.conf:1:3: warning: ${_ENV NOPE}: environment variable "NOPE" is not set; using ""`},
	}})
}

func TestParseSequences(t *testing.T) {
	runCases(t, []parseCase{{
		name:  "SEQ",
		files: main("~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n"),
		want: []*Node{
			nd("1:20", "ip_address", w("1:31", "10.0.0.1")),
			nd("1:20", "ip_address", w("1:31", "10.0.1.1")),
			nd("1:20", "ip_address", w("1:31", "10.0.2.1")),
			nd("1:20", "ip_address", w("1:31", "10.0.3.1")),
		},
	}, {
		name:  "SEQx nested, defaults and macros in parameters",
		files: main("$END=0xc0\nvirtual_ipaddress {\n~SEQx(A, 0x90, 0x10, $END) ~SEQx(B, 0x12, -1, 0x11) fe81::${A}:${B}\n}\n~SEQ(N,2) n$N\n~SEQ(M,-2) m$M\n"),
		want: []*Node{
			blk(nd("2:1", "virtual_ipaddress"), "4:1",
				nd("3:53", "fe81::90:12"), nd("3:53", "fe81::90:11"),
				nd("3:53", "fe81::a0:12"), nd("3:53", "fe81::a0:11"),
				nd("3:53", "fe81::b0:12"), nd("3:53", "fe81::b0:11"),
				nd("3:53", "fe81::c0:12"), nd("3:53", "fe81::c0:11")),
			nd("5:11", "n1"), nd("5:11", "n2"),
			nd("6:12", "m-1"), nd("6:12", "m-2"),
		},
	}, {
		name:  "LST with sets, nesting and SEQ",
		files: main("~LST({IP, IP1}, {10,1},{20}) ~SEQ(IP2,168,2,170) 192.${IP2}.${IP}.${IP1}\n~LST(X, a, b) ${X}\n"),
		want: []*Node{
			nd("1:50", "192.168.10.1"), nd("1:50", "192.170.10.1"),
			nd("1:50", "192.168.20."), nd("1:50", "192.170.20."),
			nd("2:15", "a"), nd("2:15", "b"),
		},
	}, {
		name:  "invalid specifications",
		files: main("~SEQ(A, 1, -1, 5) x\n~SEQx(A, -1, 5) x\n~SEQ A\n~LST(A, {1,2}) x\n~LST(A)\n"),
		diags: []string{
			`main.conf:1:1: error: invalid ~SEQ specification "~SEQ(A, 1, -1, 5) x": step -1 never reaches 5 from 1`,
			`main.conf:2:1: error: invalid ~SEQ specification "~SEQx(A, -1, 5) x": ~SEQx is only valid for positive numbers`,
			`main.conf:3:1: error: invalid ~SEQ specification "~SEQ A"`,
			`main.conf:4:1: error: invalid ~LST specification "~LST(A, {1,2}) x": too many values`,
			`main.conf:5:1: error: invalid ~LST specification "~LST(A)": no values`,
		},
	}, {
		name:  "line limit",
		files: main("~SEQ(I, 1, 100) x\n"),
		opts:  Options{MaxLines: 10},
		want:  []*Node{nd("1:17", "x"), nd("1:17", "x"), nd("1:17", "x"), nd("1:17", "x"), nd("1:17", "x"), nd("1:17", "x"), nd("1:17", "x"), nd("1:17", "x"), nd("1:17", "x")},
		diags: []string{"main.conf:1:17: error: configuration expands to more than 10 lines; giving up"},
	}})
}
