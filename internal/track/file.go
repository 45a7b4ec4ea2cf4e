package track

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ParseTrackFile reads a track_file's content as keepalived does
// (vrrp_track.c process_track_file): strtol(buf, NULL, 0) on the first 127
// bytes, so leading blanks, a sign, and 0x (hex) or 0 (octal) prefixes are
// accepted and parsing stops at the first other character; no number is 0.
// The value is clamped to [-254, 254].
func ParseTrackFile(b []byte) int {
	if len(b) > 127 {
		b = b[:127]
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	base := 10
	switch {
	case i+1 < len(b) && b[i] == '0' && (b[i+1] == 'x' || b[i+1] == 'X') && i+2 < len(b) && digitVal(b[i+2]) < 16:
		base = 16
		i += 2
	case i < len(b) && b[i] == '0':
		base = 8
	}
	v := 0
	for ; i < len(b); i++ {
		d := digitVal(b[i])
		if d >= base {
			break
		}
		if v < 1<<20 { // anything this big is clamped below anyway
			v = v*base + d
		}
	}
	if neg {
		v = -v
	}
	return max(-254, min(254, v))
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// ReadTrackFile reads and parses path. A missing or unreadable file counts
// as 0, as in keepalived; the error is returned for the reason only.
func ReadTrackFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return ParseTrackFile(b), nil
}

// FileConfig is one track_file (vrrp_track_file) block.
type FileConfig struct {
	Name    string
	Path    string // file
	Weight  int    // weight; keepalived's default is 1 (applied by the daemon)
	Reverse bool
	// InitFile, if set, is init_file's VALUE: written at Run if the file is
	// missing, or always with InitOverwrite.
	InitFile      *int
	InitOverwrite bool
	// PollInterval, if non-zero, rereads the file this often in addition to
	// (or, where inotify is unavailable, instead of) inotify. If inotify
	// fails and PollInterval is zero, 1 s is used.
	PollInterval time.Duration
}

// FileTracker watches a track_file and reports its value.
type FileTracker struct {
	cfg  FileConfig
	opts Options

	mu   sync.Mutex
	snap Snapshot
}

// NewFileTracker builds the tracker; nothing is read or watched until Run.
func NewFileTracker(cfg FileConfig, opts Options) *FileTracker {
	opts.fill()
	return &FileTracker{cfg: cfg, opts: opts, snap: Snapshot{Name: cfg.Name, Since: opts.Now(), Reason: "not read yet"}}
}

// Snapshot returns the last value read (in Value; Status is UP once read).
func (t *FileTracker) Snapshot() Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snap
}

// Effect is FileEffect for the tracker's own weight.
func (t *FileTracker) Effect() Effect {
	s := t.Snapshot()
	return FileEffect(t.cfg.Name, s.Value, t.cfg.Weight, t.cfg.Reverse)
}

func (t *FileTracker) reread() {
	v, err := ReadTrackFile(t.cfg.Path)
	reason := fmt.Sprintf("%s contains %d", t.cfg.Path, v)
	if err != nil {
		reason = fmt.Sprintf("%s unreadable, counted as 0: %v", t.cfg.Path, err)
	}
	t.mu.Lock()
	changed := t.snap.Status != StatusUp || t.snap.Value != v
	if changed {
		t.snap.Status = StatusUp
		t.snap.Value = v
		t.snap.Since = t.opts.Now()
		t.snap.Reason = reason
	}
	t.mu.Unlock()
	if changed {
		t.opts.Logger.Info("track file changed", "track_file", t.cfg.Name, "value", v, "reason", reason)
		t.opts.wake()
	}
}

// Run applies init_file, reads the file, then rereads it on every inotify
// event for it (close after write, delete, rename) and every PollInterval,
// until ctx is done.
func (t *FileTracker) Run(ctx context.Context) error {
	if t.cfg.InitFile != nil {
		if _, err := os.Stat(t.cfg.Path); t.cfg.InitOverwrite || errors.Is(err, os.ErrNotExist) {
			if err := os.WriteFile(t.cfg.Path, []byte(strconv.Itoa(*t.cfg.InitFile)+"\n"), 0o644); err != nil {
				t.opts.Logger.Warn("init_file failed", "track_file", t.cfg.Name, "err", err)
			}
		}
	}
	events := make(chan struct{}, 1)
	poll := t.cfg.PollInterval
	stop, err := watchFile(t.cfg.Path, events)
	if err != nil {
		t.opts.Logger.Warn("inotify unavailable, polling track file", "track_file", t.cfg.Name, "err", err)
		if poll <= 0 {
			poll = time.Second
		}
	} else {
		defer stop()
	}
	var tick <-chan time.Time
	if poll > 0 {
		tk := time.NewTicker(poll)
		defer tk.Stop()
		tick = tk.C
	}
	t.reread()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-events:
		case <-tick:
		}
		t.reread()
	}
}

// watchFile watches path's directory with inotify and signals ev for
// events naming path's base name. stop closes the watch.
func watchFile(path string, ev chan<- struct{}) (stop func(), err error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE|unix.IN_DELETE|unix.IN_MOVE); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watching %s: %w", dir, err)
	}
	// A non-blocking fd in os.File uses the runtime poller, so Close
	// interrupts a pending Read.
	f := os.NewFile(uintptr(fd), "inotify")
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				e := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(e.Len)]
				off += unix.SizeofInotifyEvent + int(e.Len)
				if e.Mask&unix.IN_ISDIR != 0 {
					continue
				}
				if name := cstring(nameBytes); name == base {
					select {
					case ev <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	return func() { f.Close(); <-done }, nil
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
