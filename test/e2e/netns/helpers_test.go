package netns_test

import (
	osexec "os/exec"
	"testing"
)

func exec(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := osexec.Command(name, args...).CombinedOutput()
	return string(out), err
}
