package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gokeepalived/test/e2e/netns"
)

// Diagnoses that name the cause (issue 13): the seed's nginx pair, run by hand with the
// mistakes users make, two gokeepalived nodes in namespaces. Each scenario asserts the
// exact diagnosis in the log and the status, and the drops_total counter on /metrics.

const diagMetrics = "127.0.0.1:9650"

// diagPair starts the seed's master and a backup whose config edit changed, both
// gokeepalived serving metrics, and waits until both are MASTER (the mistake makes each
// drop the other's adverts).
func diagPair(t *testing.T, tag string, edit func(string) string) (*cluster, *member, *member) {
	t.Helper()
	c := newCluster(t, tag, vip, clientAddr)
	m := c.add("master", netns.Gokeepalived, readConf(t, "master.conf"), masterAddr)
	b := c.add("backup", netns.Gokeepalived, edit(readConf(t, "backup.conf")), backupAddr)
	for _, x := range []*member{m, b} {
		x.gk().Args = []string{"--metrics-listen", diagMetrics}
	}
	c.start(m)
	netns.Eventually(t, converge, c.state(m, "MASTER"))
	c.start(b)
	netns.Eventually(t, converge, c.state(b, "MASTER"))
	return c, m, b
}

// metricValue reads the sum of the series of name on m's /metrics whose labels contain
// every one of labels.
func metricValue(m *member, name string, labels ...string) (float64, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := m.node.Exec(ctx, "curl", "-sS", "--max-time", "3", "http://"+diagMetrics+"/metrics")
	if err != nil {
		return -1, err.Error()
	}
	sum, found := 0.0, false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			sum, found = sum+v, true
		}
	}
	if !found {
		return -1, name + " " + strings.Join(labels, ",") + " not on /metrics"
	}
	return sum, ""
}

// assertDiagnosis waits until m's log contains logLine, its status a warning containing
// warning and heard_dropped with reason, and its drops_total{reason} is above 0.
func assertDiagnosis(t *testing.T, c *cluster, m *member, reason, logLine, warning string) {
	t.Helper()
	netns.Eventually(t, converge, func() (bool, string) {
		return strings.Contains(m.d.Logs(), logLine), m.name + "'s log lacks " + strconv.Quote(logLine) + ":\n" + lastLines(m.d.Logs(), 12)
	})
	netns.Eventually(t, converge, func() (bool, string) {
		st, ok := c.status(m)
		warned := false
		for _, w := range st.Warnings {
			warned = warned || strings.Contains(w, warning)
		}
		hd := st.HeardDropped
		return ok && warned && hd != nil && hd.Reason == reason && st.Drops[reason] > 0,
			fmt.Sprintf("%s's status: warnings %q, heard_dropped %+v, drops %v; want a warning with %q", m.name, st.Warnings, hd, st.Drops, warning)
	})
	netns.Eventually(t, converge, func() (bool, string) {
		v, why := metricValue(m, "gokeepalived_vrrp_drops_total", `reason="`+reason+`"`)
		return v > 0, fmt.Sprintf("%s: drops_total{reason=%q} = %v %s", m.name, reason, v, why)
	})
	for _, bad := range []string{"cannot hear", "without ever hearing"} {
		if strings.Contains(m.d.Logs(), bad) {
			t.Errorf("%s claims it cannot hear a peer it heard and dropped:\n%s", m.name, lastLines(m.d.Logs(), 12))
		}
	}
	st, _ := c.status(m)
	t.Logf("%s: drops %v; heard_dropped %+v; warnings %q", m.name, st.Drops, st.HeardDropped, st.Warnings)
}

// TestDiagnoseVRIDMismatch: the backup runs virtual_router_id 52, the master 51, with the
// same VIP. Both hold the VIP; each says which router advertises which VRID.
func TestDiagnoseVRIDMismatch(t *testing.T) {
	t.Parallel()
	c, m, b := diagPair(t, "dgvrid", func(s string) string {
		return strings.Replace(s, "virtual_router_id 51", "virtual_router_id 52", 1)
	})
	wantM := "192.0.2.2 advertises VRID 52 on ens33; we run 51: same cluster? the VRIDs must match"
	wantB := "192.0.2.1 advertises VRID 51 on ens33; we run 52: same cluster? the VRIDs must match"
	assertDiagnosis(t, c, m, "vrid_mismatch", `level=WARN msg="`+wantM+`"`, wantM)
	assertDiagnosis(t, c, b, "vrid_mismatch", "became MASTER without accepting an advert from another router since ", wantB)
}

// TestDiagnoseAuthMismatch: the backup's auth_pass is 2222. It hears the master and drops
// its adverts; it says so instead of "cannot hear ... firewall".
func TestDiagnoseAuthMismatch(t *testing.T) {
	t.Parallel()
	c, m, b := diagPair(t, "dgauth", func(s string) string {
		return strings.Replace(s, "auth_pass 1111", "auth_pass 2222", 1)
	})
	tail := "dropped its adverts (auth_mismatch): VRRPv2 PASS authentication data does not match auth_pass; the two nodes' configurations must agree"
	assertDiagnosis(t, c, b, "auth_mismatch", "became MASTER without accepting an advert from another router since ", "heard 192.0.2.1 but "+tail)
	if !strings.Contains(b.d.Logs(), ": heard 192.0.2.1 but "+tail) {
		t.Errorf("backup's log lacks the diagnosis:\n%s", lastLines(b.d.Logs(), 12))
	}
	assertDiagnosis(t, c, m, "auth_mismatch", "dropped VRRP advertisement: VRRPv2 PASS authentication data does not match auth_pass", "heard 192.0.2.2 but "+tail)
}

// TestDiagnoseIntervalMismatch: the backup's advert_int is 2. Both drop lines carry both
// intervals.
func TestDiagnoseIntervalMismatch(t *testing.T) {
	t.Parallel()
	c, m, b := diagPair(t, "dgint", func(s string) string {
		return strings.Replace(s, "advert_int 1", "advert_int 2", 1)
	})
	line := "dropped VRRP advertisement: VRRPv2 advertisement interval differs from advert_int (RFC 3768 §7.1): "
	assertDiagnosis(t, c, b, "interval_mismatch", line+"mine=2s received=1s", "heard 192.0.2.1 but dropped its adverts (interval_mismatch)")
	assertDiagnosis(t, c, m, "interval_mismatch", line+"mine=1s received=2s", "mine=1s received=2s")
}

// TestDiagnoseVIPOutsideSubnet: `gokeepalived -t` in a node whose ens33 is in
// 192.0.2.0/24 warns about a VIP in 203.0.113.0/24, at its line, and still exits 0.
func TestDiagnoseVIPOutsideSubnet(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "dgsub", vip, clientAddr)
	n := c.topo.Node("node")
	c.topo.Link(n, c.lan, ifname, masterAddr)
	bin, err := netns.GokeepalivedBinary()
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(n.Dir("conf"), "keepalived.conf")
	text := strings.Replace(readConf(t, "master.conf"), "        192.0.2.100\n", "        203.0.113.100\n", 1)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	line := 0
	for i, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == "203.0.113.100" {
			line = i + 1
		}
	}
	out := n.MustExec(bin, "-t", "-f", conf)
	want := fmt.Sprintf("%s:%d:9: warning: vrrp_instance VI_1: virtual_ipaddress 203.0.113.100 is outside every subnet of ens33 (192.0.2.0/24): hosts on that link reach it only if a router sends it here; a typo?", conf, line)
	if !strings.Contains(out, want) {
		t.Errorf("gokeepalived -t printed\n%s\nwant the line\n%s", out, want)
	}
}
