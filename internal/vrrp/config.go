package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Config is one VRRP instance as the core sees it. The daemon maps the
// keepalived.conf model to it; defaults are the RFC's where the zero value
// allows, and otherwise documented per field (the daemon sets keepalived's).
type Config struct {
	// VRID is the virtual router identifier, 1..255.
	VRID uint8
	// Version is 2 (RFC 3768) or 3 (RFC 9568).
	Version uint8
	// Priority is the configured (base) priority, 1..255; 255 = address owner.
	Priority uint8
	// AdverInt is Advertisement_Interval. v2: whole seconds 1..255;
	// v3: a multiple of 10ms, 10ms..40.95s.
	AdverInt time.Duration
	// NoPreempt clears Preempt_Mode (RFC default True, so the zero value
	// preempts). Ignored for the owner, which always preempts (RFC 9568 §6.1),
	// and cleared for InitialState MASTER (keepalived: "nopreempt will not
	// work with initial state MASTER - clearing").
	NoPreempt bool
	// PreemptDelay is keepalived's preempt_delay: a BACKUP that hears a
	// lower-priority master keeps accepting it for this long before it
	// discards its adverts and so preempts after Master_Down_Interval. The
	// delay starts at the first such advert after startup or leaving FAULT
	// and is cancelled by an advert of priority >= ours. Cleared for
	// InitialState MASTER, as keepalived does.
	PreemptDelay time.Duration
	// InitialState is keepalived's `state`: StateBackup (default when zero)
	// or StateMaster. MASTER only takes effect for the owner (effective
	// priority 255), which goes MASTER at Startup; any other instance starts
	// in BACKUP and waits Master_Down_Interval, as keepalived does.
	InitialState State
	// AcceptMode is RFC 9568 §6.1 Accept_Mode. The core only reports it;
	// the daemon installs drop rules when it is false for a non-owner.
	AcceptMode bool
	// PrimaryAddr is our source address in adverts (unicast_src_ip,
	// mcast_src_ip, else the interface's primary IPv4 / link-local IPv6),
	// used for the equal-priority tie-break (RFC 9568 §6.4.3).
	PrimaryAddr netip.Addr
	// VIPs are the virtual addresses carried in adverts.
	VIPs []netip.Addr
	// GARPMasterRepeat gratuitous ARPs/NAs are sent on becoming MASTER
	// (keepalived garp_master_repeat, default 5); 0 sends one.
	GARPMasterRepeat int
	// GARPMasterDelay: after this long as MASTER, send GARPMasterRepeat
	// more (keepalived garp_master_delay, default 5s); 0 disables.
	GARPMasterDelay time.Duration
	// GARPMasterRefresh: while MASTER, every GARPMasterRefresh send
	// GARPMasterRefreshRepeat (default 1) more; 0 disables (keepalived default).
	GARPMasterRefresh       time.Duration
	GARPMasterRefreshRepeat int
	// GARPLowerPrioRepeat: gratuitous ARPs a MASTER sends when it receives a
	// lower-priority advert (keepalived garp_lower_prio_repeat); 0 = none.
	GARPLowerPrioRepeat int
	// GARPExtraIf: while MASTER, at the first advert sent more than this
	// after the last round, one gratuitous ARP/NA round on the extra
	// interfaces only (keepalived garp_extra_if, checked in
	// vrrp_state_master_tx); 0 disables.
	GARPExtraIf time.Duration
	// LowerPrioNoAdvert: a MASTER receiving a lower-priority advert discards
	// it silently (RFC 3768/5798) instead of answering with an advert at
	// once (RFC 9568 §6.4.3, keepalived default).
	LowerPrioNoAdvert bool
	// HigherPrioSendAdvert: a MASTER receiving a higher-priority advert
	// sends one advert of its own before going BACKUP (keepalived).
	HigherPrioSendAdvert bool
	// OwnerIgnoreAdverts: an owner (priority 255) ignores received adverts
	// (RFC 3768 §7.1 as published; keepalived owner_ignore_adverts). By
	// default they are processed, per RFC 9568 erratum 8298.
	OwnerIgnoreAdverts bool
	// DownTimerAdverts is the multiplier in Master_Down_Interval, 3 when
	// zero (keepalived down_timer_adverts, 1..100).
	DownTimerAdverts int
}

// normalize validates c and returns it with defaults applied.
func (c Config) normalize() (Config, error) {
	var errs []error
	if c.VRID == 0 {
		errs = append(errs, errors.New("VRID must be 1..255"))
	}
	if c.Version != 2 && c.Version != 3 {
		errs = append(errs, fmt.Errorf("version %d: must be 2 or 3", c.Version))
	}
	if c.Priority == 0 {
		errs = append(errs, errors.New("priority must be 1..255"))
	}
	switch c.Version {
	case 2:
		if c.AdverInt < time.Second || c.AdverInt > 255*time.Second || c.AdverInt%time.Second != 0 {
			errs = append(errs, fmt.Errorf("advert interval %v: VRRPv2 needs whole seconds 1..255", c.AdverInt))
		}
	case 3:
		if c.AdverInt < 10*time.Millisecond || c.AdverInt > 4095*10*time.Millisecond || c.AdverInt%(10*time.Millisecond) != 0 {
			errs = append(errs, fmt.Errorf("advert interval %v: VRRPv3 needs 10ms steps, 10ms..40.95s", c.AdverInt))
		}
	}
	if !c.PrimaryAddr.IsValid() {
		errs = append(errs, errors.New("primary address is required (tie-break)"))
	}
	switch c.InitialState {
	case StateInit:
		c.InitialState = StateBackup
	case StateBackup, StateMaster:
	default:
		errs = append(errs, fmt.Errorf("initial state %v: must be BACKUP or MASTER", c.InitialState))
	}
	if c.DownTimerAdverts == 0 {
		c.DownTimerAdverts = 3
	}
	if c.DownTimerAdverts < 1 || c.DownTimerAdverts > 100 {
		errs = append(errs, fmt.Errorf("down timer adverts %d: must be 1..100", c.DownTimerAdverts))
	}
	if c.GARPMasterRepeat < 0 || c.GARPMasterRefreshRepeat < 0 || c.GARPLowerPrioRepeat < 0 {
		errs = append(errs, errors.New("GARP repeat counts must not be negative"))
	}
	if c.GARPMasterRepeat == 0 {
		c.GARPMasterRepeat = 1
	}
	if c.GARPMasterRefreshRepeat == 0 {
		c.GARPMasterRefreshRepeat = 1
	}
	// keepalived vrrp_complete_instance: "nopreempt is incompatible with
	// priority 255 - resetting nopreempt"; with state MASTER, "nopreempt will
	// not work with initial state MASTER - clearing", likewise preempt_delay.
	if c.Priority == 255 || c.InitialState == StateMaster {
		c.NoPreempt = false
	}
	if c.InitialState == StateMaster || c.NoPreempt {
		c.PreemptDelay = 0
	}
	return c, errors.Join(errs...)
}
