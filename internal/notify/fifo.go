package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// FIFO is notify_fifo or vrrp_notify_fifo: a named pipe that receives one
// line per event, and an optional notify_fifo_script that reads it.
type FIFO struct {
	Path string
	// User owns the FIFO if it is created (the "[username [groupname]]"
	// after the path). Nil leaves it owned by the daemon.
	User *Credential
	// Script, if set, is started when the FIFO is open and runs for the life
	// of the Notifier, with the FIFO's path appended as its last argument.
	Script *Script
}

type openFIFO struct {
	cfg     FIFO
	fd      int // raw fd: os.File would park the writer on a full pipe instead of failing
	created bool
}

// openFIFOs creates missing FIFOs (mode 0600, like keepalived), opens them
// read-write and non-blocking (so a writer never waits for, nor fails
// without, a reader: lines queue in the pipe until it is full), and starts
// their scripts. fifoWorker closes them (and removes those it created)
// when ctx ends.
func (n *Notifier) openFIFOs(ctx context.Context, wg *sync.WaitGroup) []*openFIFO {
	var out []*openFIFO
	for _, cfg := range n.cfg.FIFOs {
		of, err := openOne(cfg)
		if err != nil {
			n.log.Error("notify fifo unusable", "fifo", cfg.Path, "err", err)
			continue
		}
		out = append(out, of)
		if cfg.Script != nil {
			wg.Go(func() {
				r := n.exec.Run(ctx, cfg.Script, 0, cfg.Path)
				if ctx.Err() == nil {
					n.log.Warn("notify fifo script exited", "fifo", cfg.Path, "script", cfg.Script.String(), "err", r.Err)
				}
			})
		}
	}
	return out
}

func openOne(cfg FIFO) (*openFIFO, error) {
	of := &openFIFO{cfg: cfg}
	fi, err := os.Stat(cfg.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// Another notifier of this process (the load balancer's writes
		// notify_fifo too) may create it at the same moment.
		err := unix.Mkfifo(cfg.Path, 0o600)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("creating fifo: %w", err)
		}
		of.created = err == nil
		if of.created && cfg.User != nil {
			if err := os.Chown(cfg.Path, int(cfg.User.UID), int(cfg.User.GID)); err != nil {
				_ = os.Remove(cfg.Path)
				return nil, fmt.Errorf("chown fifo: %w", err)
			}
		}
	case err != nil:
		return nil, err
	case fi.Mode()&os.ModeNamedPipe == 0:
		return nil, fmt.Errorf("%s exists and is not a fifo", cfg.Path)
	}
	fd, err := unix.Open(cfg.Path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if of.created {
			_ = os.Remove(cfg.Path)
		}
		return nil, fmt.Errorf("opening fifo: %w", err)
	}
	of.fd = fd
	return of, nil
}

func (n *Notifier) fifoWorker(ctx context.Context, fifos []*openFIFO) {
	defer func() {
		for _, of := range fifos {
			_ = unix.Close(of.fd)
			if of.created {
				_ = os.Remove(of.cfg.Path)
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-n.fifo:
			line := []byte(e.FIFOLine())
			for _, of := range fifos {
				// One write of fewer than PIPE_BUF bytes is atomic; with
				// O_NONBLOCK a full pipe fails at once instead of waiting.
				if _, err := unix.Write(of.fd, line); err != nil {
					n.c.fifoErrors.Add(1)
					n.log.Warn("notify fifo write failed", "fifo", of.cfg.Path, "instance", e.Name, "err", err)
					continue
				}
				n.c.fifoLines.Add(1)
			}
			n.pending.Add(-1)
		}
	}
}
