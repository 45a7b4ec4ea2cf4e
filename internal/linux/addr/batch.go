package addr

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// AddBatch is Add for many addresses at once, with one netlink socket:
// the requests leave in windows of batchWindow messages per sendmsg, and
// the acknowledgements of a window are read after it, not one round trip
// per address. Add opens a socket and looks the device up per address (two
// netlink round trips and two sockets each); a takeover of 1,000 VIPs did
// that 1,000 times on the VRRP loop (docs/benchmarks.md, "Scale"). The
// result has one entry per address, nil when it is on the device (added, or
// there already).
func AddBatch(as []Address) []error {
	return batch(as, unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, unix.EEXIST, "add")
}

// DelBatch is Del for many addresses at once (see AddBatch); an absent
// address is not an error.
func DelBatch(as []Address) []error {
	return batch(as, unix.RTM_DELADDR, 0, unix.EADDRNOTAVAIL, "delete")
}

// batchWindow is how many requests leave before their acknowledgements are
// read: each ack is an skb of its own in the socket's receive queue (about
// 1 kB of truesize), so the window bounds what must fit in it.
const batchWindow = 128

// batchTimeout bounds the wait for the kernel's acknowledgements.
const batchTimeout = 5 * time.Second

func batch(as []Address, op uint16, flags int, benign syscall.Errno, verb string) []error {
	errs := make([]error, len(as))
	idx := map[string]int{}
	todo := make([]int, 0, len(as))
	for i, a := range as {
		if err := a.validate(); err != nil {
			errs[i] = err
			continue
		}
		if _, ok := idx[a.Dev]; !ok {
			l, err := link(a.Dev)
			if err != nil {
				idx[a.Dev] = -1
				errs[i] = fmt.Errorf("%s %v: %w", verb, a, err)
				continue
			}
			idx[a.Dev] = l.Attrs().Index
		}
		if idx[a.Dev] < 0 {
			errs[i] = fmt.Errorf("%s %v: device %s not found", verb, a, a.Dev)
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return errs
	}
	s, err := openBatchSocket()
	if err != nil {
		for _, i := range todo {
			errs[i] = fmt.Errorf("%s %v: %w", verb, as[i], err)
		}
		return errs
	}
	defer unix.Close(s)
	seq := uint32(time.Now().UnixNano())
	for start := 0; start < len(todo); start += batchWindow {
		win := todo[start:min(start+batchWindow, len(todo))]
		bySeq := make(map[uint32]int, len(win))
		var buf []byte
		for _, i := range win {
			seq++
			bySeq[seq] = i
			buf = append(buf, request(as[i], idx[as[i].Dev], op, flags, seq)...)
		}
		if err := unix.Sendto(s, buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			for _, i := range win {
				errs[i] = fmt.Errorf("%s %v: %w", verb, as[i], err)
			}
			continue
		}
		if err := readAcks(s, bySeq, func(i int, errno syscall.Errno) {
			if errno != 0 && errno != benign {
				errs[i] = fmt.Errorf("%s %v: %w", verb, as[i], errno)
			}
		}); err != nil {
			for _, i := range bySeq { // those not acknowledged
				errs[i] = fmt.Errorf("%s %v: %w", verb, as[i], err)
			}
		}
	}
	return errs
}

func openBatchSocket() (int, error) {
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return -1, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(s, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(s)
		return -1, fmt.Errorf("netlink bind: %w", err)
	}
	// Room for a window of acks; without the privilege, the default.
	if unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 1<<20) != nil {
		_ = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	}
	_ = unix.SetsockoptInt(s, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	tv := unix.NsecToTimeval(batchTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(s, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(s)
		return -1, fmt.Errorf("netlink timeout: %w", err)
	}
	return s, nil
}

// readAcks reads until every request of pending (by sequence number) is
// acknowledged, calling done for each and removing it from pending.
func readAcks(s int, pending map[uint32]int, done func(i int, errno syscall.Errno)) error {
	buf := make([]byte, 1<<16)
	for len(pending) > 0 {
		n, _, err := unix.Recvfrom(s, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			i, ok := pending[m.Header.Seq]
			if !ok || m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
				continue
			}
			delete(pending, m.Header.Seq)
			code := int32(binary.NativeEndian.Uint32(m.Data[:4]))
			done(i, syscall.Errno(-code))
		}
	}
	return nil
}

// request is one RTM_NEWADDR/RTM_DELADDR message for a on the device of
// index ifindex, with the attributes Add and Del give it (through
// vishvananda/netlink's own encoders).
func request(a Address, ifindex int, op uint16, flags int, seq uint32) []byte {
	na := a.netlink()
	req := nl.NewNetlinkRequest(int(op), flags|unix.NLM_F_ACK)
	req.Seq = seq
	family := nl.FAMILY_V4
	ip := a.Prefix.Addr()
	if ip.Is6() {
		family = nl.FAMILY_V6
	}
	msg := nl.NewIfAddrmsg(family)
	msg.Scope = uint8(na.Scope)
	msg.Index = uint32(ifindex)
	msg.Prefixlen = uint8(a.Prefix.Bits())
	if na.Flags != 0 && na.Flags <= 0xff {
		msg.Flags = uint8(na.Flags)
	}
	req.AddData(msg)
	raw := ip.AsSlice()
	req.AddData(nl.NewRtAttr(unix.IFA_LOCAL, raw))
	req.AddData(nl.NewRtAttr(unix.IFA_ADDRESS, raw))
	if na.Flags > 0xff {
		b := make([]byte, 4)
		binary.NativeEndian.PutUint32(b, uint32(na.Flags))
		req.AddData(nl.NewRtAttr(unix.IFA_FLAGS, b))
	}
	if ip.Is4() {
		if a.Broadcast.IsValid() {
			req.AddData(nl.NewRtAttr(unix.IFA_BROADCAST, a.Broadcast.AsSlice()))
		}
		if a.Label != "" {
			req.AddData(nl.NewRtAttr(unix.IFA_LABEL, nl.ZeroTerminated(a.Label)))
		}
	}
	return req.Serialize()
}
