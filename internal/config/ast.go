// Package config reads keepalived.conf as keepalived 2.2 does: a lexer and
// preprocessor (comments, quotes, include globs, $MACROS, @config-id lines,
// ~SEQ) produce a positioned AST; a keyword table (schema) checks it; a
// validator builds the typed model that the rest of gokeepalived consumes.
//
// Every diagnostic names file:line:col. Nothing is silently ignored: an
// unknown keyword is an error with a suggestion, and a keyword keepalived
// knows but gokeepalived does not implement yet is an error that says so.
package config

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
