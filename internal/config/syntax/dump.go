package syntax

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Dump writes nodes in normalised keepalived syntax: one statement per
// line, four-space indentation, '{' on the keyword line and '}' on its
// own. Words are escaped so that parsing the output gives the same tree
// (positions aside): quoted arguments stay quoted, and characters that
// would otherwise start a comment, a block, a parameter substitution, an
// @config-id or an include are written as escapes.
func Dump(w io.Writer, nodes []*Node) error {
	bw := bufio.NewWriter(w)
	dumpNodes(bw, nodes, 0)
	return bw.Flush()
}

// String renders one node (and its block) as Dump would.
func (n *Node) String() string {
	var b strings.Builder
	_ = Dump(&b, []*Node{n})
	return strings.TrimSuffix(b.String(), "\n")
}

func dumpNodes(w *bufio.Writer, nodes []*Node, depth int) {
	indent := strings.Repeat("    ", depth)
	for _, n := range nodes {
		w.WriteString(indent)
		w.WriteString(encodeWord(n.Keyword, false, true))
		for _, a := range n.Args {
			w.WriteByte(' ')
			w.WriteString(encodeWord(a.Text, a.Quoted, false))
		}
		if n.Block {
			w.WriteString(" {\n")
			dumpNodes(w, n.Children, depth+1)
			w.WriteString(indent)
			w.WriteByte('}')
		}
		w.WriteByte('\n')
	}
}

// encodeWord writes s so that splitWords reads it back as one word with
// the same text and quotedness.
func encodeWord(s string, quoted, first bool) string {
	if s == "" {
		return `""`
	}
	var b strings.Builder
	if quoted {
		b.WriteByte('"')
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || !quoted && c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case !quoted && (c == '#' || c == '!'):
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f || c == '"',
			!quoted && (isSpace(c) || c == '{' || c == '}'),
			c == '$' && i+1 < len(s) && (s[i+1] == '{' || s[i+1] == '_' || isAlpha(s[i+1])),
			first && i == 0 && !quoted && (c == '@' || c == '~' || c == '$' || strings.HasPrefix(s, "include")):
			fmt.Fprintf(&b, `\%03o`, c)
		default:
			b.WriteByte(c)
		}
	}
	if quoted {
		b.WriteByte('"')
	}
	return b.String()
}
