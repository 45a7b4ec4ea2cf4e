// Package wake lets a loop on a locked real-time OS thread sleep in the
// kernel rather than in the Go scheduler: the thread blocks in ppoll(2) on an
// eventfd with the next deadline as timeout, so the kernel wakes that thread
// itself at the deadline, or when another goroutine posts work and kicks the
// eventfd. Go timers and channel selects are woken by ordinary runtime
// threads, which on a busy machine run late; measured here, that delayed
// VRRP adverts by hundreds of milliseconds under load.
package wake

import (
	"encoding/binary"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Waker is one eventfd. It is never closed: goroutines may still kick it
// while its loop stops, and a closed descriptor number could be reused.
type Waker struct {
	fd  int
	buf [8]byte
}

// New opens the eventfd.
func New() (*Waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	return &Waker{fd: fd}, nil
}

// Kick wakes the loop (safe from any goroutine; never blocks).
func (w *Waker) Kick() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(w.fd, one[:])
}

// Wait blocks the calling thread until kicked or until deadline (zero: no
// deadline), then clears pending kicks. Only the loop's thread calls it.
func (w *Waker) Wait(deadline time.Time, now time.Time) {
	fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
	var tsp *unix.Timespec
	if !deadline.IsZero() {
		d := deadline.Sub(now)
		if d <= 0 {
			_, _ = unix.Read(w.fd, w.buf[:])
			return
		}
		ts := unix.NsecToTimespec(int64(d))
		tsp = &ts
	}
	for {
		_, err := unix.Ppoll(fds, tsp, nil)
		if err != unix.EINTR {
			break
		}
	}
	_, _ = unix.Read(w.fd, w.buf[:])
}
