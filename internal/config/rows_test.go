package config

import "testing"

// TestEveryRowSets: every implemented keyword of the top level, global_defs
// and the VRRP blocks carries its setter in its row, so that adding a
// keyword means adding one row (the blocks listed in builtIn are still read
// by their block builder).
func TestEveryRowSets(t *testing.T) {
	builtIn := map[string]bool{"virtual_server": true}
	noSetter := map[string]bool{"global_defs include_check": true} // the preprocessor's
	seen := map[*BlockSpec]bool{}
	var walk func(b *BlockSpec)
	walk = func(b *BlockSpec) {
		if seen[b] || builtIn[b.Name] {
			return
		}
		seen[b] = true
		for _, name := range b.Names() {
			k := b.Lookup(name)
			if k.Status != Implemented {
				continue
			}
			if k.set == nil && !noSetter[b.Name+" "+name] {
				t.Errorf("%s %s: implemented but its row has no setter", b.Name, name)
			}
			if k.Block != nil {
				walk(k.Block)
			}
		}
	}
	walk(Table().Root)
	if len(seen) < 8 {
		t.Errorf("walked %d blocks, want the top level, global_defs and the VRRP blocks", len(seen))
	}
}
