// Package vrrp is the pure VRRP protocol core of gokeepalived: the per-
// instance state machine of RFC 3768 (VRRPv2) and RFC 9568 (VRRPv3, which
// obsoletes RFC 5798), with keepalived's FAULT and STOP states, its knobs,
// and sync groups.
//
// # Model
//
// An Instance never does I/O, never reads the clock, starts no goroutine and
// does not log. The daemon calls
//
//	out := inst.Handle(now, input)
//
// with one Input (Startup, Shutdown, AdvertReceived, TimerFired,
// PriorityChanged, Fault, FaultCleared) and performs out.Actions in order
// (SendAdvert, AcquireVIPs, ReleaseVIPs, SendGratuitous, Notify,
// SplitBrainSuspect, NoMasterHeard). out.Deadline is the single next timer;
// the daemon calls Handle(t, TimerFired{}) when its clock reaches it. Every
// state change comes with out.Transition and a human reason ("no
// advertisement from 192.0.2.1 for 3.609s (master down interval)"), which is
// also carried by the Notify action. Inputs without effect say why in
// out.Ignored, for drop counters. Output slices are reused by the next call,
// so the steady-state paths (a BACKUP accepting its master's advert, a
// MASTER's Adver_Timer) do not allocate.
//
// RFC quantities are kept in RFC units (Centisecs) and named as the RFC
// names them: SkewTime, MasterDownInterval, Master_Adver_Interval; they are
// converted to time.Duration only at the edge. Skew_Time is not a whole
// number of centiseconds, so it is kept at nanosecond precision (keepalived
// uses microseconds) rather than rounded.
//
// SyncGroup wraps instances that must move together (vrrp_sync_group).
// Package vrrpsim runs many instances on a simulated segment.
//
// # Deviations from the RFCs, and why
//
// They follow keepalived, whose behaviour is the compatibility target; each
// is listed with its requirement ID in docs/rfc-ledger.md.
//
//   - A MASTER that receives a lower-priority advert answers with an advert
//     at once. This is RFC 9568 §6.4.3 and keepalived's default; RFC 3768 and
//     RFC 5798 say to discard only, which Config.LowerPrioNoAdvert selects.
//   - An address owner (priority 255) processes received adverts, per RFC
//     9568 erratum 8298 and keepalived, so duplicate owners resolve by the
//     address tie-break. RFC 3768 §7.1 as published drops them;
//     Config.OwnerIgnoreAdverts restores that.
//   - FAULT and STOP are keepalived states, not RFC ones. STOP plays the RFC's
//     "back to Initialize" after Shutdown. A MASTER entering FAULT sends a
//     priority-0 advert (so backups take over after Skew_Time) and releases
//     the VIPs, as keepalived does.
//   - preempt_delay, garp_master_delay/repeat/refresh, garp_lower_prio_repeat, garp_extra_if,
//     higher_prio_send_advert and down_timer_adverts are keepalived extensions.
//   - keepalived's `state MASTER` does not make a non-owner master at startup:
//     it starts in BACKUP and waits Master_Down_Interval like any other
//     backup (observed with keepalived 2.2.7), and it clears nopreempt and
//     preempt_delay. An owner goes MASTER at Startup whatever its configured
//     state, per RFC 9568 §6.4.1.
//   - Tracker priorities are clamped to 1..254 and cannot touch an owner
//     (keepalived; EffectivePriority, which internal/track uses too). A MASTER whose priority changes advertises the new value
//     from its next advert.
//
// What this package does not do: receive validation (TTL, checksum, auth,
// address list) belongs to internal/vrrp/packet; ARP/ND answering, Accept_Mode
// filtering and the virtual MAC belong to the daemon and internal/linux.
// VRRPv2/v3 interop mode (RFC 9568 §8.4) is not implemented: each instance
// speaks one version, as in keepalived.
package vrrp
