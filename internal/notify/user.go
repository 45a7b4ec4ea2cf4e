package notify

import (
	"fmt"
	"os/user"
	"strconv"
)

// DefaultScriptUser is the user scripts run as when neither the script nor
// global_defs names one, if it exists (keepalived's rule).
const DefaultScriptUser = "keepalived_script"

// ResolveUser looks up the user every script runs as, with keepalived's rule
// (notify scripts, vrrp_script, FIFO scripts, MISC_CHECK): the script's own
// "user [group]", else global_defs script_user [script_group], else the user
// keepalived_script if it exists, else root. The group defaults to the
// user's. A nil Credential means root, i.e. the daemon's own identity. It
// reads the user and group databases (files, NSS), which can be slow: call
// it when a configuration is built, never on a state change.
func ResolveUser(scriptUser, scriptGroup, defaultUser, defaultGroup string) (*Credential, error) {
	name, group := defaultUser, defaultGroup
	if scriptUser != "" {
		name, group = scriptUser, scriptGroup
	}
	if name == "" {
		if _, err := user.Lookup(DefaultScriptUser); err != nil {
			return nil, nil
		}
		name = DefaultScriptUser
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("script user %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("script user %q: uid %q", name, u.Uid)
	}
	gidS := u.Gid
	if group != "" {
		gr, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("script group %q: %w", group, err)
		}
		gidS = gr.Gid
	}
	gid, err := strconv.ParseUint(gidS, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("script group of %q: gid %q", name, gidS)
	}
	if uid == 0 && gid == 0 {
		return nil, nil
	}
	return &Credential{UID: uint32(uid), GID: uint32(gid)}, nil
}
