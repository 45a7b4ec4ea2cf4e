package vmac

import "errors"

// Manager creates and deletes VMACs with keepalived's IPv4 ARP settings on
// the macvlan and its parent (see vmacSysctls), restoring the parent's own
// values when its last VMAC goes. Safe for concurrent use.
type Manager struct{ tuner *tuner }

// NewManager returns a Manager writing settings under procSys ("/proc/sys").
func NewManager(procSys string) *Manager { return &Manager{tuner: newTuner(procSys)} }

// Create makes the VMAC name on parent for vrid (idempotent, see Create) and,
// for IPv4, applies the ARP settings.
func (m *Manager) Create(name, parent string, vrid uint8, ipv6 bool) error {
	if err := Create(Config{Name: name, Parent: parent, VRID: vrid, IPv6: ipv6}); err != nil {
		return err
	}
	if ipv6 {
		return nil
	}
	return m.tuner.tune(name, parent)
}

// Delete removes the VMAC (an absent one is no error) and releases its
// settings.
func (m *Manager) Delete(name string) error {
	err := Delete(name)
	return errors.Join(err, m.tuner.release(name))
}
