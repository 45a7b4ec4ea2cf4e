// Package syntax is the keepalived.conf language as keepalived 2.2 reads it:
// a lexer and preprocessor (comments, quotes, include globs, $MACROS,
// @config-id lines, ~SEQ/~LST) that produce a positioned AST. It knows no
// keywords; package config checks the AST against the keyword table and
// builds the typed model.
//
// Every node and every diagnostic carries file:line:col.
package syntax

import "fmt"

// Pos is a position in a configuration file. Line and Col are 1-based;
// Col counts bytes.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.File == "" && p.Line == 0 {
		return "-"
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Arg is one word on a configuration line after the keyword, after macro
// expansion and quote removal.
type Arg struct {
	Pos    Pos
	Text   string
	Quoted bool // the word was written in "..." or '...'
}

// Node is one configuration line: a keyword, its arguments and, if the line
// opens a block, the block's children.
type Node struct {
	Pos      Pos // position of the keyword
	Keyword  string
	Args     []Arg
	Block    bool    // the line opened a { } block (possibly empty)
	Children []*Node // lines inside the block
	EndPos   Pos     // position of the closing brace, for blocks
}

// File is the parsed result of a configuration file and everything it
// includes, in order.
type File struct {
	Path  string
	Nodes []*Node
}
