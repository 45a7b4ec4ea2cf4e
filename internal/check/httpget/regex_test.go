package httpget

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/check/probe"
)

// chunkedServer serves a 5000-byte filler, then "MARK-123", then a tail,
// written in 7-byte chunks, each flushed (chunked encoding): the pattern
// straddles chunk boundaries.
func chunkedServer(t *testing.T) netip.AddrPort {
	t.Helper()
	body := strings.Repeat("a", 5000) + "MARK-123" + strings.Repeat("z", 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/500" {
			w.WriteHeader(500)
		}
		f := w.(http.Flusher)
		for i := 0; i < len(body); i += 7 {
			w.Write([]byte(body[i:min(i+7, len(body))]))
			f.Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return netip.MustParseAddrPort(strings.TrimPrefix(srv.URL, "http://"))
}

// TestRegexAgainstServer: keepalived's regex rules against a real Go HTTP
// server: leftmost match starting in [min, max], regex_no_match inverts,
// status and digest are judged before the regex.
func TestRegexAgainstServer(t *testing.T) {
	addr := chunkedServer(t)
	for _, tc := range []struct {
		name string
		u    URL
		ok   bool
		why  string
	}{
		{"across chunks", URL{Path: "/", Regex: `MARK-\d{3}z`}, true, ""},
		{"no match", URL{Path: "/", Regex: `MARK-4`}, false, "did not match"},
		{"min offset before", URL{Path: "/", Regex: `MARK`, RegexMinOffset: 4990}, true, ""},
		{"min offset at", URL{Path: "/", Regex: `MARK`, RegexMinOffset: 5000}, true, ""},
		{"min offset after", URL{Path: "/", Regex: `MARK`, RegexMinOffset: 5001}, false, "did not match"},
		{"max offset at (inclusive)", URL{Path: "/", Regex: `MARK`, RegexMaxEnd: 5001}, true, ""},
		{"max offset before", URL{Path: "/", Regex: `MARK`, RegexMaxEnd: 5000}, false, "did not match"},
		{"look-behind before min offset", URL{Path: "/", Regex: `(?<=a)MARK`, RegexMinOffset: 5000, RegexMaxEnd: 5001}, true, ""},
		{"no_match, absent", URL{Path: "/", Regex: `MARK-4`, RegexNoMatch: true}, true, ""},
		{"no_match, present", URL{Path: "/", Regex: `MARK-1`, RegexNoMatch: true}, false, "(regex_no_match)"},
		{"no_match, present beyond max", URL{Path: "/", Regex: `MARK`, RegexNoMatch: true, RegexMaxEnd: 10}, true, ""},
		{"status first", URL{Path: "/500", Regex: `MARK`}, false, "status 500"},
		{"digest before regex", URL{Path: "/", Regex: `MARK`, Digest: "00000000000000000000000000000000"}, false, "digest mismatch"},
		{"caseless", URL{Path: "/", Regex: `mark-123`, RegexOptions: []string{"caseless"}}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Config{Conn: probe.Conn{Addr: addr, Timeout: 5 * time.Second}, URLs: []URL{tc.u}})
			if err != nil {
				t.Fatal(err)
			}
			r := c.Check(context.Background())
			if r.OK != tc.ok || !strings.Contains(r.Reason, tc.why) {
				t.Errorf("%+v; want OK %v and a reason containing %q", r, tc.ok, tc.why)
			}
		})
	}
	if _, err := New(Config{URLs: []URL{{Path: "/", Regex: `a++`}}}); err == nil || !strings.Contains(err.Error(), "possessive") {
		t.Errorf("possessive pattern: %v", err)
	}
}
