package vmac

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// sysctl is one /proc/sys setting.
type sysctl struct{ path, value string }

// vmacSysctls are the IPv4 settings keepalived applies with use_vmac
// (set_interface_parameters in vrrp_if_config.c): the macvlan answers ARP
// only for its own addresses (the VIPs), accepts packets from local
// addresses and does no reverse-path filtering; the parent answers ARP only
// for addresses configured on it (arp_ignore 1) and only when the reply
// leaves through it (arp_filter 1). Without them the parent also answers ARP
// for the VIP with its own MAC, first, and clients keep a MAC that does not
// move at failover. root is "/proc/sys" (tests pass a directory).
func vmacSysctls(root, name, parent string) (vmacSide, parentSide []sysctl) {
	conf := func(ifname, key, v string) sysctl {
		return sysctl{filepath.Join(root, "net/ipv4/conf", ifname, key), v}
	}
	return []sysctl{
			conf(name, "arp_ignore", "1"),
			conf(name, "accept_local", "1"),
			conf(name, "rp_filter", "0"),
		}, []sysctl{
			conf(parent, "arp_ignore", "1"),
			conf(parent, "arp_filter", "1"),
		}
}

// tuner applies vmacSysctls and, like keepalived, puts the parent's
// original values back when the last VMAC on it is deleted (the macvlan's
// own settings go away with it).
type tuner struct {
	root   string
	mu     sync.Mutex
	parent map[string]string            // vmac name → parent
	users  map[string]int               // parent → VMACs tuned on it
	orig   map[string]map[string]string // parent → path → value before we changed it
}

func newTuner(root string) *tuner {
	return &tuner{root: root, parent: map[string]string{}, users: map[string]int{}, orig: map[string]map[string]string{}}
}

// tune applies the settings for a VMAC name on parent.
func (v *tuner) tune(name, parent string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	own, par := vmacSysctls(v.root, name, parent)
	if v.users[parent] == 0 {
		saved := map[string]string{}
		for _, s := range par {
			b, err := os.ReadFile(s.path)
			if err != nil {
				return fmt.Errorf("use_vmac %s: %w", name, err)
			}
			saved[s.path] = strings.TrimSpace(string(b))
		}
		v.orig[parent] = saved
	}
	for _, s := range append(own, par...) {
		if err := os.WriteFile(s.path, []byte(s.value), 0o644); err != nil {
			return fmt.Errorf("use_vmac %s: %w", name, err)
		}
	}
	if _, ok := v.parent[name]; !ok {
		v.parent[name] = parent
		v.users[parent]++
	}
	return nil
}

// release forgets a deleted VMAC and restores its parent's settings when
// no other VMAC on it remains.
func (v *tuner) release(name string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	parent, ok := v.parent[name]
	if !ok {
		return nil
	}
	delete(v.parent, name)
	if v.users[parent]--; v.users[parent] > 0 {
		return nil
	}
	delete(v.users, parent)
	var errs []error
	for path, val := range v.orig[parent] {
		if err := os.WriteFile(path, []byte(val), 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("restoring %s: %w", path, err))
		}
	}
	delete(v.orig, parent)
	return errors.Join(errs...)
}
