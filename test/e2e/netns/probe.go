package netns

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Sample is one probe request.
type Sample struct {
	At     time.Time     // when the request started
	Took   time.Duration // until the answer or the error
	Answer string        // response body, trimmed (the page of the node that answered)
	Err    error
}

// Gap is a run of failed requests between two answers (or at the start or end).
type Gap struct {
	From, To time.Time // first failed request; the next successful request (zero if none yet)
	Failures int
	LastErr  error
}

// Probe requests http://VIP/ from a client node at a fixed interval and records who answered.
type Probe struct {
	node     *Node
	target   netip.AddrPort
	interval time.Duration
	timeout  time.Duration

	mu      sync.Mutex
	samples []Sample

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// Probe starts requesting http://vip/ every interval from inside this node, each request on a
// fresh TCP connection with a timeout of 3 intervals (at least 300 ms). The requests come
// from a goroutine locked to an OS thread that has joined the node's namespace; every socket
// is checked to be created in that namespace before it connects, so no probe traffic can leak
// onto the host. The probe stops on Stop or at cleanup.
func (n *Node) Probe(vip string, interval time.Duration) *Probe {
	n.topo.t.Helper()
	addr, err := netip.ParseAddr(vip)
	if err != nil {
		n.topo.t.Fatalf("e2e: Probe(%q): %v", vip, err)
	}
	timeout := max(3*interval, 300*time.Millisecond)
	p := &Probe{
		node: n, target: netip.AddrPortFrom(addr, 80), interval: interval, timeout: timeout,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	ready := make(chan error)
	go p.loop(ready)
	if err := <-ready; err != nil {
		n.topo.t.Fatalf("e2e: probe from %s: %v", n.Name, err)
	}
	n.topo.mu.Lock()
	n.topo.probes = append(n.topo.probes, p)
	n.topo.mu.Unlock()
	return p
}

func (p *Probe) loop(ready chan<- error) {
	defer close(p.done)
	// The thread enters the namespace and is never unlocked: when this goroutine returns the
	// runtime ends the thread instead of reusing it in the host namespace.
	runtime.LockOSThread()
	dialer, err := JoinDialer(p.node.NS, p.timeout)
	ready <- err
	if err != nil {
		return
	}
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		s := p.request(dialer)
		p.mu.Lock()
		p.samples = append(p.samples, s)
		p.mu.Unlock()
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

func (p *Probe) request(d *net.Dialer) Sample {
	start := time.Now()
	s := Sample{At: start}
	answer, err := func() (string, error) {
		conn, err := d.Dial("tcp", p.target.String())
		if err != nil {
			return "", err
		}
		defer conn.Close()
		_ = conn.SetDeadline(start.Add(p.timeout))
		host := p.target.Addr().String()
		if p.target.Addr().Is6() {
			host = "[" + host + "]"
		}
		if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host); err != nil {
			return "", err
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if err != nil {
			return "", err
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("HTTP %s: %q", resp.Status, body)
		}
		return strings.TrimSpace(string(body)), nil
	}()
	s.Took, s.Answer, s.Err = time.Since(start), answer, err
	return s
}

// NSID identifies a network namespace (device and inode of its nsfs file).
type NSID struct{ dev, ino uint64 }

// JoinNetNS moves the calling OS thread (which the caller must have locked
// and must never unlock) into the named namespace and checks that it took.
func JoinNetNS(name string) (NSID, error) {
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		return NSID{}, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return NSID{}, err
	}
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return NSID{}, fmt.Errorf("setns %s: %w", name, err)
	}
	want := NSID{st.Dev, st.Ino}
	if got, err := ThreadNetNS(); err != nil || got != want {
		return NSID{}, fmt.Errorf("setns %s did not take effect (got %v, err %v)", name, got, err)
	}
	return want, nil
}

// JoinDialer moves the calling OS thread (which the caller must have locked
// and must never unlock) into the named namespace and returns a dialer whose
// sockets are checked to be created there, after socket(2) and before
// connect(2): no probe traffic can leak onto the host.
func JoinDialer(ns string, timeout time.Duration) (*net.Dialer, error) {
	want, err := JoinNetNS(ns)
	if err != nil {
		return nil, err
	}
	return &net.Dialer{
		Timeout: timeout,
		Control: func(_, _ string, _ syscall.RawConn) error {
			// Runs on the calling thread after socket(2), before connect(2).
			if got, err := ThreadNetNS(); err != nil || got != want {
				return fmt.Errorf("socket not in namespace %s (thread netns %v, want %v, err %v); refusing to connect", ns, got, want, err)
			}
			return nil
		},
	}, nil
}

// ThreadNetNS identifies the calling thread's network namespace.
func ThreadNetNS() (NSID, error) {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), &st); err != nil {
		return NSID{}, err
	}
	return NSID{st.Dev, st.Ino}, nil
}

// Stop ends the probe and waits for the last request to finish.
func (p *Probe) Stop() {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
}

// Samples returns a copy of everything recorded so far.
func (p *Probe) Samples() []Sample {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sample(nil), p.samples...)
}

// FirstAnswerFrom returns the first answer from node n's nginx (its page) in a request that
// started after t.
func (p *Probe) FirstAnswerFrom(n *Node, after time.Time) (Sample, bool) {
	for _, s := range p.Samples() {
		if s.Err == nil && s.At.After(after) && s.Answer == n.page {
			return s, true
		}
	}
	return Sample{}, false
}

// Last returns the most recent sample.
func (p *Probe) Last() (Sample, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.samples) == 0 {
		return Sample{}, false
	}
	return p.samples[len(p.samples)-1], true
}

// Gaps returns every run of consecutive failed requests.
func (p *Probe) Gaps() []Gap {
	var gaps []Gap
	var cur *Gap
	for _, s := range p.Samples() {
		switch {
		case s.Err != nil && cur == nil:
			cur = &Gap{From: s.At, Failures: 1, LastErr: s.Err}
		case s.Err != nil:
			cur.Failures++
			cur.LastErr = s.Err
		case cur != nil:
			cur.To = s.At
			gaps = append(gaps, *cur)
			cur = nil
		}
	}
	if cur != nil {
		gaps = append(gaps, *cur)
	}
	return gaps
}

// String summarises the samples as runs (Timeline).
func (p *Probe) String() string { return Timeline(p.Samples()) }

// Done is when the request ended (answer or error).
func (s Sample) Done() time.Time { return s.At.Add(s.Took) }

// Timeline summarises samples as runs of equal outcomes, one per line:
// "15:04:05.000 +2.1s master x21" (start of the run, its length, who
// answered or "error", how many requests), with the last error of an error
// run in parentheses.
func Timeline(samples []Sample) string {
	var b strings.Builder
	key := func(s Sample) string {
		if s.Err != nil {
			return "error"
		}
		return s.Answer
	}
	for i := 0; i < len(samples); {
		j := i
		for j < len(samples) && key(samples[j]) == key(samples[i]) {
			j++
		}
		fmt.Fprintf(&b, "%s +%s %s x%d", samples[i].At.Format("15:04:05.000"), samples[j-1].At.Sub(samples[i].At).Round(time.Millisecond), key(samples[i]), j-i)
		if samples[j-1].Err != nil {
			fmt.Fprintf(&b, " (%v)", samples[j-1].Err)
		}
		b.WriteByte('\n')
		i = j
	}
	return b.String()
}
