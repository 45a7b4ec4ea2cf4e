package config

import (
	"fmt"
	"strings"

	"gokeepalived/internal/config/syntax"
)

// repairMissingBrace turns the usual "missing '}'" mistake into one
// diagnostic at the block whose '}' is missing. When a single block is
// left open at the end of the input, the parser has nested everything
// after the missing '}' one level too deep, and the keyword table then
// reports each following keyword as misplaced (five errors for one
// missing brace in authentication). The first keyword, in file order,
// that is not valid in its block but is valid in the enclosing one marks
// where the '}' is missing: everything from it on moves up one level, the
// end-of-input error is replaced by one naming the block and that
// keyword, and the rest of the file is checked as the user meant it.
func repairMissingBrace(f *syntax.File, ds Diagnostics) Diagnostics {
	const eoi = "is not closed at end of input"
	open := -1
	for i, d := range ds {
		if d.Severity == syntax.SevError && strings.HasPrefix(d.Msg, "missing '}'") && strings.HasSuffix(d.Msg, eoi) {
			if open >= 0 {
				return ds // more than one: leave them as they are
			}
			open = i
		}
	}
	if open < 0 || f == nil {
		return ds
	}
	root := Table().Root
	// chain is the path from the top level to the block being walked.
	type level struct {
		node *syntax.Node // nil for the top level
		spec *BlockSpec
	}
	var found []level // chain to the block missing its '}', that block last
	var at int        // index of the first misplaced child in it
	var walk func(chain []level, nodes []*syntax.Node) bool
	walk = func(chain []level, nodes []*syntax.Node) bool {
		cur := chain[len(chain)-1]
		for i, n := range nodes {
			k := cur.spec.Lookup(n.Keyword)
			if k == nil && len(chain) >= 2 && chain[len(chain)-2].spec.Lookup(n.Keyword) != nil {
				found, at = append([]level(nil), chain...), i
				return true
			}
			if k != nil && k.Block != nil && n.Block {
				if walk(append(chain, level{node: n, spec: k.Block}), n.Children) {
					return true
				}
			}
		}
		return false
	}
	if !walk([]level{{spec: root}}, f.Nodes) {
		return ds
	}
	children := func(l level) *[]*syntax.Node {
		if l.node == nil {
			return &f.Nodes
		}
		return &l.node.Children
	}
	// The top level must end with the chain's outermost block (else a
	// '}' is not what is missing).
	if top := f.Nodes; len(found) < 2 || top[len(top)-1] != found[1].node {
		return ds
	}
	b := found[len(found)-1].node
	misplaced := b.Children[at]
	// Move every node after the misplaced one's position up one level.
	bc := children(found[len(found)-1])
	tail := append([]*syntax.Node(nil), (*bc)[at:]...)
	*bc = (*bc)[:at]
	for j := len(found) - 2; j >= 0; j-- {
		pc := children(found[j])
		idx := -1
		for i, n := range *pc {
			if n == found[j+1].node {
				idx = i
			}
		}
		next := append([]*syntax.Node(nil), (*pc)[idx+1:]...)
		*pc = append((*pc)[:idx+1], tail...)
		tail = next
	}
	where := "the top level"
	if p := found[len(found)-2]; p.node != nil {
		where = p.node.Keyword
	}
	out := append(Diagnostics(nil), ds[:open]...)
	out = append(out, ds[open+1:]...)
	out.Errorf(b.Pos, "%s", fmt.Sprintf("missing '}': block '%s' is not closed before '%s' at line %d, which belongs in %s",
		b.Keyword, misplaced.Keyword, misplaced.Pos.Line, where))
	return out
}
