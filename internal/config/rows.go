package config

import (
	"net/netip"
	"strings"
	"time"

	"gokeepalived/internal/config/syntax"
)

// A keyword's row in the table (keywords_*.go) carries everything about
// it: its schema (arguments, block), set, which turns one use of the
// keyword into model, and dump, which prints what the model holds for it
// (`-d`). Both work on the model object of the enclosing block (*Config
// at the top level, *Global, *Instance, ...). The block builders in
// build*.go only create that object with its defaults, apply the rows of
// its lines, and run the checks that need the whole block.

// set attaches a setter to k. T is the model object of k's block (or an
// interface it satisfies); the arguments have passed the schema check.
func set[T any](k *Keyword, fn func(b *builder, t T, n *syntax.Node)) *Keyword {
	k.set = func(b *builder, obj any, n *syntax.Node) { fn(b, obj.(T), n) }
	return k
}

// show attaches a dumper to k.
func show[T any](k *Keyword, fn func(d *dumper, i int, t T)) *Keyword {
	k.dump = func(d *dumper, i int, obj any) { fn(d, i, obj.(T)) }
	return k
}

// apply runs the setter of each of parent's children that passed the
// schema check on obj, in file order, and returns the last node of each
// keyword (for positions in later checks).
func (b *builder) apply(obj any, parent *syntax.Node) map[string]*syntax.Node {
	nodes := map[string]*syntax.Node{}
	for _, n := range b.good(parent.Children) {
		nodes[n.Keyword] = n
		if k := b.kw[n]; k != nil && k.set != nil {
			k.set(b, obj, n)
		}
	}
	return nodes
}

// rows dumps obj through the dumpers of spec's rows, in table order with
// nested blocks last; aliases are dumped under their canonical keyword only.
func (d *dumper) rows(i int, spec *BlockSpec, obj any) {
	for _, blocks := range []bool{false, true} {
		for _, name := range spec.order {
			if k := spec.Keywords[name]; k.dump != nil && k.AliasOf == "" && (k.Block != nil) == blocks {
				k.dump(d, i, obj)
			}
		}
	}
}

// spec returns the block schema a keyword of the top level (or, with
// more names, of the blocks below it) opens.
func spec(path ...string) *BlockSpec {
	b := Table().Root
	for _, name := range path {
		b = b.Lookup(name).Block
	}
	return b
}

// ---- rows for plain values: schema, setter and dumper in one ---------

// intKw is `name N` with N in [min, max].
func intKw[T any](name string, min, max float64, f func(T) *int) *Keyword {
	k := set(kw(name, 1, 1, tInt(min, max)), func(b *builder, t T, n *syntax.Node) { *f(t) = b.int(n, 0) })
	return show(k, func(d *dumper, i int, t T) { d.kv(i, name, *f(t)) })
}

// secsKw is `name N`: whole seconds in [min, max].
func secsKw[T any](name string, min, max float64, f func(T) *time.Duration) *Keyword {
	k := set(kw(name, 1, 1, tInt(min, max)), func(b *builder, t T, n *syntax.Node) { *f(t) = b.secs(n, 0) })
	return show(k, func(d *dumper, i int, t T) { d.kv(i, name, *f(t)) })
}

// timerKw is `name SECONDS`: decimal seconds in [min, max].
func timerKw[T any](name string, min, max float64, f func(T) *time.Duration) *Keyword {
	k := set(kw(name, 1, 1, tTimer(min, max)), func(b *builder, t T, n *syntax.Node) { *f(t) = b.dur(n, 0) })
	return show(k, func(d *dumper, i int, t T) { d.kv(i, name, *f(t)) })
}

// strKw is `name WORD`; the dump shows it when set.
func strKw[T any](name string, f func(T) *string) *Keyword {
	k := set(kw(name, 1, 1, tStr), func(b *builder, t T, n *syntax.Node) { *f(t) = n.Args[0].Text })
	return show(k, func(d *dumper, i int, t T) {
		if *f(t) != "" {
			d.kv(i, name, *f(t))
		}
	})
}

// enumKw is `name WORD` with WORD one of vals; the dump shows it when set.
func enumKw[T any](name string, f func(T) *string, vals ...string) *Keyword {
	k := set(kw(name, 1, 1, tEnum(vals...)), func(b *builder, t T, n *syntax.Node) { *f(t) = n.Args[0].Text })
	return show(k, func(d *dumper, i int, t T) {
		if *f(t) != "" {
			d.kv(i, name, *f(t))
		}
	})
}

// ipKw is `name ADDR`; the dump shows it when set.
func ipKw[T any](name string, f func(T) *netip.Addr) *Keyword {
	k := set(kw(name, 1, 1, tIP), func(b *builder, t T, n *syntax.Node) { *f(t) = b.ip(n, 0) })
	return show(k, func(d *dumper, i int, t T) {
		if f(t).IsValid() {
			d.kv(i, name, *f(t))
		}
	})
}

// optBoolKw is `name [<BOOL>]`: no argument means true.
func optBoolKw[T any](name string, f func(T) *bool) *Keyword {
	k := set(optBool(name), func(b *builder, t T, n *syntax.Node) { *f(t) = b.optBool(n) })
	return show(k, func(d *dumper, i int, t T) { d.kv(i, name, *f(t)) })
}

// flagKw is `name` without arguments: it sets the field to v. Only the
// keyword that sets true is dumped (nopreempt clears what preempt shows).
func flagKw[T any](name string, f func(T) *bool, v bool) *Keyword {
	k := set(flag(name), func(b *builder, t T, n *syntax.Node) { *f(t) = v })
	if !v {
		return k
	}
	return show(k, func(d *dumper, i int, t T) { d.kv(i, name, *f(t)) })
}

// alertKw is `name [<BOOL>]` for a setting that is inherited when unset
// (nil); the dump shows it when set.
func alertKw[T any](name string, f func(T) **bool) *Keyword {
	k := set(optBool(name), func(b *builder, t T, n *syntax.Node) { *f(t) = boolPtr(b.optBool(n)) })
	return show(k, func(d *dumper, i int, t T) {
		if p := *f(t); p != nil {
			d.kv(i, name, *p)
		}
	})
}

// scriptKw is `name SCRIPT [username [groupname]]`.
func scriptKw[T any](name string, f func(T) **ScriptRef) *Keyword {
	k := set(script(name), func(b *builder, t T, n *syntax.Node) { *f(t) = b.scriptRef(n) })
	return show(k, func(d *dumper, i int, t T) { d.script(i, name, *f(t)) })
}

// tracksKw is a track_* value block: NAME [weight N [reverse|noreverse]]
// lines, with N in [min, max].
func tracksKw[T any](name string, min, max int, f func(T) *[]Track) *Keyword {
	k := set(vblock(name), func(b *builder, t T, n *syntax.Node) { *f(t) = b.trackList(n, min, max) })
	return show(k, func(d *dumper, i int, t T) { d.tracks(i, name, *f(t)) })
}

// weightRow is `weight N [reverse]`.
func weightRow[T any](min, max float64, w func(T) (*int, *bool)) *Keyword {
	k := set(weightKw(min, max), func(b *builder, t T, n *syntax.Node) {
		wp, rp := w(t)
		*wp, *rp = b.weight(n)
	})
	return show(k, func(d *dumper, i int, t T) {
		wp, rp := w(t)
		d.kv(i, "weight", weightStr(*wp, *rp))
	})
}

// userKw is `user USERNAME [GROUPNAME]` for a script.
func userKw[T any](f func(T) *ScriptRef) *Keyword {
	k := set(kw("user", 1, 2, tStr, tStr), func(b *builder, t T, n *syntax.Node) {
		r := f(t)
		r.User, r.Group = n.Args[0].Text, ""
		if len(n.Args) > 1 {
			r.Group = n.Args[1].Text
		}
	})
	return show(k, func(d *dumper, i int, t T) {
		if r := f(t); r.User != "" {
			d.kv(i, "user", strings.TrimSpace(r.User+" "+r.Group))
		}
	})
}

// pathKw is `name PATH`.
func pathKw[T any](name string, f func(T) *string) *Keyword {
	k := set(kw(name, 1, 1, tPath), func(b *builder, t T, n *syntax.Node) { *f(t) = n.Args[0].Text })
	return show(k, func(d *dumper, i int, t T) {
		if *f(t) != "" {
			d.kv(i, name, *f(t))
		}
	})
}
