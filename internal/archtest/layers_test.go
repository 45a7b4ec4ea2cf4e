// Package archtest guards the layering documented in docs/architecture.md:
// the protocol core stays pure, and run-time packages depend downwards only.
package archtest

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
}

func list(t *testing.T, pattern string) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", pattern).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

const mod = "gokeepalived/"

// rules: packages matching a prefix must not import these (prefix match).
var rules = []struct {
	pkgs   string
	forbid []string
	why    string
}{
	{"internal/daemon", []string{"syscall", "golang.org/x/sys", "github.com/vishvananda/netlink", "github.com/vishvananda/netns",
		"github.com/mdlayher", mod + "internal/linux/wake", mod + "internal/linux/rtsched", mod + "internal/linux/vmac",
		mod + "internal/linux/garp", mod + "internal/linux/pidfile", mod + "internal/linux/vipfw", "github.com/google/nftables"},
		"the VRRP loop reaches the OS only through the ports it declares (ports.go); internal/daemon/linuxport fills them"},
	{"internal/vrrp", []string{"net", "os", "os/exec", "syscall", "golang.org/x/sys", "github.com/vishvananda/netlink",
		mod + "internal/daemon", mod + "internal/linux", mod + "internal/config", mod + "internal/lb", mod + "internal/check"},
		"the VRRP core is pure: no sockets, no OS, no configuration language"},
	{"internal/bfd", []string{"net", "os", "os/exec", "syscall", "math/rand", "math/rand/v2", "crypto/rand", "golang.org/x/sys", "github.com/vishvananda/netlink",
		mod + "internal/daemon", mod + "internal/linux", mod + "internal/config", mod + "internal/vrrp"},
		"the BFD core is pure: no sockets, no OS, no configuration language, randomness injected"},
	{"internal/config", []string{mod + "internal/daemon", mod + "internal/linux", mod + "internal/lb", mod + "internal/check",
		mod + "internal/notify", mod + "internal/track", mod + "internal/metrics", mod + "internal/cli"},
		"the configuration model depends on nothing that runs"},
	{"internal/linux", []string{mod + "internal/daemon", mod + "internal/config", mod + "internal/cli"},
		"kernel adapters know nothing of the daemon or the configuration"},
	{"internal/lb", []string{mod + "internal/config", mod + "internal/daemon", mod + "internal/director", mod + "internal/cli"},
		"the load balancer takes its own typed desired state; internal/director translates the configuration"},
	{"internal/director", []string{mod + "internal/daemon", mod + "internal/cli"},
		"the load-balancer runtime hears the VRRP runtime through events only; the command line wires them"},
	{"internal/daemon", []string{mod + "internal/director", mod + "internal/lb", mod + "internal/check"},
		"the VRRP runtime holds no load-balancer code; it publishes state events and includes the published status"},
	{"internal/bfdrun", []string{"net", "syscall", "golang.org/x/sys", mod + "internal/linux", mod + "internal/daemon",
		mod + "internal/director", mod + "internal/config", mod + "internal/cli"},
		"the BFD runtime reaches sockets through its Network port and talks to the other runtimes by events"},
	{"internal/bgp", []string{"net", "os", "os/exec", "syscall", "golang.org/x/sys", "github.com/osrg/gobgp",
		mod + "internal/daemon", mod + "internal/linux", mod + "internal/config", mod + "internal/bgprun", mod + "internal/bgpspeaker"},
		"the BGP announcement core is pure: no speaker, sockets, OS or configuration language"},
	{"internal/bgprun", []string{"net", "syscall", "golang.org/x/sys", "github.com/osrg/gobgp", mod + "internal/linux", mod + "internal/daemon",
		mod + "internal/director", mod + "internal/config", mod + "internal/cli", mod + "internal/bgpspeaker"},
		"the BGP runtime reaches GoBGP through its Speaker port (internal/bgpspeaker) and the other runtimes by events"},
	{"internal/bgpspeaker", []string{mod + "internal/daemon", mod + "internal/director", mod + "internal/config", mod + "internal/cli"},
		"the GoBGP adapter knows nothing of the daemon or the configuration"},
	{"internal/ctl", []string{mod + "internal/daemon", mod + "internal/director", mod + "internal/linux", mod + "internal/config",
		mod + "internal/lb", mod + "internal/check"}, "the status protocol is rendered from a snapshot, not the runtimes"},
	{"internal/metrics", []string{mod + "internal/daemon", mod + "internal/director", mod + "internal/linux", mod + "internal/config",
		mod + "internal/lb", mod + "internal/check"}, "metrics render the status snapshot (ctl.Snapshot), not the runtimes"},
	{"internal/snmp", []string{mod + "internal/daemon", mod + "internal/director", mod + "internal/linux", mod + "internal/config",
		mod + "internal/lb", mod + "internal/check"}, "the SNMP subagent renders the status snapshot (ctl.Snapshot), not the runtimes"},
	{"internal/testutil", []string{mod + "internal", mod + "test", mod + "cmd"}, "test support is a leaf that any test can import"},
	{"internal/docgen", []string{mod + "internal/daemon", mod + "internal/linux", mod + "internal/cli"},
		"man pages and completion are generated from the tables and flag sets they are given, not from what runs"},
}

func forbidden(imp string, list []string) bool {
	for _, f := range list {
		// Standard-library entries match exactly (net forbids net, not
		// net/netip); module paths match their subpackages too.
		sub := strings.Contains(f, ".") || strings.HasPrefix(f, mod)
		if imp == f || (sub && strings.HasPrefix(imp, f+"/")) {
			return true
		}
	}
	return false
}

func TestLayers(t *testing.T) {
	all := list(t, "gokeepalived/...")
	for _, p := range all {
		rel := strings.TrimPrefix(p.ImportPath, mod)
		for _, r := range rules {
			if rel != r.pkgs && (r.pkgs == "internal/daemon" || !strings.HasPrefix(rel, r.pkgs+"/")) {
				continue // the daemon's rule is for the package itself, not linuxport
			}
			if strings.HasPrefix(rel, "internal/vrrp/vrrpsim") && r.pkgs == "internal/vrrp" {
				continue // the simulator drives the core; it is test tooling, not the core
			}
			if strings.HasPrefix(rel, "internal/lb/internal/lbnet") && r.pkgs == "internal/lb" {
				continue // the backends' traffic tests load configurations; test tooling, not the load balancer
			}
			for _, imp := range p.Imports {
				if forbidden(imp, r.forbid) {
					t.Errorf("%s imports %s: %s", p.ImportPath, imp, r.why)
				}
			}
		}
		// Only the command line wires the daemon (and linuxport, which
		// fits the kernel adapters to its ports).
		for _, imp := range p.Imports {
			if imp == mod+"internal/daemon" && !strings.HasPrefix(rel, "cmd/") && rel != "internal/cli" && rel != "internal/daemon/linuxport" {
				t.Errorf("%s imports internal/daemon: only cmd/, internal/cli and internal/daemon/linuxport wire it", p.ImportPath)
			}
		}
	}
}

var clockCalls = map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "NewTimer": true, "NewTicker": true, "Tick": true}

// The VRRP core never reads the clock or sleeps: time is an input.
func TestVRRPCoreHasNoClock(t *testing.T) {
	for _, p := range list(t, "gokeepalived/internal/vrrp/...") {
		if strings.Contains(p.ImportPath, "vrrpsim") {
			continue
		}
		noClock(t, p, "the pure VRRP core", nil)
	}
}

// The BFD core never reads the clock or sleeps: time is an input.
func TestBFDCoreHasNoClock(t *testing.T) {
	for _, p := range list(t, "gokeepalived/internal/bfd") {
		noClock(t, p, "the pure BFD core", nil)
	}
}

// The BFD runtime takes time from its injected clock; only real.go holds
// the wall clock and the sleeping loop.
func TestBFDRuntimeClockInjected(t *testing.T) {
	for _, p := range list(t, "gokeepalived/internal/bfdrun") {
		noClock(t, p, "the BFD runtime (outside real.go)", map[string]bool{"real.go": true})
	}
}

// The BGP core never reads the clock; the BGP runtime only in real.go.
func TestBGPClock(t *testing.T) {
	for _, p := range list(t, "gokeepalived/internal/bgp") {
		noClock(t, p, "the pure BGP core", nil)
	}
	for _, p := range list(t, "gokeepalived/internal/bgprun") {
		noClock(t, p, "the BGP runtime (outside real.go)", map[string]bool{"real.go": true})
	}
}

// The load-balancer runtime takes time from its injected clock (tests step
// it); only real.go holds the real clock, timer and prober.
func TestDirectorClockInjected(t *testing.T) {
	for _, p := range list(t, "gokeepalived/internal/director") {
		noClock(t, p, "the load-balancer runtime (outside real.go)", map[string]bool{"real.go": true})
	}
}

func noClock(t *testing.T, p pkg, what string, skip map[string]bool) {
	t.Helper()
	for _, f := range p.GoFiles {
		if skip[f] {
			continue
		}
		path := filepath.Join(p.Dir, f)
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "time" && clockCalls[sel.Sel.Name] {
				t.Errorf("%s: time.%s in %s", path, sel.Sel.Name, what)
			}
			return true
		})
	}
}
