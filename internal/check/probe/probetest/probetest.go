// Package probetest holds the assertion every checker's tests make.
package probetest

import (
	"context"
	"strings"
	"testing"

	"gokeepalived/internal/check/probe"
)

// Check runs c once and fails t unless the result is wantOK with a reason
// that contains reason. It returns the result for further assertions.
func Check(t testing.TB, c probe.Checker, wantOK bool, reason string) probe.Result {
	t.Helper()
	r := c.Check(context.Background())
	if r.OK != wantOK || !strings.Contains(r.Reason, reason) {
		t.Errorf("Check() = %+v, want OK %v and a reason containing %q", r, wantOK, reason)
	}
	return r
}
