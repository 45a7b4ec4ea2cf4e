//go:build failoverbench

package failover

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"gokeepalived/test/e2e/netns"
)

// advert is one VRRP advertisement seen by the sniffer.
type advert struct {
	At   time.Time // kernel receive timestamp (SO_TIMESTAMPNS)
	Src  netip.Addr
	Prio uint8
}

// sniffer records the VRRP adverts (IP protocol 112 to 224.0.0.18) arriving at a node, with
// kernel timestamps, so a fault can be placed at a known phase of the master's advert timer
// and the priority-0 advert of a graceful stop can be timed.
type sniffer struct {
	fd   int
	mu   sync.Mutex
	seen []advert
	stop chan struct{}
	done chan struct{}
}

func startSniffer(ns, ifname string) (*sniffer, error) {
	s := &sniffer{fd: -1, stop: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan error, 1)
	go s.loop(ns, ifname, ready)
	if err := <-ready; err != nil {
		<-s.done
		return nil, err
	}
	return s, nil
}

func (s *sniffer) loop(ns, ifname string, ready chan<- error) {
	defer close(s.done)
	runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
	if _, err := netns.JoinNetNS(ns); err != nil {
		ready <- err
		return
	}
	fd, err := s.open(ifname)
	if err != nil {
		ready <- err
		return
	}
	defer unix.Close(fd)
	ready <- nil
	buf := make([]byte, 2048)
	oob := make([]byte, 256)
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, 0)
		if err != nil {
			continue // EAGAIN from SO_RCVTIMEO: look at stop again
		}
		a, ok := parseAdvert(buf[:n], oob[:oobn])
		if !ok {
			continue
		}
		s.mu.Lock()
		s.seen = append(s.seen, a)
		if len(s.seen) > 4096 {
			s.seen = append(s.seen[:0], s.seen[len(s.seen)-1024:]...)
		}
		s.mu.Unlock()
	}
}

func (s *sniffer) open(ifname string) (int, error) {
	ifi, err := net.InterfaceByName(ifname) // netlink socket on this thread: the node's namespace
	if err != nil {
		return -1, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 112)
	if err != nil {
		return -1, fmt.Errorf("raw socket for VRRP: %w", err)
	}
	mreq := &unix.IPMreqn{Multiaddr: [4]byte{224, 0, 0, 18}, Ifindex: int32(ifi.Index)}
	if err := errors.Join(
		unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq),
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1),
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100000}),
	); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func parseAdvert(pkt, oob []byte) (advert, bool) {
	if len(pkt) < 20 {
		return advert{}, false
	}
	ihl := int(pkt[0]&0x0f) * 4
	if len(pkt) < ihl+8 {
		return advert{}, false
	}
	a := advert{Src: netip.AddrFrom4([4]byte(pkt[12:16])), Prio: pkt[ihl+2]}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return advert{}, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			a.At = time.Unix(sec, nsec)
		}
	}
	if a.At.IsZero() {
		a.At = time.Now()
	}
	return a, true
}

// Stop closes the socket (within SO_RCVTIMEO) and waits.
func (s *sniffer) Stop() {
	close(s.stop)
	<-s.done
}

// next waits for an advert from src with priority > 0 received after since.
func (s *sniffer) next(src netip.Addr, since time.Time, timeout time.Duration) (advert, bool) {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		for _, a := range s.seen {
			if a.Src == src && a.Prio > 0 && a.At.After(since) {
				s.mu.Unlock()
				return a, true
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			return advert{}, false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// lastBefore is the latest advert from src with priority > 0 received before t.
func (s *sniffer) lastBefore(src netip.Addr, t time.Time) (advert, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.seen) - 1; i >= 0; i-- {
		if a := s.seen[i]; a.Src == src && a.Prio > 0 && a.At.Before(t) {
			return a, true
		}
	}
	return advert{}, false
}

// prio0After is the first priority-0 advert from src received after t.
func (s *sniffer) prio0After(src netip.Addr, t time.Time) (advert, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.seen {
		if a.Src == src && a.Prio == 0 && a.At.After(t) {
			return a, true
		}
	}
	return advert{}, false
}
