package ctl

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteTableVirtualServers(t *testing.T) {
	st := &Status{VirtualServers: []VirtualServerStatus{{
		Name: "192.0.2.100:1358/TCP", Backend: "nft", Algo: "rr", Kind: "NAT", Persistence: "50s", Quorum: true, WeightSum: 1,
		SorryAddr: "198.18.0.200:1358",
		RealServers: []RealServerStatus{
			{Addr: "198.18.0.2:1358", Weight: 1, Up: false, Reason: "digest mismatch on /testurl2/test.jsp"},
			{Addr: "198.18.0.3:1358", Weight: 1, Up: true, InTable: true, Reason: "2 url(s) ok"},
		},
	}}}
	var b strings.Builder
	if err := WriteTable(&b, st); err != nil {
		t.Fatal(err)
	}
	want := `INSTANCE  IFACE  VRID  AF  STATE  PRIO  MASTER  LAST ADVERT  VIPS

VIRTUAL SERVER        BACKEND  ALGO            KIND  QUORUM  REAL SERVER                WEIGHT  STATE       REASON
192.0.2.100:1358/TCP  nft      rr persist 50s  NAT   up (1)                                                 
                                                             198.18.0.2:1358            1       DOWN (out)  digest mismatch on /testurl2/test.jsp
                                                             198.18.0.3:1358            1       up          2 url(s) ok
                                                             198.18.0.200:1358 (sorry)          standby     
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}
