// Package bfd is a sans-IO Bidirectional Forwarding Detection core (RFC 5880
// asynchronous mode, as used by RFC 5881 single-hop and RFC 5883 multihop
// sessions): the control packet codec (ParseControl, Control.Marshal), the
// reception checks of RFC 5880 §6.8.6 (Validate, Session.Handle) and the
// session state machine (Session).
//
// Like internal/vrrp, it does no I/O, starts no goroutine and never reads the
// clock: a Session is driven by Handle(now, input) and answers with the
// packets to send, the next deadline and, when the state changes, a
// Transition that says why. Jitter comes from an injected random source.
//
// Not implemented: authentication (a packet with the A bit is dropped with
// DropAuthUnsupported, and no session can be configured with it), Demand
// mode (we never set D, and a peer's D bit is recorded but not acted on, as
// RFC 5880 §6.6 allows only when both sides agree), the Echo function (we
// advertise Required Min Echo RX Interval 0). See docs/bfd-rfc-ledger.md.
package bfd
