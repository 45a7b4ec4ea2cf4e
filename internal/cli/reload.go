package cli

import (
	"context"
	"fmt"
	"sync"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
)

// reloadTargets are what a reload applies the new configuration to, and
// the configuration they run now.
type reloadTargets struct {
	vrrp interface {
		ReloadSummary(context.Context, *config.Config) (ctl.ReloadSummary, error)
	}
	lb   interface{ Reload(*config.Config) } // nil without the load balancer (-P)
	bfd  *bfdHost                            // nil in tests that need no BFD
	snmp *snmpRunner                         // nil in tests that need no SNMP
	bgp  *bgpHost                            // nil in tests that need no BGP

	mu      sync.Mutex     // one reload at a time: the check sees what runs
	running *config.Config // after subsystems; guarded by mu
}

// emptyReloadRefusal says why a reload from running to next must be asked
// for explicitly: next would stop every VRRP instance and virtual server
// that runs (an empty file, or one whose includes are all empty or
// missing, is the usual cause). It returns "" when next keeps something,
// or when nothing runs.
func emptyReloadRefusal(running, next *config.Config) string {
	if running == nil || len(next.Instances) > 0 || len(next.VirtualServers) > 0 {
		return ""
	}
	if len(running.Instances) == 0 && len(running.VirtualServers) == 0 {
		return ""
	}
	return fmt.Sprintf("the new configuration has no vrrp_instance and no virtual_server, so reloading it would stop all %d VRRP instance(s) and %d virtual server(s) that run (is the file, or a file it includes, empty?); "+
		"the previous configuration keeps running; to stop them all on purpose, run: gokeepalivedctl reload --allow-empty",
		len(running.Instances), len(running.VirtualServers))
}

// current is the running configuration.
func (t *reloadTargets) current() *config.Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.running
}
