package config

import (
	"sort"
	"strings"
	"sync"

	"gokeepalived/internal/config/syntax"
)

// Status says whether gokeepalived implements a keyword keepalived knows.
type Status uint8

const (
	// Implemented keywords are parsed into the model and acted on.
	Implemented Status = iota
	// Unimplemented keywords are known to keepalived 2.2.7 but not to
	// gokeepalived yet: using one is an error that says exactly that.
	Unimplemented
)

func (s Status) String() string {
	if s == Unimplemented {
		return "unimplemented"
	}
	return "implemented"
}

// ArgKind is the type of one keyword argument.
type ArgKind uint8

const (
	ArgString ArgKind = iota // any word
	ArgInt                   // integer in [Min, Max]
	ArgBool                  // on|off|true|false|yes|no
	ArgTimer                 // decimal seconds in [Min, Max] (µs resolution)
	ArgIP                    // IPv4 or IPv6 address
	ArgPrefix                // IP[/len]
	ArgPort                  // 0..65535 (Min/Max narrow it)
	ArgEnum                  // one of Enum
	ArgPath                  // a file or script path
)

func (k ArgKind) String() string {
	return [...]string{"string", "integer", "boolean", "timer", "IP address", "IP[/len]", "port", "enum", "path"}[k]
}

// ArgSpec describes one positional argument.
type ArgSpec struct {
	Kind     ArgKind
	Min, Max float64
	Enum     []string
}

// Keyword is one entry of the keyword table: a keyword keepalived 2.2.7
// registers in a given block.
type Keyword struct {
	Name    string
	MinArgs int
	MaxArgs int       // -1: unlimited
	Args    []ArgSpec // positional types; arguments beyond len(Args) are free-form
	// Block is the schema of the { } block the keyword opens; ValueBlock
	// says the block holds free-form lines (addresses, names, ...) that the
	// model builder parses. Neither: the keyword must not open a block.
	Block      *BlockSpec
	ValueBlock bool
	Status     Status
	// AliasOf names the keyword this one is a (possibly deprecated)
	// spelling of; Deprecated, if set, is warned about on use.
	AliasOf    string
	Deprecated string
	// Repeatable keywords may appear more than once in a block (checkers,
	// real servers, url blocks); for others a repeat is warned about.
	Repeatable bool
	// Extension keywords are gokeepalived's own (the bgp block):
	// keepalived 2.2.7 does not know them.
	Extension bool

	// set turns one use of the keyword into model and dump prints it
	// (rows.go); nil for unimplemented keywords and for the few that
	// their block's builder reads itself.
	set  func(b *builder, obj any, n *syntax.Node)
	dump func(d *dumper, i int, obj any)
}

// OpensBlock reports whether the keyword must be followed by { }.
func (k *Keyword) OpensBlock() bool { return k.Block != nil || k.ValueBlock }

// BlockSpec is the set of keywords valid inside one kind of block.
type BlockSpec struct {
	Name     string // as shown in messages: "vrrp_instance", "HTTP_GET url"
	Keywords map[string]*Keyword
	order    []string
}

func newBlock(name string, kws ...*Keyword) *BlockSpec {
	b := &BlockSpec{Name: name, Keywords: make(map[string]*Keyword, len(kws))}
	b.add(kws...)
	return b
}

func (b *BlockSpec) add(kws ...*Keyword) *BlockSpec {
	for _, k := range kws {
		if _, dup := b.Keywords[k.Name]; dup {
			panic("config: duplicate keyword " + k.Name + " in " + b.Name)
		}
		b.Keywords[k.Name] = k
		b.order = append(b.order, k.Name)
	}
	return b
}

// Lookup returns the keyword named name in this block, or nil.
func (b *BlockSpec) Lookup(name string) *Keyword { return b.Keywords[name] }

// Names returns the block's keywords in table order.
func (b *BlockSpec) Names() []string { return append([]string(nil), b.order...) }

// ---- table constructors -------------------------------------------------

// kw declares a keyword with min..max arguments of the given positional types.
func kw(name string, min, max int, args ...ArgSpec) *Keyword {
	return &Keyword{Name: name, MinArgs: min, MaxArgs: max, Args: args}
}

// flag declares a keyword without arguments.
func flag(name string) *Keyword { return kw(name, 0, 0) }

// optBool declares `name [<BOOL>]`.
func optBool(name string) *Keyword { return kw(name, 0, 1, tBool) }

// str declares `name <STRING>`.
func str(name string) *Keyword { return kw(name, 1, 1, tStr) }

// script declares `name SCRIPT [username [groupname]]`.
func script(name string) *Keyword { return kw(name, 1, 3, tPath) }

// block declares `name [args] { keywords }`.
func block(name string, min, max int, spec *BlockSpec) *Keyword {
	k := kw(name, min, max)
	k.Block = spec
	return k
}

// vblock declares `name { free-form lines }`.
func vblock(name string) *Keyword {
	k := kw(name, 0, 0)
	k.ValueBlock = true
	return k
}

func (k *Keyword) unimpl() *Keyword { k.Status = Unimplemented; return k }
func (k *Keyword) repeat() *Keyword { k.Repeatable = true; return k }
func (k *Keyword) alias(of, deprecated string) *Keyword {
	k.AliasOf, k.Deprecated = of, deprecated
	return k
}

var (
	tStr  = ArgSpec{Kind: ArgString}
	tPath = ArgSpec{Kind: ArgPath}
	tBool = ArgSpec{Kind: ArgBool}
	tIP   = ArgSpec{Kind: ArgIP}
	tPort = ArgSpec{Kind: ArgPort, Min: 0, Max: 65535}
	tUint = tInt(0, 4294967295)
)

func tInt(min, max float64) ArgSpec   { return ArgSpec{Kind: ArgInt, Min: min, Max: max} }
func tTimer(min, max float64) ArgSpec { return ArgSpec{Kind: ArgTimer, Min: min, Max: max} }
func tEnum(vals ...string) ArgSpec    { return ArgSpec{Kind: ArgEnum, Enum: vals} }

// ---- the whole table ----------------------------------------------------

// Schema is the keyword table: the root block and every block below it.
type Schema struct {
	Root   *BlockSpec
	blocks []*BlockSpec
	// where maps a keyword name to the names of the blocks that accept it.
	where map[string][]string
}

var (
	schemaOnce sync.Once
	schema     *Schema
)

// Table returns the keyword table of keepalived 2.2.7 as gokeepalived knows
// it. It is built once and must not be modified.
func Table() *Schema {
	schemaOnce.Do(func() { schema = buildSchema() })
	return schema
}

func buildSchema() *Schema {
	s := &Schema{Root: rootBlock(), where: map[string][]string{}}
	seen := map[*BlockSpec]bool{}
	// where lists implemented blocks only: a keyword inside an
	// unimplemented block is not offered as a place to move a keyword to.
	var walk func(b *BlockSpec, impl bool)
	walk = func(b *BlockSpec, impl bool) {
		if seen[b] {
			return
		}
		seen[b] = true
		s.blocks = append(s.blocks, b)
		for _, n := range b.order {
			k := b.Keywords[n]
			if impl && !contains(s.where[n], b.Name) {
				s.where[n] = append(s.where[n], b.Name)
			}
			if k.Block != nil {
				walk(k.Block, impl && k.Status == Implemented)
			}
		}
	}
	walk(s.Root, true)
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Where returns the names of the blocks in which keyword name is valid.
func (s *Schema) Where(name string) []string { return append([]string(nil), s.where[name]...) }

// KeywordRef names one keyword in one block.
type KeywordRef struct {
	Block   string
	Keyword *Keyword
}

// UnsupportedKeywords lists every keyword keepalived 2.2.7 knows that
// gokeepalived does not implement yet, sorted by block then name. A
// keyword inside an unimplemented block is listed only through its block.
func UnsupportedKeywords() []KeywordRef {
	s := Table()
	var out []KeywordRef
	seen := map[*BlockSpec]bool{}
	var walk func(b *BlockSpec)
	walk = func(b *BlockSpec) {
		if seen[b] {
			return
		}
		seen[b] = true
		for _, n := range b.order {
			k := b.Keywords[n]
			if k.Status == Unimplemented {
				out = append(out, KeywordRef{Block: b.Name, Keyword: k})
				continue
			}
			if k.Block != nil {
				walk(k.Block)
			}
		}
	}
	walk(s.Root)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Block != out[j].Block {
			return out[i].Block < out[j].Block
		}
		return out[i].Keyword.Name < out[j].Keyword.Name
	})
	return out
}

// AllKeywords returns every (block, keyword) pair in the table, including
// those inside unimplemented blocks.
func AllKeywords() []KeywordRef {
	var out []KeywordRef
	for _, b := range Table().blocks {
		for _, n := range b.order {
			out = append(out, KeywordRef{Block: b.Name, Keyword: b.Keywords[n]})
		}
	}
	return out
}

// suggest returns the keyword of b nearest to name, or "" if none is close.
func suggest(b *BlockSpec, name string) string {
	best, bestD := "", 1<<30
	lname := strings.ToLower(name)
	for _, cand := range b.order {
		d := osaDistance(lname, strings.ToLower(cand))
		if d < bestD {
			best, bestD = cand, d
		}
	}
	limit := 1 + len(name)/4
	if limit > 3 {
		limit = 3
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// osaDistance is the optimal-string-alignment (restricted Damerau-
// Levenshtein) distance: insertions, deletions, substitutions and
// transpositions of adjacent bytes each cost 1.
func osaDistance(a, b string) int {
	la, lb := len(a), len(b)
	d := make([][]int, la+1)
	for i := range d {
		d[i] = make([]int, lb+1)
		d[i][0] = i
	}
	for j := 0; j <= lb; j++ {
		d[0][j] = j
	}
	for i := 1; i <= la; i++ {
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[la][lb]
}
