package daemon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogFormatJSON: --log-format=json writes one JSON object a line with
// the message and every attribute; text stays key=value; another format is
// refused.
func TestLogFormatJSON(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"json", "text"} {
		f := filepath.Join(dir, format+".log")
		log, closeLog, err := NewLogger(LogOptions{NoSyslog: true, File: f, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		log.Info("state change", "instance", "VI_1", "vrid", 51, "reason", "higher priority 100 from 192.0.2.1")
		closeLog()
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		line := strings.TrimSpace(string(b))
		if format == "text" {
			if !strings.Contains(line, `msg="state change" instance=VI_1 vrid=51 reason="higher priority 100 from 192.0.2.1"`) {
				t.Errorf("text line %q", line)
			}
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("json line %q: %v", line, err)
		}
		if rec["msg"] != "state change" || rec["level"] != "INFO" || rec["instance"] != "VI_1" || rec["vrid"] != 51.0 ||
			rec["reason"] != "higher priority 100 from 192.0.2.1" || rec["time"] == nil {
			t.Errorf("json record %v", rec)
		}
	}
	if _, _, err := NewLogger(LogOptions{NoSyslog: true, Format: "xml"}); err == nil {
		t.Error("format xml accepted")
	}
}

// TestNoLogDestination: detached, only a log file or a reachable syslog
// keeps the logs.
func TestNoLogDestination(t *testing.T) {
	up := func() bool { return true }
	down := func() bool { return false }
	for _, c := range []struct {
		o    LogOptions
		up   func() bool
		want string
	}{
		{LogOptions{}, up, ""},
		{LogOptions{}, down, "no syslog daemon listens on /dev/log and there is no log file (-g)"},
		{LogOptions{Console: true}, down, "no syslog daemon listens on /dev/log and there is no log file (-g)"},
		{LogOptions{NoSyslog: true}, up, "syslog is off (-G) and there is no log file (-g)"},
		{LogOptions{NoSyslog: true, File: "/var/log/gk.log"}, down, ""},
	} {
		if got := NoLogDestination(c.o, c.up); got != c.want {
			t.Errorf("%+v (syslog up %v): %q, want %q", c.o, c.up(), got, c.want)
		}
	}
}
