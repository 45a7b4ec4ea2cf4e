// Package hangtcp gives tests a loopback TCP address where a connect
// neither succeeds nor fails: a listener with backlog 0 whose accept queue
// is full, so the kernel drops every further SYN (until the client's SYN
// retransmission, 1 s later, is dropped too). Fullness is read from the
// listener's TCP_INFO (accept queue length against its limit), not guessed
// from dial timings, so it holds on a loaded machine.
package hangtcp

import (
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Addr returns 127.0.0.1:port of such a listener; everything is closed
// when the test ends.
func Addr(t testing.TB) netip.AddrPort {
	t.Helper()
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(lfd) })
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(lfd)
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	// Queue connections until the accept queue is over its limit.
	deadline := time.Now().Add(30 * time.Second)
	for range 16 {
		full, err := queueFull(lfd)
		if err != nil {
			t.Fatal(err)
		}
		if full {
			return ap
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		_ = unix.Connect(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: [4]byte{127, 0, 0, 1}})
		// Wait until the kernel queued it (or the queue is full anyway).
		for {
			info, err := unix.GetsockoptTCPInfo(lfd, unix.IPPROTO_TCP, unix.TCP_INFO)
			if err != nil {
				t.Fatal(err)
			}
			if info.Unacked > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	t.Fatal("hangtcp: the accept queue never filled")
	return ap
}

// queueFull reads a listener's accept queue: for a listening socket
// TCP_INFO's unacked is the queue length and sacked its limit; the kernel
// drops SYNs while length > limit.
func queueFull(lfd int) (bool, error) {
	info, err := unix.GetsockoptTCPInfo(lfd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return false, err
	}
	return info.Unacked > info.Sacked, nil
}
