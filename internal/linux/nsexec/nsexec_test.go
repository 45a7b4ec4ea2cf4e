package nsexec

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"gokeepalived/internal/linux/netnstest"
)

func nsInode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestDo: fn runs in the namespace (a socket it opens stays there), the
// caller's thread is untouched, fn's error comes back; Path maps names as
// keepalived does.
func TestDo(t *testing.T) {
	if Path("") != "/proc/1/ns/net" || Path("blue") != "/var/run/netns/blue" {
		t.Errorf("Path: %q %q", Path(""), Path("blue"))
	}
	netnstest.RequireRoot(t)
	ns := netnstest.New(t)
	want := nsInode(t, "/run/netns/"+ns.Name)
	before := nsInode(t, "/proc/self/ns/net")
	var inside uint64
	boom := errors.New("boom")
	err := Do(int(ns.Handle()), func() error {
		inside = nsInode(t, "/proc/thread-self/ns/net")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Do returned %v, want fn's error", err)
	}
	if inside != want {
		t.Errorf("fn ran in namespace inode %d, want %d", inside, want)
	}
	if after := nsInode(t, "/proc/self/ns/net"); after != before {
		t.Errorf("the process's namespace changed: %d -> %d", before, after)
	}
	if err := Do(-1, func() error { return nil }); err == nil {
		t.Error("Do on a bad descriptor succeeded")
	}
}
