package netnstest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewIsRemovedAfterTest(t *testing.T) {
	RequireRoot(t)
	var name string
	t.Run("inner", func(t *testing.T) {
		ns := New(t)
		name = ns.Name
		if !strings.HasPrefix(name, Prefix) {
			t.Errorf("namespace %q lacks prefix %q", name, Prefix)
		}
		if _, err := os.Stat(filepath.Join("/var/run/netns", name)); err != nil {
			t.Errorf("named namespace not visible to ip netns: %v", err)
		}
		// The namespace is a different one, with lo up and nothing else.
		ns.Do(t, func() {
			ifs, err := net.Interfaces()
			if err != nil {
				t.Fatal(err)
			}
			if len(ifs) != 1 || ifs[0].Name != "lo" || ifs[0].Flags&net.FlagUp == 0 {
				t.Errorf("fresh namespace interfaces %v, want only lo, up", ifs)
			}
		})
	})
	if _, err := os.Stat(filepath.Join("/var/run/netns", name)); !os.IsNotExist(err) {
		t.Errorf("namespace %s still present after its test ended (stat: %v)", name, err)
	}
}

func TestDoRestoresNamespace(t *testing.T) {
	ns := New(t)
	before, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	var inside string
	ns.Do(t, func() {
		inside, _ = os.Readlink("/proc/thread-self/ns/net")
	})
	after, _ := os.Readlink("/proc/thread-self/ns/net")
	if inside == before {
		t.Errorf("Do ran in the caller's namespace %s", before)
	}
	if after != before {
		t.Errorf("after Do the thread is in %s, want %s", after, before)
	}
}

// Two nodes on a bridge in a third namespace reach each other over UDP.
func TestBridge(t *testing.T) {
	hub, n1, n2 := New(t), New(t), New(t)
	Veth(t, hub, "p1", n1, "eth0")
	Veth(t, hub, "p2", n2, "eth0")
	Bridge(t, hub, "br0", "p1", "p2")
	n1.AddAddr(t, "eth0", "203.0.113.1/24")
	n2.AddAddr(t, "eth0", "203.0.113.2/24")

	var srv net.PacketConn
	n2.Do(t, func() {
		var err error
		if srv, err = net.ListenPacket("udp4", "203.0.113.2:9999"); err != nil {
			t.Fatal(err)
		}
	})
	defer srv.Close()
	n1.Do(t, func() {
		c, err := net.Dial("udp4", "203.0.113.2:9999")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
	})
	if err := srv.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, from, err := srv.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "hello" || !strings.HasPrefix(from.String(), "203.0.113.1:") {
		t.Errorf("ReadFrom = %q from %v, %v; want hello from 203.0.113.1", buf[:n], from, err)
	}
}
