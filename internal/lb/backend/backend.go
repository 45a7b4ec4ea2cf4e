// Package backend opens the kernel load-balancing table that --lb-backend
// names: IPVS (internal/lb/ipvs), nftables (internal/lb/nft), or auto
// (IPVS when the kernel has it, loading the ip_vs module if needed).
// Opening may run modprobe for seconds: the load-balancer runtime calls it
// on its own goroutine.
package backend

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/ipvs"
	"gokeepalived/internal/lb/nft"
	"gokeepalived/internal/linux/kmod"
	"gokeepalived/internal/linux/nsexec"
)

// Backend names (--lb-backend).
const (
	Auto = "auto"
	IPVS = "ipvs"
	NFT  = "nft"
)

// Table is an opened backend with its name and why it was chosen.
type Table struct {
	table lb.Backend
	name  string
	why   string
	close func() error
	// check, if set, says whether the backend can program a service
	// (nftables cannot do every IPVS scheduler or forwarding method).
	check func(lb.Service) error
}

// Table is what the reconciler reads and writes (the backend itself, so
// that its optional interfaces such as lb.KeyedBackend are seen).
func (t *Table) Table() lb.Backend { return t.table }

// Name is ipvs or nft.
func (t *Table) Name() string { return t.name }

// Why says why this backend was chosen.
func (t *Table) Why() string { return t.why }

// Close releases the backend (the table's contents stay).
func (t *Table) Close() error { return t.close() }

// Check reports a service the backend cannot program.
func (t *Table) Check(s lb.Service) error {
	if t.check == nil {
		return nil
	}
	return t.check(s)
}

// procIPVS exists when the kernel has IPVS loaded.
const procIPVS = "/proc/net/ip_vs"

// ipvsAvailable reports whether the kernel has IPVS: /proc/net/ip_vs
// exists, or loading the ip_vs module makes it appear.
func ipvsAvailable() (bool, string) {
	if _, err := os.Stat(procIPVS); err == nil {
		return true, procIPVS + " exists"
	}
	err := kmod.Load(context.Background(), "ip_vs")
	if err == nil {
		if _, err := os.Stat(procIPVS); err == nil {
			return true, "module ip_vs loaded"
		}
	}
	why := fmt.Sprintf("%s is missing and modprobe ip_vs failed", procIPVS)
	if err != nil {
		why += fmt.Sprintf(" (%v)", err)
	}
	return false, why
}

// Select says which backend Open(choice) opens, and why, without opening
// it (-t states it and checks the configuration against it). Auto probes
// the kernel as Open does.
func Select(choice string) (name, why string, err error) { return sel(choice, ipvsAvailable) }

func sel(choice string, probeIPVS func() (bool, string)) (string, string, error) {
	switch choice {
	case "", Auto:
		ok, reason := probeIPVS()
		if ok {
			return IPVS, "auto: the kernel has IPVS (" + reason + ")", nil
		}
		return NFT, "auto: no IPVS in this kernel (" + reason + "), using nftables", nil
	case IPVS, NFT:
		return choice, "chosen by --lb-backend", nil
	}
	return "", "", fmt.Errorf("load-balancer backend %q: want auto, ipvs or nft", choice)
}

// Open opens the backend named by choice (auto, ipvs or nft) with o: in
// the network namespace o.NetNS (net_namespace_ipvs) when set, its
// sockets with o's receive buffers.
func Open(choice string, o lb.OpenOptions) (*Table, error) { return open(choice, o, ipvsAvailable) }

func open(choice string, o lb.OpenOptions, probeIPVS func() (bool, string)) (*Table, error) {
	name, why, err := sel(choice, probeIPVS)
	if err != nil {
		return nil, err
	}
	nsFd := 0
	closeNS := func() error { return nil }
	if o.NetNS != "" {
		fd, err := unix.Open(o.NetNS, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("net_namespace_ipvs %s: %w", o.NetNS, err)
		}
		nsFd = fd
		closeNS = func() error { return unix.Close(fd) }
		why += "; in network namespace " + o.NetNS
	}
	check := func(s lb.Service) error {
		if ps := Problems(name, s); len(ps) > 0 {
			return errors.New(ps[0].String())
		}
		return nil
	}
	switch name {
	case IPVS:
		b := ipvs.NewWith(ipvs.Options{NetNSFd: nsFd, Cmd: o.Cmd})
		open := b.Open
		if nsFd > 0 {
			open = func() error { return nsexec.Do(nsFd, b.Open) }
		}
		err := open()
		if err != nil {
			_ = closeNS()
			return nil, err
		}
		return &Table{table: b, name: IPVS, close: func() error { return errors.Join(b.Close(), closeNS()) }, why: why, check: check}, nil
	default:
		b := nft.New(nft.Options{NetNS: nsFd, Cmd: o.Cmd, Monitor: o.Monitor})
		return &Table{table: b, name: NFT, close: closeNS, why: why, check: check}, nil
	}
}

// ipvsOnly are the keywords only the IPVS backend can program, with why
// nftables cannot.
var ipvsOnly = map[string]string{
	"ops":                       "one-packet scheduling is an IPVS service flag",
	"flag-1":                    "IPVS scheduler flags have no nftables equivalent",
	"flag-2":                    "IPVS scheduler flags have no nftables equivalent",
	"flag-3":                    "IPVS scheduler flags have no nftables equivalent",
	"sh-port":                   "IPVS scheduler flags have no nftables equivalent",
	"sh-fallback":               "IPVS scheduler flags have no nftables equivalent",
	"mh-port":                   "IPVS scheduler flags have no nftables equivalent",
	"mh-fallback":               "IPVS scheduler flags have no nftables equivalent",
	"persistence_engine":        "persistence engines (sip) are IPVS modules",
	"uthreshold":                "connection thresholds need IPVS's per-server connection counts",
	"lthreshold":                "connection thresholds need IPVS's per-server connection counts",
	"lvs_sync_daemon":           "connection synchronisation is IPVS's sync daemon",
	"lvs_sync_daemon_interface": "connection synchronisation is IPVS's sync daemon",
	"lvs_timeouts":              "lvs_timeouts sets IPVS's connection timeouts (conntrack's are sysctls)",
}

// Unsupported says why the backend named name (ipvs or nft) cannot
// program keyword, or "" when it can (or the keyword is not one that
// depends on the backend). `-t` uses it to refuse such a keyword at its
// position.
func Unsupported(name, keyword string) string {
	if name != NFT {
		return ""
	}
	if why, ok := ipvsOnly[keyword]; ok {
		return "the nftables backend cannot program " + keyword + ": " + why + "; use --lb-backend=ipvs"
	}
	return ""
}
