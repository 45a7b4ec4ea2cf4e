// Package connpoll runs many TCP connection attempts at once without a
// goroutine, a net.Dialer or a runtime timer per attempt: each attempt is a
// raw non-blocking socket (golang.org/x/sys/unix: socket, the connection
// options, connect) registered in one epoll set of the poller's own; one
// goroutine waits on that set through Go's network poller (the epoll fd is
// itself pollable, wrapped with os.NewFile) and harvests every completed
// connect of a wake-up in one epoll_wait. Timeouts sit in a FIFO per
// distinct timeout value (deadlines of one timeout arrive in order), so
// arming and expiring one is O(1); the poller's read deadline is the
// earliest of them. After warm-up an attempt allocates nothing.
//
// It is the adapter behind TCP_CHECK (internal/check/tcpcheck): keepalived's
// check_tcp.c/layer4.c semantics are kept (connect_ip/connect_port,
// bindto/bind_port, bind_if via SO_BINDTODEVICE, fwmark via SO_MARK,
// connect_timeout, IPv4 and IPv6); a connected socket is closed with a plain
// close (an orderly FIN, as keepalived's lingering close sends).
package connpoll

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gokeepalived/internal/check/probe"
)

// Target is one connection target with its options, prepared once (the
// socket addresses and the success text) and reused by every attempt. An
// attempt on a Target must finish before the next starts on it (one check
// of a checker runs at a time).
type Target struct {
	conn     probe.Conn
	family   int
	sa       unix.Sockaddr
	bind     unix.Sockaddr // nil: no bind
	okReason string
}

// NewTarget prepares c (connect_ip:connect_port and the options).
func NewTarget(c probe.Conn) *Target {
	t := &Target{conn: c, okReason: fmt.Sprintf("connected to %s", c.Addr)}
	a := c.Addr.Addr().Unmap()
	if a.Is4() {
		t.family = unix.AF_INET
		t.sa = &unix.SockaddrInet4{Port: int(c.Addr.Port()), Addr: a.As4()}
	} else {
		t.family = unix.AF_INET6
		t.sa = &unix.SockaddrInet6{Port: int(c.Addr.Port()), Addr: a.As16()}
	}
	if c.BindAddr.IsValid() || c.BindPort != 0 {
		b := c.BindAddr.Unmap()
		switch {
		case !b.IsValid() && t.family == unix.AF_INET, b.Is4():
			t.bind = &unix.SockaddrInet4{Port: int(c.BindPort), Addr: b.As4()}
		default:
			s6 := &unix.SockaddrInet6{Port: int(c.BindPort)}
			if b.IsValid() {
				s6.Addr = b.As16()
			}
			t.bind = s6
		}
	}
	return t
}

// Conn returns the options the Target was made from.
func (t *Target) Conn() probe.Conn { return t.conn }

// Connecter is a checker whose whole check is one connection attempt: a
// runner hands it to a Poller instead of running Check on a goroutine.
type Connecter interface {
	ConnTarget() *Target
}

// Done is one finished attempt: the tag given to Connect and its result.
type Done struct {
	Tag    uint64
	Result probe.Result
}

// Poller runs connection attempts. Create it with New; Close ends it.
type Poller struct {
	onDone func([]Done)

	mu       sync.Mutex
	f        *os.File // the epoll fd, in Go's network poller
	epfd     int
	slots    []slot
	free     []int32
	queues   []*fifo // one per distinct timeout
	waiting  time.Time
	closed   bool
	inFlight int

	immMu sync.Mutex
	imm   []Done // buffer for attempts that finish inside Connect

	evs   []unix.EpollEvent // owned by run
	batch []Done            // owned by run
	done  chan struct{}
}

type slot struct {
	fd    int
	gen   uint32
	live  bool
	t     *Target
	tag   uint64
	start time.Time
	to    time.Duration
}

// New starts a poller. onDone receives finished attempts in batches, from
// the poller's goroutine (or from Connect's caller for an attempt that
// finishes at once, e.g. a refused connect on loopback); it must not keep
// the slice and must not call Close.
func New(onDone func([]Done)) (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("epoll fd non-blocking: %w", err)
	}
	f := os.NewFile(uintptr(epfd), "connpoll")
	// A deadline works only on a file in Go's network poller: this says
	// whether the epoll fd was accepted there.
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		f.Close()
		return nil, fmt.Errorf("epoll fd not pollable: %w", err)
	}
	p := &Poller{onDone: onDone, f: f, epfd: epfd, evs: make([]unix.EpollEvent, 256), done: make(chan struct{})}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	go p.run(rc)
	return p, nil
}

// InFlight is the number of attempts started and not yet finished.
func (p *Poller) InFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inFlight
}

// Connect starts one attempt on t; its result comes to onDone with tag,
// exactly once: connected, refused (or another connect error), "timeout
// after <timeout>", or "canceled" when the poller is closed first. The
// attempt is bounded by t's connect_timeout, or by timeout (the runner's
// hard limit) when that is shorter and positive.
func (p *Poller) Connect(t *Target, timeout time.Duration, tag uint64) {
	if ct := t.conn.ConnectTimeout(); timeout <= 0 || timeout > ct {
		timeout = ct
	}
	start := time.Now()
	fd, err := t.open()
	if err != syscall.EINPROGRESS {
		if err == nil {
			unix.Close(fd)
		}
		p.finishNow(tag, t.result(err, timeout, time.Since(start)))
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		unix.Close(fd)
		p.finishNow(tag, t.result(context.Canceled, timeout, time.Since(start)))
		return
	}
	var i int32
	if n := len(p.free); n > 0 {
		i = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		p.slots = append(p.slots, slot{})
		i = int32(len(p.slots) - 1)
	}
	s := &p.slots[i]
	s.fd, s.live, s.t, s.tag, s.start, s.to = fd, true, t, tag, start, timeout
	ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: i, Pad: int32(s.gen)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.release(i)
		p.mu.Unlock()
		p.finishNow(tag, probe.Failf("connect %s: epoll_ctl: %v", t.conn.Addr, err))
		return
	}
	p.inFlight++
	deadline := start.Add(timeout)
	p.queue(timeout).push(entry{at: deadline, slot: i, gen: s.gen})
	if p.waiting.IsZero() || deadline.Before(p.waiting) {
		p.waiting = deadline
		_ = p.f.SetReadDeadline(deadline)
	}
	p.mu.Unlock()
}

func (p *Poller) finishNow(tag uint64, r probe.Result) {
	p.immMu.Lock()
	p.imm = append(p.imm[:0], Done{Tag: tag, Result: r})
	p.onDone(p.imm)
	p.imm[0] = Done{}
	p.immMu.Unlock()
}

// open makes the socket, applies the options and starts the connect. It
// returns the fd with EINPROGRESS, the fd with nil (connected at once), or
// -1 with the error.
func (t *Target) open() (int, error) {
	fd, err := unix.Socket(t.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, err
	}
	c := &t.conn
	if c.BindPort != 0 {
		// A fixed source port is reused every delay_loop while the
		// previous connection may sit in TIME_WAIT.
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	if c.Fwmark != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(c.Fwmark)); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	if c.BindIf != "" {
		if err := unix.BindToDevice(fd, c.BindIf); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	if t.bind != nil {
		if err := unix.Bind(fd, t.bind); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	sa := t.sa
	if z := c.Addr.Addr().Zone(); z != "" {
		// A link-local IPv6 address names its interface.
		ifi, err := net.InterfaceByName(z)
		if err != nil {
			unix.Close(fd)
			return -1, err
		}
		s6 := *t.sa.(*unix.SockaddrInet6)
		s6.ZoneId = uint32(ifi.Index)
		sa = &s6
	}
	for {
		err = unix.Connect(fd, sa)
		if err != unix.EINTR {
			break
		}
	}
	switch err {
	case nil:
		return fd, nil
	case unix.EINPROGRESS:
		return fd, syscall.EINPROGRESS
	}
	unix.Close(fd)
	return -1, err
}

// result is the Result of an attempt that ended with err (nil: connected).
func (t *Target) result(err error, timeout, took time.Duration) probe.Result {
	if err == nil {
		return probe.Result{OK: true, Reason: t.okReason, Duration: took}
	}
	r := probe.Failf("%s", probe.ConnectReason(t.conn.Addr, err, timeout))
	r.Duration = took
	return r
}

func (p *Poller) queue(to time.Duration) *fifo {
	for _, q := range p.queues {
		if q.to == to {
			return q
		}
	}
	q := &fifo{to: to}
	p.queues = append(p.queues, q)
	return q
}

// release frees slot i (its fd is closed) and invalidates its queue entry.
func (p *Poller) release(i int32) {
	s := &p.slots[i]
	unix.Close(s.fd)
	*s = slot{gen: s.gen + 1}
	p.free = append(p.free, i)
}

// earliest drops stale queue heads and returns the first live deadline.
func (p *Poller) earliest() time.Time {
	var first time.Time
	for _, q := range p.queues {
		for q.n > 0 {
			e := q.head()
			if s := &p.slots[e.slot]; s.live && s.gen == e.gen {
				if first.IsZero() || e.at.Before(first) {
					first = e.at
				}
				break
			}
			q.pop()
		}
	}
	return first
}

// run is the poller's goroutine: wait until an attempt finishes or the
// earliest deadline passes, then finish everything that is due.
func (p *Poller) run(rc syscall.RawConn) {
	defer close(p.done)
	// One harvest closure for the poller's life (a closure per wake-up
	// would allocate).
	var n int
	var werr error
	harvest := func(fd uintptr) bool {
		for {
			n, werr = unix.EpollWait(int(fd), p.evs, 0)
			if werr != unix.EINTR {
				break
			}
		}
		return n > 0 || werr != nil
	}
	for {
		n, werr = 0, nil
		err := rc.Read(harvest)
		now := time.Now()
		p.mu.Lock()
		for _, ev := range p.evs[:max(n, 0)] {
			i := ev.Fd
			if int(i) >= len(p.slots) {
				continue
			}
			s := &p.slots[i]
			if !s.live || s.gen != uint32(ev.Pad) {
				continue
			}
			soerr, gerr := unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_ERROR)
			var cerr error
			switch {
			case gerr != nil:
				cerr = gerr
			case soerr == int(unix.EINPROGRESS):
				continue // not yet: a spurious wake-up
			case soerr != 0:
				cerr = syscall.Errno(soerr)
			}
			p.batch = append(p.batch, Done{Tag: s.tag, Result: s.t.result(cerr, s.to, now.Sub(s.start))})
			p.release(i)
			p.inFlight--
		}
		closing := p.closed
		for _, q := range p.queues {
			for q.n > 0 {
				e := q.head()
				s := &p.slots[e.slot]
				if s.live && s.gen == e.gen {
					if !closing && e.at.After(now) {
						break
					}
					reason := os.ErrDeadlineExceeded
					if closing {
						reason = context.Canceled
					}
					p.batch = append(p.batch, Done{Tag: s.tag, Result: s.t.result(reason, s.to, now.Sub(s.start))})
					p.release(e.slot)
					p.inFlight--
				}
				q.pop()
			}
		}
		if !closing {
			p.waiting = p.earliest()
			_ = p.f.SetReadDeadline(p.waiting)
		}
		p.mu.Unlock()
		if len(p.batch) > 0 {
			p.onDone(p.batch)
			clear(p.batch)
			p.batch = p.batch[:0]
		}
		if closing {
			p.f.Close()
			return
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			// The epoll fd failed: nothing can be waited for any more.
			// Finish what is in flight as canceled and stop.
			p.mu.Lock()
			p.closed = true
			p.mu.Unlock()
			continue
		}
		if werr != nil {
			p.mu.Lock()
			p.closed = true
			p.mu.Unlock()
		}
	}
}

// Close finishes every attempt in flight as "canceled" (through onDone)
// and stops the poller; it returns once the poller's goroutine is done.
// Attempts started after Close finish at once as canceled.
func (p *Poller) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		// Wake the goroutine now.
		_ = p.f.SetReadDeadline(time.Unix(1, 0))
	}
	p.mu.Unlock()
	<-p.done
}

// entry is a deadline in a fifo: slot and gen name the attempt (a finished
// attempt's entry is stale and skipped).
type entry struct {
	at   time.Time
	slot int32
	gen  uint32
}

// fifo is a ring of deadlines of one timeout value: they arrive in order.
type fifo struct {
	to   time.Duration
	ring []entry
	h, n int
}

func (q *fifo) push(e entry) {
	if q.n == len(q.ring) {
		r := make([]entry, max(16, 2*len(q.ring)))
		for k := range q.n {
			r[k] = q.ring[(q.h+k)%len(q.ring)]
		}
		q.ring, q.h = r, 0
	}
	q.ring[(q.h+q.n)%len(q.ring)] = e
	q.n++
}

func (q *fifo) head() entry { return q.ring[q.h] }

func (q *fifo) pop() {
	q.ring[q.h] = entry{}
	q.h = (q.h + 1) % len(q.ring)
	q.n--
}
