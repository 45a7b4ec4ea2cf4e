package config

import "testing"

// TestEveryRowSets: every implemented keyword carries its setter in its
// row, so that adding a keyword means adding one row.
func TestEveryRowSets(t *testing.T) {
	noSetter := map[string]bool{"global_defs include_check": true} // the preprocessor's
	seen := map[*BlockSpec]bool{}
	var walk func(b *BlockSpec)
	walk = func(b *BlockSpec) {
		if seen[b] {
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
	if len(seen) < 20 {
		t.Errorf("walked %d blocks, want every implemented block", len(seen))
	}
}
