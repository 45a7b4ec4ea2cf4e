package vrrp

import "net/netip"

// StateEvent is what the VRRP runtime tells other runtimes when one of its
// instances changes state (the load balancer's ha_suspend follows it). It
// is a value: the receiver keeps it, nothing in it changes afterwards.
type StateEvent struct {
	Instance string
	State    State
	// Addrs are the addresses the instance holds while MASTER
	// (virtual_ipaddress and virtual_ipaddress_excluded).
	Addrs []netip.Addr
}

// GroupStateEvent is what the VRRP runtime tells other runtimes when a
// vrrp_sync_group changes state: all its members reached State together.
type GroupStateEvent struct {
	Group string
	State State
}
