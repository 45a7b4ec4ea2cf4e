package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// Limits bound what clients of the control socket can make the daemon
// hold: without them one client could send a request of any size (920 MiB
// measured, 3 GB of daemon memory) or open any number of connections.
type Limits struct {
	// MaxRequest is the largest request in bytes; a larger one is answered
	// with an error and the connection closed.
	MaxRequest int
	// ReadTimeout is how long a client has to send its whole request, and
	// the daemon to write its answer; a slower client is cut off.
	ReadTimeout time.Duration
	// MaxConns is how many connections are served at once; one more is
	// answered with an error and closed at once.
	MaxConns int
}

// DefaultLimits are the daemon's: a request is a few bytes of JSON.
var DefaultLimits = Limits{MaxRequest: 64 << 10, ReadTimeout: 10 * time.Second, MaxConns: 16}

// Serve accepts connections on l until ctx ends, answering each with h,
// within DefaultLimits.
func Serve(ctx context.Context, l net.Listener, h Handler) error {
	return ServeLimits(ctx, l, h, DefaultLimits)
}

// ServeLimits is Serve with the given limits; a zero field takes its
// value from DefaultLimits.
func ServeLimits(ctx context.Context, l net.Listener, h Handler, lim Limits) error {
	if lim.MaxRequest <= 0 {
		lim.MaxRequest = DefaultLimits.MaxRequest
	}
	if lim.ReadTimeout <= 0 {
		lim.ReadTimeout = DefaultLimits.ReadTimeout
	}
	if lim.MaxConns <= 0 {
		lim.MaxConns = DefaultLimits.MaxConns
	}
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	slots := make(chan struct{}, lim.MaxConns)
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			// Answered here, not in a goroutine, so a flood of connections
			// cannot pile up goroutines either; the answer fits in the
			// socket buffer, and the deadline bounds it regardless.
			reply(c, lim.ReadTimeout, Response{Error: fmt.Sprintf(
				"too many control connections (%d being served, the limit); try again", lim.MaxConns)})
			c.Close()
			continue
		}
		go func() {
			defer c.Close()
			// The slot is free before the client sees the connection close.
			defer func() { <-slots }()
			serveConn(ctx, c, h, lim)
		}()
	}
}

func serveConn(ctx context.Context, c net.Conn, h Handler, lim Limits) {
	_ = c.SetReadDeadline(time.Now().Add(lim.ReadTimeout))
	req, err := DecodeRequest(c, lim.MaxRequest)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("request not received within %v", lim.ReadTimeout)
		}
		reply(c, lim.ReadTimeout, Response{Error: "bad request: " + err.Error()})
		return
	}
	// The handler may take long (a reload); the write gets its own time.
	reply(c, lim.ReadTimeout, h(ctx, req))
}

func reply(c net.Conn, timeout time.Duration, resp Response) {
	_ = c.SetWriteDeadline(time.Now().Add(timeout))
	_ = json.NewEncoder(c).Encode(resp)
}

// ErrRequestTooLarge is returned by DecodeRequest for a request over its
// size limit.
var ErrRequestTooLarge = errors.New("request too large")

// DecodeRequest reads one JSON request of at most max bytes from r.
// Anything after the request (up to the limit) is ignored.
func DecodeRequest(r io.Reader, max int) (Request, error) {
	lr := &io.LimitedReader{R: r, N: int64(max) + 1}
	var req Request
	dec := json.NewDecoder(lr)
	err := dec.Decode(&req)
	if lr.N <= 0 && (err != nil || dec.InputOffset() > int64(max)) {
		return Request{}, fmt.Errorf("%w: more than %d bytes", ErrRequestTooLarge, max)
	}
	if err != nil {
		return Request{}, err
	}
	return req, nil
}
