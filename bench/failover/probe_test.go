//go:build failoverbench

package failover

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"gokeepalived/test/e2e/netns"
)

// sample is one HTTP request of the probe (its end is s.Done()).
type sample = netns.Sample

// fastProbe requests http://VIP/ from inside a namespace every interval, each on a fresh TCP
// connection with its own timeout. Unlike the e2e harness's sequential probe, requests
// overlap: a request stuck on a lost SYN does not delay the next one, so the resolution is
// the interval (10 ms) even while the VIP is unreachable. Requests run on a pool of
// goroutines locked to OS threads that joined the namespace (the threads are never returned
// to the runtime, so nothing leaks into the host namespace).
type fastProbe struct {
	target   string
	interval time.Duration
	timeout  time.Duration

	mu      sync.Mutex
	samples []sample
	skipped int // ticks with no free worker (the resolution was worse than interval)

	jobs chan time.Time
	stop chan struct{}
	wg   sync.WaitGroup
}

func startProbe(ns, target string, interval, timeout time.Duration, workers int) (*fastProbe, error) {
	p := &fastProbe{
		target: target, interval: interval, timeout: timeout,
		jobs: make(chan time.Time), stop: make(chan struct{}),
	}
	ready := make(chan error, workers)
	for range workers {
		p.wg.Add(1)
		go p.worker(ns, ready)
	}
	var errs []error
	for range workers {
		if err := <-ready; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		close(p.stop)
		p.wg.Wait()
		return nil, errors.Join(errs...)
	}
	p.wg.Add(1)
	go p.dispatch()
	return p, nil
}

func (p *fastProbe) dispatch() {
	defer p.wg.Done()
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-tick.C:
			select {
			case p.jobs <- now:
			default:
				p.mu.Lock()
				p.skipped++
				p.mu.Unlock()
			}
		}
	}
}

func (p *fastProbe) worker(ns string, ready chan<- error) {
	defer p.wg.Done()
	runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
	dialer, err := netns.JoinDialer(ns, p.timeout)
	ready <- err
	if err != nil {
		return
	}
	buf := make([]byte, 4096)
	for {
		select {
		case <-p.stop:
			return
		case <-p.jobs:
			s := p.request(dialer, buf)
			p.mu.Lock()
			p.samples = append(p.samples, s)
			p.mu.Unlock()
		}
	}
}

var request = []byte("GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n")

func (p *fastProbe) request(d *net.Dialer, buf []byte) sample {
	s := sample{At: time.Now()}
	s.Answer, s.Err = func() (string, error) {
		conn, err := d.Dial("tcp4", p.target)
		if err != nil {
			return "", err
		}
		defer conn.Close()
		_ = conn.SetDeadline(s.At.Add(p.timeout))
		if _, err := conn.Write(request); err != nil {
			return "", err
		}
		n := 0
		for n < len(buf) {
			m, err := conn.Read(buf[n:])
			n += m
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return "", err
			}
		}
		resp := buf[:n]
		if !bytes.HasPrefix(resp, []byte("HTTP/1.1 200 ")) {
			return "", fmt.Errorf("bad answer %q", resp)
		}
		i := bytes.Index(resp, []byte("\r\n\r\n"))
		if i < 0 {
			return "", fmt.Errorf("bad answer %q", resp)
		}
		return string(bytes.TrimSpace(resp[i+4:])), nil
	}()
	s.Took = time.Since(s.At)
	return s
}

// Stop ends the probe and waits for requests in flight.
func (p *fastProbe) Stop() {
	close(p.stop)
	p.wg.Wait()
}

// Samples returns the samples so far, sorted by start time.
func (p *fastProbe) Samples() []sample {
	p.mu.Lock()
	out := append([]sample(nil), p.samples...)
	p.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Skipped is how many ticks found no free worker.
func (p *fastProbe) Skipped() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skipped
}

// firstAnswer returns the answer from page that completed first among requests started at or
// after since.
func (p *fastProbe) firstAnswer(page string, since time.Time) (sample, bool) {
	var best sample
	found := false
	for _, s := range p.Samples() {
		if s.Err == nil && s.Answer == page && !s.At.Before(since) && (!found || s.Done().Before(best.Done())) {
			best, found = s, true
		}
	}
	return best, found
}

// waitAnswer polls until an answer from page to a request started at or after since arrives,
// or timeout passes.
func (p *fastProbe) waitAnswer(page string, since time.Time, timeout time.Duration) (sample, bool) {
	deadline := time.Now().Add(timeout)
	for {
		if s, ok := p.firstAnswer(page, since); ok {
			return s, true
		}
		if time.Now().After(deadline) {
			return sample{}, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// timeline summarises the samples started in [from, to) as runs of equal
// outcomes (netns.Timeline), indented.
func timeline(samples []sample, from, to time.Time) string {
	var in []sample
	for _, s := range samples {
		if !s.At.Before(from) && s.At.Before(to) {
			in = append(in, s)
		}
	}
	return strings.TrimSuffix("  "+strings.ReplaceAll(netns.Timeline(in), "\n", "\n  "), "  ")
}
