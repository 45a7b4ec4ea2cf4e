package smtpcheck

import (
	"bytes"
	"context"
	"testing"
	"time"

	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/probe/probetest"
)

// FuzzCheckReply runs SMTP_CHECK against a server that sends the fuzzed
// bytes as its whole side of the dialogue: any reply gives a result with
// a reason, never a panic or a hang, and only one with the 220, 250 and
// 221 replies passes.
func FuzzCheckReply(f *testing.F) {
	for _, s := range []string{
		"220 mx ESMTP\r\n250 hello\r\n221 bye\r\n",
		"220-mx\r\n220 ESMTP\r\n250-a\r\n250 b\r\n221 bye\r\n",
		"220 mx\r\n550 no\r\n",
		"220-mx\r\n221 mixed\r\n",
		"421 busy\r\n",
		"220",
		"22\r\n",
		"2200000000000000000 x\r\n",
		"",
		"\xff\xfe\r\n",
	} {
		f.Add([]byte(s))
	}
	srv := probetest.NewTCPServer(f)
	f.Fuzz(func(t *testing.T, reply []byte) {
		srv.SetReply(reply)
		addr := srv.Addr()
		r := New(Config{Conn: probe.Conn{Addr: addr, Timeout: 10 * time.Second}}).Check(context.Background())
		if r.Reason == "" {
			t.Errorf("result %+v without a reason", r)
		}
		if r.OK && !(bytes.HasPrefix(reply, []byte("220")) && bytes.Contains(reply, []byte("250")) && bytes.Contains(reply, []byte("221"))) {
			t.Errorf("reply %q passed: %+v", reply, r)
		}
	})
}
