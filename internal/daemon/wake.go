package daemon

import (
	"encoding/binary"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// waker lets the daemon loop sleep in the kernel rather than in the Go
// scheduler. The loop's OS thread (locked, real-time) blocks in ppoll(2) on
// an eventfd with the next VRRP deadline as timeout: the kernel wakes that
// thread itself at the deadline, or when another goroutine posts work and
// kicks the eventfd. Go timers and channel selects are woken by ordinary
// runtime threads, which on a busy machine run late; measured here, that
// delayed adverts by hundreds of milliseconds under load.
type waker struct {
	fd  int
	buf [8]byte
}

func newWaker() (*waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	return &waker{fd: fd}, nil
}

// kick wakes the loop (safe from any goroutine; never blocks).
func (w *waker) kick() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(w.fd, one[:])
}

// wait blocks the calling thread until kicked or until deadline (zero: no
// deadline), then clears pending kicks.
func (w *waker) wait(deadline time.Time, now time.Time) {
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
