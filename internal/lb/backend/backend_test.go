package backend

import (
	"strings"
	"testing"
)

func TestOpenChoice(t *testing.T) {
	noIPVS := func() (bool, string) { return false, "test: none" }
	b, err := open("auto", noIPVS)
	if err != nil || b.Name() != NFT || !strings.Contains(b.Why(), "no IPVS") {
		t.Fatalf("auto without IPVS = %+v, %v; want nft", b, err)
	}
	if b, err := open("nft", nil); err != nil || b.Name() != NFT {
		t.Fatalf("nft = %+v, %v", b, err)
	}
	if _, err := open("lvs", nil); err == nil || !strings.Contains(err.Error(), "want auto, ipvs or nft") {
		t.Fatalf("bad choice error = %v", err)
	}
}
