package notify

import (
	"os/user"
	"strconv"
	"testing"
)

// The rule's order: the script's user, else the default, else
// keepalived_script if it exists, else root (nil); unknown names are errors.
func TestResolveUser(t *testing.T) {
	if _, err := user.Lookup("nobody"); err != nil {
		t.Skip("no user nobody here")
	}
	nobody, _ := user.Lookup("nobody")
	cred, err := ResolveUser("nobody", "", "root", "")
	if err != nil || cred == nil || nobody.Uid != strconv.FormatUint(uint64(cred.UID), 10) {
		t.Errorf("script's own user: %+v, %v; want nobody's uid %s", cred, err, nobody.Uid)
	}
	if cred, err := ResolveUser("", "", "root", ""); err != nil || cred != nil {
		t.Errorf("default root: %+v, %v; want nil (our own identity)", cred, err)
	}
	if cred, err := ResolveUser("", "", "nobody", "root"); err != nil || cred == nil || cred.GID != 0 {
		t.Errorf("default nobody with group root: %+v, %v", cred, err)
	}
	if _, err := ResolveUser("no-such-user-gk", "", "", ""); err == nil {
		t.Error("an unknown user resolved")
	}
	if _, err := ResolveUser("nobody", "no-such-group-gk", "", ""); err == nil {
		t.Error("an unknown group resolved")
	}
	_, hasDefault := user.Lookup(DefaultScriptUser)
	cred, err = ResolveUser("", "", "", "")
	if err != nil || (hasDefault != nil) != (cred == nil) {
		t.Errorf("nothing configured: %+v, %v (keepalived_script exists: %v)", cred, err, hasDefault == nil)
	}
}
