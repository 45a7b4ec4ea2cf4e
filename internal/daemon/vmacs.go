package daemon

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"gokeepalived/internal/config"
)

// The interfaces an instance makes: its own VMAC (use_vmac) or ipvlan
// (use_ipvlan), and the extra VMACs of use_vmac_addr / a VIP's use_vmac on
// other interfaces or for the other address family (keepalived 2.2.7's
// vrrp_complete_instance and create_vmac_name).

// vmacRef names one VMAC and the instance it belongs to (for logs).
type vmacRef struct{ instance, name string }

// vmacNames are the interfaces the instance made (its own first).
func (in *instance) vmacNames() []string {
	var out []string
	if in.vmac != "" {
		out = append(out, in.vmac)
	}
	return append(out, in.extraVMACs...)
}

func allVMACs(insts []*instance) []vmacRef {
	var out []vmacRef
	for _, in := range insts {
		for _, n := range in.vmacNames() {
			out = append(out, vmacRef{in.cfg.Name, n})
		}
	}
	return out
}

// vmacKey is an extra VMAC's place: its parent and address family.
type vmacKey struct {
	parent string
	ipv6   bool
}

// instVMACs are the names of one instance's interfaces.
type instVMACs struct {
	main   string             // use_vmac / use_ipvlan, "" without
	extras []vmacKey          // in the order of the addresses needing them
	extra  map[vmacKey]string // their names
}

// vmacLayout names every instance's interfaces, deterministically from the
// configuration alone, so a reload finds the names the running instances
// use. As keepalived's create_vmac_name does, a default name is PREFIX.VRID
// unless another interface of the configuration has it; then PREFIXn.VRID
// (for IPv6 n tries 6 first). keepalived also skips names of interfaces
// that exist in the kernel; we do not (ours must keep their names across a
// reload), and Create refuses an existing interface that is not ours.
func vmacLayout(cfg *config.Config) map[string]*instVMACs {
	used := map[string]bool{}
	for _, ci := range cfg.Instances {
		if ci.UseVMAC && ci.VMACName != "" {
			used[ci.VMACName] = true
		}
		if ci.IPVLAN != nil && ci.IPVLAN.Name != "" {
			used[ci.IPVLAN.Name] = true
		}
	}
	prefix := cfg.Global.VMACPrefix
	if prefix == "" {
		prefix = "vrrp"
	}
	addrPrefix := cfg.Global.VMACAddrPrefix
	if addrPrefix == "" {
		addrPrefix = prefix
	}
	out := map[string]*instVMACs{}
	for _, ci := range cfg.Instances {
		l := &instVMACs{extra: map[vmacKey]string{}}
		out[ci.Name] = l
		switch {
		case ci.UseVMAC && ci.VMACName != "":
			l.main = ci.VMACName
		case ci.IPVLAN != nil && ci.IPVLAN.Name != "":
			l.main = ci.IPVLAN.Name
		case ci.UseVMAC || ci.IPVLAN != nil:
			l.main = freeVMACName(prefix, ci.VRID, ci.Family == 6, used)
		}
		for _, list := range [][]config.VIP{ci.VIPs, ci.ExcludedVIPs} {
			for _, v := range list {
				k, ok := extraVMACFor(ci, v)
				if !ok {
					continue
				}
				if _, have := l.extra[k]; have {
					continue
				}
				l.extra[k] = freeVMACName(addrPrefix, ci.VRID, k.ipv6, used)
				l.extras = append(l.extras, k)
			}
		}
	}
	return out
}

// freeVMACName is create_vmac_name: PREFIX.VRID, else PREFIXn.VRID with n
// = 1, 2, ... (IPv6: 6 first, then 1-5, 7, ...), each cut to 15 bytes by
// shortening the prefix. The name returned is marked used.
func freeVMACName(prefix string, vrid int, ipv6 bool, used map[string]bool) string {
	name := func(num string) string {
		suffix := fmt.Sprintf("%s.%d", num, vrid)
		p := prefix
		if len(p)+len(suffix) > 15 {
			p = p[:max(15-len(suffix), 0)]
		}
		return p + suffix
	}
	n := name("")
	for num := 0; used[n] && num < 1000; {
		switch {
		case ipv6 && num == 0:
			num = 6
		case ipv6 && num == 6:
			num = 1
		default:
			num++
			if ipv6 && num == 6 {
				num++
			}
		}
		n = name(fmt.Sprint(num))
	}
	used[n] = true
	return n
}

// onOwnVMAC says whether the address v goes on the instance's own VMAC:
// use_vmac, no dev (or the instance's interface) and the instance's family.
// (keepalived 2.2.7 puts the addresses of a use_ipvlan instance on the
// interface, not on the ipvlan.)
func onOwnVMAC(ci *config.Instance, v config.VIP) bool {
	return ci.IPVLAN == nil && (v.Dev == "" || v.Dev == ci.Interface) && v.Prefix.Addr().Is6() == (ci.Family == 6)
}

// extraVMACFor says whether v needs an extra VMAC, and where: a VIP's own
// use_vmac, or use_vmac_addr for an address on another interface or of the
// other family (an address on the instance's own VMAC needs none).
func extraVMACFor(ci *config.Instance, v config.VIP) (vmacKey, bool) {
	if ci.UseVMAC && onOwnVMAC(ci, v) {
		return vmacKey{}, false
	}
	ipv6 := v.Prefix.Addr().Is6()
	other := (v.Dev != "" && v.Dev != ci.Interface) || ipv6 != (ci.Family == 6)
	if !v.UseVMAC && !(ci.UseVMACAddr && other) {
		return vmacKey{}, false
	}
	parent := v.Dev
	if parent == "" {
		parent = ci.Interface
	}
	return vmacKey{parent: parent, ipv6: ipv6}, true
}

// addrDev is the interface address v goes on: the instance's own VMAC, an
// extra VMAC, its dev, or the instance's interface.
func addrDev(ci *config.Instance, v config.VIP, main string, extra map[vmacKey]string) string {
	if main != "" && onOwnVMAC(ci, v) {
		return main
	}
	if k, ok := extraVMACFor(ci, v); ok {
		if n := extra[k]; n != "" {
			return n
		}
	}
	if v.Dev != "" {
		return v.Dev
	}
	return ci.Interface
}

// ipvlanSrc is the ipvlan's address, the adverts' source when no
// unicast_src_ip/mcast_src_ip is given (keepalived uses it so).
func ipvlanSrc(ci *config.Instance) netip.Addr {
	if ci.IPVLAN == nil {
		return netip.Addr{}
	}
	return ci.IPVLAN.Addr.Addr()
}

// vmacLayout is the plan's VMAC names (computed once; prepare builds the
// instances one after the other).
func (p *reloadPlan) vmacLayout() map[string]*instVMACs {
	if p.layout == nil {
		p.layout = vmacLayout(p.cfg)
	}
	return p.layout
}

// sameVMACs says whether a running instance already has the interfaces the
// new layout l gives it (a reload that changes them restarts it).
func sameVMACs(in *instance, l *instVMACs) bool {
	if l == nil {
		l = &instVMACs{}
	}
	var want []string
	if l.main != "" {
		want = append(want, l.main)
	}
	for _, k := range l.extras {
		want = append(want, l.extra[k])
	}
	return slices.Equal(in.vmacNames(), want) && maps.Equal(in.vmacExtra, l.extra)
}
