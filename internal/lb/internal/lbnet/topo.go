package lbnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// Addresses of the topology (documentation and benchmarking prefixes only).
const (
	VIP        = "192.0.2.100"
	DirFront   = "192.0.2.1"
	ClientAddr = "192.0.2.10"
	DirBack    = "198.18.0.1"
)

// RealServer is a Go HTTP server in its own namespace answering its name.
type RealServer struct {
	Name string
	NS   *NS
	Addr netip.AddrPort

	mu  sync.Mutex
	srv *http.Server
}

// Start listens and serves; it is a no-op when already running.
func (r *RealServer) Start(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv != nil {
		return
	}
	var ln net.Listener
	r.NS.Must(t, "listen "+r.Addr.String(), func() (err error) {
		ln, err = net.Listen("tcp", r.Addr.String())
		return err
	})
	name := r.Name
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, name)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	r.srv = srv
	t.Cleanup(func() { r.Stop() })
}

// Stop closes the listener and every open connection (the server "dies").
func (r *RealServer) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv != nil {
		r.srv.Close()
		r.srv = nil
	}
}

// Topo is a director between a client and real servers:
//
//	client 192.0.2.10 ── 192.0.2.1 director (VIP 192.0.2.100) 198.18.0.1/15 ── br0 ── rsN 198.18.0.N+1
type Topo struct {
	Director, Client *NS
	RS               []*RealServer // RS[i] is "rs<i+1>" at 198.18.0.(i+2):80
	Sorry            *RealServer   // "sorry" at 198.18.0.99:8080
	http             *http.Client
}

// NewTopo builds the topology with n real servers and a sorry server, all
// started.
func NewTopo(t testing.TB, n int) *Topo {
	t.Helper()
	tp := &Topo{Director: NewNS(t, "dir"), Client: NewNS(t, "cl")}
	d := tp.Director
	d.Sysctl(t, "net.ipv4.ip_forward", "1")
	Veth(t, d, "front", tp.Client, "eth0")
	d.AddAddr(t, "front", DirFront+"/24")
	d.AddAddr(t, "front", VIP+"/32")
	tp.Client.AddAddr(t, "eth0", ClientAddr+"/24")
	tp.Client.DefaultRoute(t, DirFront)

	var members []string
	add := func(name string, ip string, port uint16) *RealServer {
		ns := NewNS(t, name)
		port0 := "b-" + name
		Veth(t, d, port0, ns, "eth0")
		members = append(members, port0)
		ns.AddAddr(t, "eth0", ip+"/15")
		ns.DefaultRoute(t, DirBack)
		return &RealServer{Name: name, NS: ns, Addr: netip.AddrPortFrom(netip.MustParseAddr(ip), port)}
	}
	for i := range n {
		tp.RS = append(tp.RS, add(fmt.Sprintf("rs%d", i+1), fmt.Sprintf("198.18.0.%d", i+2), 80))
	}
	tp.Sorry = add("sorry", "198.18.0.99", 8080)
	d.Bridge(t, "br0", members...)
	d.AddAddr(t, "br0", DirBack+"/15")
	d.LinkUp(t, "br0")
	for _, r := range append(tp.RS, tp.Sorry) {
		r.Start(t)
	}
	client := tp.Client
	tp.http = &http.Client{
		Timeout: 3 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				var c net.Conn
				err := client.Do(func() (err error) {
					c, err = (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, network, addr)
					return err
				})
				return c, err
			},
		},
	}
	t.Cleanup(tp.http.CloseIdleConnections)
	return tp
}

// Get fetches http://VIP:port/ from the client namespace on a new
// connection and returns the body (the answering server's name).
func (tp *Topo) Get(port uint16) (string, error) { return tp.GetAt(VIP, port) }

// GetAt is Get for another address of the director.
func (tp *Topo) GetAt(addr string, port uint16) (string, error) {
	resp, err := tp.http.Get(fmt.Sprintf("http://%s:%d/", addr, port))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b)), err
}

// Spread sends n requests and counts answers per server name.
func (tp *Topo) Spread(n int, port uint16) (map[string]int, error) {
	got := map[string]int{}
	var errs []error
	for range n {
		name, err := tp.Get(port)
		if err != nil {
			errs = append(errs, err)
			got["error"]++
			continue
		}
		got[name]++
	}
	return got, errors.Join(errs...)
}
