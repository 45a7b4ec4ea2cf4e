package poll

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestEventually checks both outcomes of both forms, including that a timeout
// fails the test with the condition's last explanation.
func TestEventually(t *testing.T) {
	calls := 0
	NoError(t, time.Second, time.Millisecond, func() error {
		if calls++; calls < 3 {
			return os.ErrNotExist
		}
		return nil
	})
	if calls != 3 {
		t.Errorf("cond called %d times, want 3", calls)
	}

	calls = 0
	Until(t, time.Second, time.Millisecond, func() (bool, string) { calls++; return calls == 3, "not yet" })
	if calls != 3 {
		t.Errorf("cond called %d times, want 3", calls)
	}

	for _, tc := range []struct {
		name string
		wait func(testing.TB)
		want []string
	}{
		{"Until", func(tb testing.TB) {
			Until(tb, 100*time.Millisecond, time.Millisecond, func() (bool, string) { return false, "backup holds no VIP" })
		}, []string{"100ms", "backup holds no VIP"}},
		{"NoError", func(tb testing.TB) {
			NoError(tb, 100*time.Millisecond, time.Millisecond, func() error { return fmt.Errorf("veth0 has no carrier") })
		}, []string{"100ms", "veth0 has no carrier"}},
	} {
		rec := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			tc.wait(rec)
		}()
		<-done
		for _, w := range tc.want {
			if !strings.Contains(rec.fatal, w) {
				t.Errorf("%s: timeout message %q does not say %q", tc.name, rec.fatal, w)
			}
		}
	}
}

// recorder catches Fatalf and ends the goroutine as testing.T.Fatalf does.
type recorder struct {
	testing.TB
	fatal string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
