package syntax

// builder assembles statements and braces into the Node tree.
type builder struct {
	root  []*Node
	stack []frame
	last  *Node // the previous statement, if nothing came after it
	diags *Diagnostics
}

// frame is an open block. node is nil for a stray '{', whose lines are
// kept in the enclosing block so that its '}' still balances.
type frame struct {
	node *Node
	open Pos
}

func (b *builder) statement(n *Node) {
	b.add(n)
	b.last = n
}

func (b *builder) add(n *Node) {
	for i := len(b.stack) - 1; i >= 0; i-- {
		if f := b.stack[i]; f.node != nil {
			f.node.Children = append(f.node.Children, n)
			return
		}
	}
	b.root = append(b.root, n)
}

// open handles '{'. It opens the block of the statement just before it,
// on the same line or an earlier one, as keepalived allows.
func (b *builder) open(pos Pos) {
	n := b.last
	b.last = nil
	if n == nil || n.Block {
		b.diags.Errorf(pos, "unexpected '{' without a keyword before it")
		b.stack = append(b.stack, frame{open: pos})
		return
	}
	n.Block = true
	b.stack = append(b.stack, frame{node: n, open: pos})
}

func (b *builder) close(pos Pos) {
	b.last = nil
	if len(b.stack) == 0 {
		b.diags.Errorf(pos, "extra '}' found: no block is open")
		return
	}
	f := b.stack[len(b.stack)-1]
	b.stack = b.stack[:len(b.stack)-1]
	if f.node != nil {
		f.node.EndPos = pos
	}
}

// finish reports the blocks still open at the end of the input.
func (b *builder) finish() {
	for _, f := range b.stack {
		if f.node != nil {
			b.diags.Errorf(f.node.Pos, "missing '}': block %q is not closed at end of input", f.node.Keyword)
		} else {
			b.diags.Errorf(f.open, "missing '}': '{' is not closed at end of input")
		}
	}
	b.stack = nil
}
