package config

import (
	"fmt"
	"strings"

	"gokeepalived/internal/config/syntax"
)

// Diagnostics and Diagnostic are the syntax package's, so that one list
// carries problems from every pass.
type (
	Diagnostics = syntax.Diagnostics
	Diagnostic  = syntax.Diagnostic
)

// schemaCheck walks the AST against the keyword table. It reports unknown,
// misplaced and unimplemented keywords, argument count and type errors,
// missing or unexpected blocks and repeated keywords, and returns the set
// of nodes that must not be turned into model (they were reported).
// It also returns the row of every node it matched, for the model builder.
func schemaCheck(nodes []*syntax.Node, ds *Diagnostics) (bad map[*syntax.Node]bool, rows map[*syntax.Node]*Keyword) {
	c := &schemaChecker{s: Table(), ds: ds, bad: map[*syntax.Node]bool{}, kw: map[*syntax.Node]*Keyword{}}
	c.block(c.s.Root, nodes)
	return c.bad, c.kw
}

type schemaChecker struct {
	s   *Schema
	ds  *Diagnostics
	bad map[*syntax.Node]bool
	kw  map[*syntax.Node]*Keyword
}

func (c *schemaChecker) block(b *BlockSpec, nodes []*syntax.Node) {
	seen := map[string]*syntax.Node{}
	for _, n := range nodes {
		k := b.Lookup(n.Keyword)
		if k == nil {
			c.unknown(b, n)
			c.bad[n] = true
			continue
		}
		c.kw[n] = k
		if k.Status == Unimplemented {
			c.ds.Errorf(n.Pos, "keyword '%s' is known to keepalived but not implemented by gokeepalived yet", n.Keyword)
			c.bad[n] = true
			continue
		}
		if k.Deprecated != "" {
			c.ds.Warnf(n.Pos, "%s", k.Deprecated)
		}
		canon := k.Name
		if k.AliasOf != "" && b.Lookup(k.AliasOf) != nil {
			canon = k.AliasOf
		}
		if !k.Repeatable {
			if prev, ok := seen[canon]; ok {
				c.ds.Warnf(n.Pos, "'%s' repeats '%s' at line %d in %s; the last one is used", n.Keyword, prev.Keyword, prev.Pos.Line, b.Name)
			}
			seen[canon] = n
		}
		if !c.args(k, n) {
			c.bad[n] = true
		}
		switch {
		case k.OpensBlock() && !n.Block:
			c.ds.Errorf(n.Pos, "'%s' must be followed by a { } block", n.Keyword)
			c.bad[n] = true
		case !k.OpensBlock() && n.Block:
			c.ds.Errorf(n.Pos, "'%s' does not open a { } block", n.Keyword)
			c.bad[n] = true
		case k.Block != nil:
			c.block(k.Block, n.Children)
		case k.ValueBlock:
			for _, ch := range n.Children {
				if ch.Block {
					c.ds.Errorf(ch.Pos, "unexpected { } block in %s", n.Keyword)
					c.bad[ch] = true
				}
			}
		}
	}
}

func (c *schemaChecker) unknown(b *BlockSpec, n *syntax.Node) {
	if where := c.s.Where(n.Keyword); len(where) > 0 {
		c.ds.Errorf(n.Pos, "keyword '%s' is not valid in %s; it belongs in %s", n.Keyword, b.Name, joinOr(where))
		return
	}
	msg := fmt.Sprintf("unknown keyword '%s' in %s", n.Keyword, b.Name)
	if s := suggest(b, n.Keyword); s != "" {
		msg += fmt.Sprintf("; did you mean '%s'?", s)
	}
	c.ds.Errorf(n.Pos, "%s", msg)
}

func joinOr(list []string) string {
	if len(list) <= 1 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

func plural(n int) string {
	if n == 1 {
		return "argument"
	}
	return "arguments"
}

// args checks the argument count and the type of each typed argument.
func (c *schemaChecker) args(k *Keyword, n *syntax.Node) bool {
	got := len(n.Args)
	switch {
	case k.MaxArgs == 0 && got > 0:
		c.ds.Errorf(n.Args[0].Pos, "'%s' takes no arguments, got %d", n.Keyword, got)
		return false
	case got < k.MinArgs && k.MinArgs == k.MaxArgs:
		c.ds.Errorf(n.Pos, "'%s' needs %d %s, got %d", n.Keyword, k.MinArgs, plural(k.MinArgs), got)
		return false
	case got < k.MinArgs:
		c.ds.Errorf(n.Pos, "'%s' needs at least %d %s, got %d", n.Keyword, k.MinArgs, plural(k.MinArgs), got)
		return false
	case k.MaxArgs >= 0 && got > k.MaxArgs:
		c.ds.Errorf(n.Args[k.MaxArgs].Pos, "'%s' takes at most %d %s, got %d", n.Keyword, k.MaxArgs, plural(k.MaxArgs), got)
		return false
	}
	ok := true
	for i, spec := range k.Args {
		if i >= got {
			break
		}
		if msg := checkArg(n.Keyword, spec, n.Args[i].Text); msg != "" {
			c.ds.Errorf(n.Args[i].Pos, "%s", msg)
			ok = false
		}
	}
	return ok
}
