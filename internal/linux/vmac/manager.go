package vmac

import "errors"

// Manager creates and deletes VMACs with keepalived's IPv4 ARP settings on
// the macvlan and its parent (see vmacSysctls), restoring the parent's own
// values when its last VMAC goes. Safe for concurrent use.
type Manager struct{ tuner *tuner }

// NewManager returns a Manager writing settings under procSys ("/proc/sys").
func NewManager(procSys string) *Manager { return &Manager{tuner: newTuner(procSys)} }

// Create makes the VMAC cfg describes (idempotent, see Create) and, for
// IPv4, applies the ARP settings.
func (m *Manager) Create(cfg Config) error {
	if err := Create(cfg); err != nil {
		return err
	}
	if cfg.IPv6 {
		return nil
	}
	return m.tuner.tune(cfg.Name, cfg.Parent)
}

// CreateIPVLAN makes the ipvlan cfg describes (see CreateIPVLAN).
func (m *Manager) CreateIPVLAN(cfg IPVLANConfig) error { return CreateIPVLAN(cfg) }

// Delete removes the VMAC (an absent one is no error) and releases its
// settings.
func (m *Manager) Delete(name string) error {
	err := Delete(name)
	return errors.Join(err, m.tuner.release(name))
}
