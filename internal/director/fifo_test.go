package director

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gokeepalived/internal/testutil/poll"
)

// TestLVSNotifyFIFO: lvs_notify_fifo gets keepalived's "RS ..." and "VS
// ..." lines: with rs_init_notifies an UP line per real server that
// starts up, then a DOWN line per real server that fails and the virtual
// server's DOWN when quorum is lost, UP lines when one comes back; the
// FIFO the director created is removed at exit.
func TestLVSNotifyFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lvs.fifo")
	b := newBed(t, "global_defs {\n    lvs_notify_fifo "+path+"\n    rs_init_notifies\n}\n"+twoRSConf)
	var fd int
	poll.NoError(t, 10*time.Second, 10*time.Millisecond, func() (err error) {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		return err
	})
	defer unix.Close(fd)
	var got strings.Builder
	want := func(step string, lines ...string) {
		t.Helper()
		poll.Until(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
			buf := make([]byte, 4096)
			n, err := unix.Read(fd, buf)
			if n > 0 {
				got.Write(buf[:n])
			}
			if err != nil && !errors.Is(err, syscall.EAGAIN) {
				return false, err.Error()
			}
			return got.String() == strings.Join(lines, "\n")+"\n", step + ": fifo has " + got.String()
		})
		got.Reset()
	}
	want("start", "RS [198.18.0.2]:tcp:80 [192.0.2.100]:tcp:80 UP", "RS [198.18.0.3]:tcp:80 [192.0.2.100]:tcp:80 UP")
	b.down[rs2] = "timeout"
	b.until("rs2 down", 20*time.Second, func() bool { return len(b.dests("192.0.2.100:80")) == 1 })
	want("rs2 down", "RS [198.18.0.2]:tcp:80 [192.0.2.100]:tcp:80 DOWN")
	b.down[rs3] = "timeout"
	b.until("quorum lost", 20*time.Second, func() bool { return !b.vs("192.0.2.100:80/TCP").Quorum })
	want("all down", "RS [198.18.0.3]:tcp:80 [192.0.2.100]:tcp:80 DOWN", "VS [192.0.2.100]:tcp:80 DOWN")
	delete(b.down, rs3)
	b.until("rs3 back", 20*time.Second, func() bool { return b.vs("192.0.2.100:80/TCP").Quorum })
	want("rs3 back", "RS [198.18.0.3]:tcp:80 [192.0.2.100]:tcp:80 UP", "VS [192.0.2.100]:tcp:80 UP")
	b.d.finish()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("fifo still there after exit: %v", err)
	}
}
