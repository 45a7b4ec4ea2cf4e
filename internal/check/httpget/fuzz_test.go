package httpget

import (
	"bytes"
	"context"
	"testing"
	"time"

	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/probe/probetest"
)

// FuzzCheckReply runs HTTP_GET against a server that answers with the
// fuzzed bytes: any reply gives a result with a reason, never a panic or
// a hang, and only an HTTP status line can pass.
func FuzzCheckReply(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
		"HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n",
		"HTTP/1.0 200 OK\r\nContent-Length: 99\r\n\r\nshort",
		"HTTP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.0 999999999999 OK\r\n\r\n",
		"HTTP/9.9 200\r\n\r\n",
		"HTTP/1.0 200 OK\r\nX: " + string(bytes.Repeat([]byte("a"), 2000)) + "\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nthe body matches ok",
		"SSH-2.0-OpenSSH\r\n",
		"",
		"\x00\xff\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	srv := probetest.NewTCPServer(f)
	f.Fuzz(func(t *testing.T, reply []byte) {
		srv.SetReply(reply)
		addr := srv.Addr()
		c, err := New(Config{Conn: probe.Conn{Addr: addr, Timeout: 10 * time.Second}, Protocol: HTTP11, URLs: []URL{
			{Path: "/", Digest: "5d41402abc4b2a76b9719d911017c592"},
			{Path: "/r", Regex: "ma[t]ches", RegexMaxEnd: 101},
		}})
		if err != nil {
			t.Fatal(err)
		}
		r := c.Check(context.Background())
		if r.Reason == "" {
			t.Errorf("result %+v without a reason", r)
		}
		if r.OK && !bytes.HasPrefix(reply, []byte("HTTP/")) {
			t.Errorf("reply %q passed: %+v", reply, r)
		}
	})
}
