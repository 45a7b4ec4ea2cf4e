package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// serveTest serves on a unix socket in a temporary directory with lim
// (Serve's defaults for the zero Limits), answering any request, and
// returns the socket's path.
func serveTest(t *testing.T, lim Limits) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctl.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h := func(_ context.Context, req Request) Response { return Response{Message: "ok " + req.Cmd} }
	go func() {
		if lim == (Limits{}) {
			done <- Serve(ctx, l, h)
			return
		}
		done <- ServeLimits(ctx, l, h, lim)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeLimits returned %v", err)
		}
	})
	return path
}

// dial connects to path; the deadline only keeps a broken server from
// hanging the test.
func dial(t *testing.T, path string) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// answer reads the server's one response on c.
func answer(t *testing.T, c net.Conn) Response {
	t.Helper()
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return resp
}

// TestServeRequestTooLarge: issue 10 fault 5, a request of any size was
// read whole (920 MiB measured). One over the limit is refused with an
// error naming it, and the server reads no more than the limit (64 KiB by
// default).
func TestServeRequestTooLarge(t *testing.T) {
	path := serveTest(t, Limits{})
	c := dial(t, path)
	big := `{"cmd":"` + strings.Repeat("x", 64<<10) + `"}`
	// The server stops reading at the limit: the write of the rest may
	// fail when it closes, which is fine.
	go func() { _, _ = c.Write([]byte(big)) }()
	resp := answer(t, c)
	if want := "bad request: request too large: more than 65536 bytes"; resp.Error != want {
		t.Errorf("error = %q, want %q", resp.Error, want)
	}
	// A request within the limit still works.
	if resp, err := Call(context.Background(), path, Request{Cmd: "status"}); err != nil || resp.Message != "ok status" {
		t.Errorf("Call = %+v, %v", resp, err)
	}
}

// TestServeSlowClientCutOff: a client that does not finish its request
// within ReadTimeout is answered with an error and disconnected.
func TestServeSlowClientCutOff(t *testing.T) {
	path := serveTest(t, Limits{ReadTimeout: 20 * time.Millisecond})
	c := dial(t, path)
	if _, err := c.Write([]byte(`{"cmd":`)); err != nil {
		t.Fatal(err)
	}
	resp := answer(t, c)
	if want := "bad request: request not received within 20ms"; resp.Error != want {
		t.Errorf("error = %q, want %q", resp.Error, want)
	}
}

// TestServeConnectionLimit: connections beyond MaxConns are refused with
// an error while the others are held open; a freed slot serves again.
func TestServeConnectionLimit(t *testing.T) {
	path := serveTest(t, Limits{MaxRequest: 1024, ReadTimeout: time.Minute, MaxConns: 2})
	held := []net.Conn{dial(t, path), dial(t, path)}
	// The server accepts in connection order and takes the slot before
	// the next Accept, so the third connection finds both slots taken.
	extra := dial(t, path)
	resp := answer(t, extra)
	if want := "too many control connections (2 being served, the limit); try again"; resp.Error != want {
		t.Errorf("third connection: error = %q, want %q", resp.Error, want)
	}
	if _, err := extra.Read(make([]byte, 1)); err == nil {
		t.Error("third connection still open after its error")
	}
	// A held client finishes its request: its slot is free by the time it
	// sees the connection close.
	if _, err := held[0].Write([]byte(`{"cmd":"status"}`)); err != nil {
		t.Fatal(err)
	}
	if resp := answer(t, held[0]); resp.Message != "ok status" {
		t.Errorf("held connection answered %+v", resp)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(held[0]); err != nil {
		t.Fatalf("waiting for the server to close: %v", err)
	}
	if resp, err := Call(context.Background(), path, Request{Cmd: "status"}); err != nil || resp.Message != "ok status" {
		t.Errorf("Call after a slot was freed = %+v, %v", resp, err)
	}
}

func TestDecodeRequest(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Request
		err      string
	}{
		{name: "status", in: `{"cmd":"status"}`, want: Request{Cmd: "status"}},
		{name: "reload allow empty", in: `{"cmd":"reload","allow_empty":true}`, want: Request{Cmd: "reload", AllowEmpty: true}},
		{name: "trailing data ignored", in: `{"cmd":"status"} garbage`, want: Request{Cmd: "status"}},
		{name: "exactly at the limit", in: `{"cmd":"` + strings.Repeat("y", 54) + `"}`, want: Request{Cmd: strings.Repeat("y", 54)}},
		{name: "one byte over", in: `{"cmd":"` + strings.Repeat("y", 55) + `"}`, err: "request too large: more than 64 bytes"},
		{name: "blank flood", in: strings.Repeat(" ", 100), err: "request too large: more than 64 bytes"},
		{name: "empty", in: "", err: "EOF"},
		{name: "not an object", in: `[1]`, err: "json: cannot unmarshal array into Go value of type ctl.Request"},
		{name: "wrong type", in: `{"cmd":1}`, err: "json: cannot unmarshal number into Go struct field Request.cmd of type string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeRequest(strings.NewReader(tc.in), 64)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error = %v, want %s", err, tc.err)
				}
				if strings.Contains(tc.err, "too large") && !errors.Is(err, ErrRequestTooLarge) {
					t.Errorf("error %v is not ErrRequestTooLarge", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DecodeRequest = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// FuzzDecodeRequest: any bytes decode to a request or an error, never a
// panic, and nothing beyond the limit is read.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{`{"cmd":"status"}`, `{"cmd":"reload","allow_empty":true}`, `{"cmd":"\u0000"}`,
		`{"cmd":"status","cmd":"reload"}`, `{`, `"`, `{"allow_empty":"yes"}`, " \n\t{}", `{"cmd":"` + strings.Repeat("z", 100) + `"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		req, err := DecodeRequest(r, 64)
		if read := len(data) - r.Len(); read > 65 {
			t.Fatalf("read %d bytes, limit 64", read)
		}
		if err != nil && !reflect.DeepEqual(req, Request{}) {
			t.Errorf("error %v with a request %+v", err, req)
		}
		if errors.Is(err, ErrRequestTooLarge) && len(data) <= 64 {
			t.Errorf("%d bytes refused as too large", len(data))
		}
	})
}
