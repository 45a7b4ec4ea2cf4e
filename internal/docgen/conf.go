package docgen

import (
	"fmt"
	"strconv"
	"strings"

	"gokeepalived/internal/config"
)

// ConfBlock is one kind of block of the configuration, as the reference
// page documents it.
type ConfBlock struct {
	Name string
	// OpenedBy lists where the block opens: "vrrp_instance (top level)".
	OpenedBy []string
	// Unimplemented: the keyword that opens it is not implemented, so
	// neither is anything inside.
	Unimplemented bool
	Keywords      []*config.Keyword
}

// ConfBlocks walks the keyword table from the top level, depth first, and
// returns each kind of block once (blocks of the same name, such as
// track_file and its deprecated spelling vrrp_track_file, are one).
func ConfBlocks() []*ConfBlock {
	var out []*ConfBlock
	byName := map[string]*ConfBlock{}
	var walk func(b *config.BlockSpec, openedBy string, unimpl bool)
	walk = func(b *config.BlockSpec, openedBy string, unimpl bool) {
		if cb := byName[b.Name]; cb != nil {
			if openedBy != "" {
				cb.OpenedBy = append(cb.OpenedBy, openedBy)
			}
			cb.Unimplemented = cb.Unimplemented && unimpl
			return
		}
		cb := &ConfBlock{Name: b.Name, Unimplemented: unimpl}
		if openedBy != "" {
			cb.OpenedBy = []string{openedBy}
		}
		byName[b.Name] = cb
		out = append(out, cb)
		for _, n := range b.Names() {
			k := b.Lookup(n)
			cb.Keywords = append(cb.Keywords, k)
		}
		for _, k := range cb.Keywords {
			if k.Block != nil {
				walk(k.Block, "`"+k.Name+"` "+where(b.Name), unimpl || k.Status == config.Unimplemented)
			}
		}
	}
	walk(config.Table().Root, "", false)
	return out
}

func where(block string) string {
	if block == config.Table().Root.Name {
		return "at the top level"
	}
	return "in " + block
}

// KeywordSynopsis is `name ARG... [OPTIONAL...]` in inline markup.
func KeywordSynopsis(k *config.Keyword) string {
	parts := []string{"`" + k.Name + "`"}
	n := k.MaxArgs
	if n < 0 {
		n = max(k.MinArgs, len(k.Args)) + 1
	}
	for i := 0; i < n; i++ {
		a := "<word>"
		if i < len(k.Args) {
			a = argName(k.Args[i])
		}
		if k.MaxArgs < 0 && i == n-1 {
			a += "..."
		}
		if i >= k.MinArgs {
			a = "[" + a + "]"
		}
		parts = append(parts, a)
	}
	switch {
	case k.Block != nil:
		parts = append(parts, "{ ... }")
	case k.ValueBlock:
		parts = append(parts, "{ <item> ... }")
	}
	return strings.Join(parts, " ")
}

func argName(a config.ArgSpec) string {
	switch a.Kind {
	case config.ArgEnum:
		if len(a.Enum) == 1 {
			return "`" + a.Enum[0] + "`"
		}
		return "{" + strings.Join(a.Enum, "|") + "}"
	case config.ArgBool:
		return "{on|off}"
	case config.ArgInt:
		return "<integer>"
	case config.ArgTimer:
		return "<seconds>"
	case config.ArgIP:
		return "<address>"
	case config.ArgPrefix:
		return "<address>[/<len>]"
	case config.ArgPort:
		return "<port>"
	case config.ArgPath:
		return "<path>"
	}
	return "<word>"
}

// KeywordText describes a keyword's arguments and status, one sentence per
// fact, in inline markup.
func KeywordText(k *config.Keyword, inUnimplementedBlock bool) []string {
	var out []string
	var ranges []string
	for _, a := range k.Args {
		switch a.Kind {
		case config.ArgInt, config.ArgPort:
			ranges = append(ranges, fmt.Sprintf("<%s> from %s to %s", strings.Trim(argName(a), "<>"), num(a.Min), num(a.Max)))
		case config.ArgTimer:
			ranges = append(ranges, fmt.Sprintf("<seconds> from %s to %s, decimals allowed (microsecond resolution)", num(a.Min), num(a.Max)))
		}
	}
	if len(ranges) > 0 {
		out = append(out, "Range: "+strings.Join(dedup(ranges), "; ")+".")
	}
	if k.Block != nil {
		out = append(out, "Opens the `"+k.Block.Name+"` block (see below).")
	}
	if k.Repeatable {
		out = append(out, "May be given more than once.")
	}
	if k.AliasOf != "" {
		out = append(out, "Another spelling of `"+k.AliasOf+"`.")
	}
	if k.Deprecated != "" {
		out = append(out, "Deprecated: "+strings.ReplaceAll(k.Deprecated, "'", "")+".")
	}
	switch {
	case k.Status == config.Unimplemented:
		out = append(out, "Not implemented by gokeepalived yet: a configuration that uses it is refused with an error naming it.")
	case inUnimplementedBlock:
		out = append(out, "Not implemented, like the block it is in.")
	}
	if len(out) == 0 {
		out = append(out, "Implemented.")
	}
	return out
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func dedup(s []string) []string {
	var out []string
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// ConfSections is the keyword reference: one subsection per block, one item
// per keyword, plus a summary with the counts.
func ConfSections() []Section {
	blocks := ConfBlocks()
	total, unimpl := 0, 0
	var subs []Section
	for _, b := range blocks {
		s := Section{Title: b.Name}
		if len(b.OpenedBy) > 0 {
			s.Paras = append(s.Paras, "Opened by "+strings.Join(b.OpenedBy, ", ")+".")
		} else {
			s.Paras = append(s.Paras, "The top level of the file.")
		}
		if b.Unimplemented {
			s.Paras = append(s.Paras, "Not implemented: the keyword that opens this block is refused, and so is everything in it.")
		}
		for _, k := range b.Keywords {
			total++
			if k.Status == config.Unimplemented || b.Unimplemented {
				unimpl++
			}
			s.Items = append(s.Items, Item{Tag: KeywordSynopsis(k), Text: KeywordText(k, b.Unimplemented)})
		}
		subs = append(subs, s)
	}
	summary := fmt.Sprintf("The table holds %d keywords in %d kinds of block; %d of them are recognised but not implemented "+
		"(a keyword inside a block that is not implemented counts too). `gokeepalived --unsupported-keywords` lists those "+
		"that are refused, each block once.", total, len(blocks), unimpl)
	return []Section{
		{Title: "KEYWORDS", Paras: []string{summary}, Subsections: subs},
	}
}
