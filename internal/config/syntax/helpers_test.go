package syntax

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// The helpers below build expected trees compactly. Positions are written
// "line:col" in the file main.conf, or "file:line:col".

const mainFile = "main.conf"

func pos(s string) Pos {
	if s == "" {
		return Pos{}
	}
	f := mainFile
	if strings.Count(s, ":") == 2 {
		i := strings.IndexByte(s, ':')
		f, s = s[:i], s[i+1:]
	}
	var p Pos
	p.File = f
	if _, err := fmt.Sscanf(s, "%d:%d", &p.Line, &p.Col); err != nil {
		panic(err)
	}
	return p
}

// w is an unquoted argument, q a quoted one.
func w(at, text string) Arg { return Arg{Pos: pos(at), Text: text} }
func q(at, text string) Arg { return Arg{Pos: pos(at), Text: text, Quoted: true} }

// nd is a statement without a block.
func nd(at, kw string, args ...Arg) *Node {
	return &Node{Pos: pos(at), Keyword: kw, Args: args}
}

// blk gives n a block that closes at end.
func blk(n *Node, end string, children ...*Node) *Node {
	n.Block, n.EndPos, n.Children = true, pos(end), children
	return n
}

func diagStrings(ds Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

// parseFS parses main.conf from files with opts.
func parseFS(t *testing.T, files map[string]string, opts Options) (*File, Diagnostics) {
	t.Helper()
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
	}
	if opts.FS == nil {
		opts.FS = m
	}
	if opts.Env == nil {
		opts.Env = func(string) (string, bool) { return "", false }
	}
	return ParseFile(mainFile, opts)
}
