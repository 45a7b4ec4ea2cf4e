package daemon

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/ipvs"
	"gokeepalived/internal/lb/nft"
)

// Load-balancer backend names (--lb-backend).
const (
	BackendAuto = "auto"
	BackendIPVS = "ipvs"
	BackendNFT  = "nft"
)

// lbBackend is an opened backend with its name and how to close it.
type lbBackend struct {
	lb.Backend
	name  string
	close func() error
	why   string // why this backend was chosen
	// check, if set, says whether the backend can program a service
	// (nftables cannot do every IPVS scheduler or forwarding method).
	check func(lb.Service) error
}

// procIPVS exists when the kernel has IPVS loaded.
const procIPVS = "/proc/net/ip_vs"

// ipvsAvailable reports whether the kernel has IPVS: /proc/net/ip_vs
// exists, or loading the ip_vs module (modprobe, bounded to 5 s) makes it
// appear.
func ipvsAvailable() (bool, string) {
	if _, err := os.Stat(procIPVS); err == nil {
		return true, procIPVS + " exists"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "modprobe", "-q", "ip_vs").CombinedOutput()
	if err == nil {
		if _, err := os.Stat(procIPVS); err == nil {
			return true, "module ip_vs loaded"
		}
	}
	why := fmt.Sprintf("%s is missing and modprobe ip_vs failed", procIPVS)
	if err != nil {
		why += fmt.Sprintf(" (%v %s)", err, string(out))
	}
	return false, why
}

// openBackend opens the backend named by choice (auto, ipvs or nft).
func openBackend(choice string, probeIPVS func() (bool, string)) (*lbBackend, error) {
	if probeIPVS == nil {
		probeIPVS = ipvsAvailable
	}
	why := "chosen by --lb-backend"
	switch choice {
	case "", BackendAuto:
		ok, reason := probeIPVS()
		if ok {
			choice, why = BackendIPVS, "auto: the kernel has IPVS ("+reason+")"
		} else {
			choice, why = BackendNFT, "auto: no IPVS in this kernel ("+reason+"), using nftables"
		}
	}
	switch choice {
	case BackendIPVS:
		b := ipvs.New()
		if err := b.Open(); err != nil {
			return nil, err
		}
		return &lbBackend{Backend: b, name: BackendIPVS, close: b.Close, why: why}, nil
	case BackendNFT:
		b := nft.New(nft.Options{})
		return &lbBackend{Backend: b, name: BackendNFT, close: func() error { return nil }, why: why, check: nft.Check}, nil
	}
	return nil, fmt.Errorf("load-balancer backend %q: want auto, ipvs or nft", choice)
}
