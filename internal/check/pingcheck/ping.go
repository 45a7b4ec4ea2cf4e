// Package pingcheck implements keepalived's PING_CHECK (check_ping.c): one
// ICMP or ICMPv6 echo request to connect_ip, success on the matching echo
// reply within connect_timeout.
//
// Like keepalived it prefers an unprivileged ping socket (SOCK_DGRAM,
// IPPROTO_ICMP, allowed by net.ipv4.ping_group_range) and falls back to a
// raw socket, which needs CAP_NET_RAW. Unlike keepalived it never rewrites
// ping_group_range.
package pingcheck

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"gokeepalived/internal/check/probe"
)

// Config is a PING_CHECK block (only the common connection keywords).
type Config struct {
	Conn probe.Conn
}

// Checker is a PING_CHECK.
type Checker struct{ cfg Config }

// New returns a PING_CHECK. It opens nothing.
func New(cfg Config) *Checker { return &Checker{cfg: cfg} }

type family struct {
	dgram, raw string
	proto      int
	req, rep   icmp.Type
}

var (
	v4 = family{"udp4", "ip4:icmp", 1, ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply}
	v6 = family{"udp6", "ip6:ipv6-icmp", 58, ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply}
)

// Check sends one echo request.
func (c *Checker) Check(ctx context.Context) probe.Result {
	dst := c.cfg.Conn.Addr.Addr().Unmap()
	to := c.cfg.Conn.ConnectTimeout()
	f := v4
	if dst.Is6() {
		f = v6
	}
	src := ""
	if c.cfg.Conn.BindAddr.IsValid() {
		src = c.cfg.Conn.BindAddr.String()
	}
	dgram := true
	pc, err := icmp.ListenPacket(f.dgram, src)
	if err != nil {
		dgram = false
		if pc, err = icmp.ListenPacket(f.raw, src); err != nil {
			return probe.Failf("ping %s: open ICMP socket: %s", dst, probe.ErrText(err))
		}
	}
	defer pc.Close()
	_ = pc.SetDeadline(probe.Deadline(ctx, time.Now(), to))
	stop := context.AfterFunc(ctx, func() { _ = pc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	id, seq := int(rand.Uint32()&0xffff), int(rand.Uint32()&0xffff)
	payload := []byte("gokeepalived PING_CHECK")
	msg := icmp.Message{Type: f.req, Body: &icmp.Echo{ID: id, Seq: seq, Data: payload}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return probe.Failf("ping %s: %s", dst, err)
	}
	var dstAddr net.Addr = &net.IPAddr{IP: dst.AsSlice()}
	if dgram {
		dstAddr = &net.UDPAddr{IP: dst.AsSlice()}
	}
	if _, err := pc.WriteTo(b, dstAddr); err != nil {
		return probe.Failf("ping %s: send: %s", dst, probe.ErrText(err))
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return probe.Failf("ping %s: no echo reply within %s", dst, to)
			}
			return probe.Failf("ping %s: %s", dst, probe.ErrText(err))
		}
		if !sameHost(from, dst.String()) {
			continue
		}
		rm, err := icmp.ParseMessage(f.proto, buf[:n])
		if err != nil || rm.Type != f.rep {
			continue
		}
		echo, ok := rm.Body.(*icmp.Echo)
		// A ping socket rewrites the ID to its port; match on seq and data.
		if !ok || echo.Seq != seq || (!dgram && echo.ID != id) || string(echo.Data) != string(payload) {
			continue
		}
		return probe.Okf("ping %s: echo reply", dst)
	}
}

func sameHost(a net.Addr, host string) bool {
	switch v := a.(type) {
	case *net.IPAddr:
		return v.IP.String() == host
	case *net.UDPAddr:
		return v.IP.String() == host
	}
	return fmt.Sprint(a) == host
}
