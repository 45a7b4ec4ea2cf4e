package daemon

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/metrics"
	"gokeepalived/internal/vrrp/packet"
)

// Adverts alone change only counters: no new snapshot is published for
// them, yet the status shows the counters as they are now. A state change
// publishes a new one.
func TestSnapshotPublishedOnChangeNotPerAdvert(t *testing.T) {
	h, a, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	pa, pb := a.d.published.Load(), b.d.published.Load()
	sentBefore, rcvdBefore := a.status("VI_1").Counters["adverts_sent"], b.status("VI_1").Counters["adverts_received"]

	h.advance(20 * time.Second) // 20 adverts from a, nothing else
	if a.d.published.Load() != pa || b.d.published.Load() != pb {
		t.Errorf("adverts alone published a new snapshot")
	}
	sa, sb := a.status("VI_1"), b.status("VI_1")
	if got := sa.Counters[ctl.AdvertsSent.String()] - sentBefore; got < 19 || got > 21 {
		t.Errorf("a's adverts_sent grew by %d in 20 s, want ~20 (counters read live)", got)
	}
	if got := sb.Counters[ctl.AdvertsReceived.String()] - rcvdBefore; got < 19 || got > 21 {
		t.Errorf("b's adverts_received grew by %d in 20 s, want ~20", got)
	}

	a.stop() // priority 0: b takes over after its skew time
	h.advance(2 * time.Second)
	if b.d.published.Load() == pb {
		t.Fatal("b's transition to MASTER published no snapshot")
	}
	if st := b.status("VI_1"); st.State != "MASTER" {
		t.Errorf("b's status says %s after the takeover", st.State)
	}
}

// Status, a metrics scrape and the dump files read the published snapshot:
// they work while nobody steps the loop (the stepped harness runs no loop
// goroutine), even with an expired context, and queue nothing for the loop.
func TestReadersDoNotEnterTheLoop(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, err := a.d.Status(ctx)
	if err != nil || len(st.Instances) != 1 || st.Instances[0].State != "MASTER" {
		t.Fatalf("Status with an expired context and no loop: %v, %+v", err, st)
	}

	rec := httptest.NewRecorder()
	metrics.Handler(a.d.Snapshot).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if want := `gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="MASTER",vrid="51"} 1`; !strings.Contains(string(body), want) {
		t.Errorf("scrape lacks %s", want)
	}
	path := filepath.Join(t.TempDir(), "keepalived.stats")
	if err := a.d.WriteDump(ctx, DumpStats, path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "VRRP Instance: VI_1") {
		t.Errorf("stats dump:\n%s", b)
	}
	if !a.idle() {
		t.Errorf("reading the status queued work for the loop (%d commands)", len(a.d.cmds))
	}
}

// Age fields are computed by the reader, at its own now, from the
// snapshot's timestamps.
func TestSnapshotAgesComputedByReader(t *testing.T) {
	h, _, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	snap := b.d.Snapshot()
	last := snap.Instances[0].Counters.LastAdvert()
	if last.IsZero() {
		t.Fatal("b heard no advert")
	}
	for _, age := range []time.Duration{0, 1500 * time.Millisecond, time.Minute} {
		if got := snap.Status(last.Add(age)).Instances[0].LastAdvertAge; got != age.String() {
			t.Errorf("age at last+%v = %q", age, got)
		}
	}
}

// One spelling per drop reason: the status key is DropReason.String().
func TestStatusDropSpelling(t *testing.T) {
	var c ctl.InstanceCounters
	c.Drop(packet.DropAuthMismatch)
	c.Drop(packet.DropUnicastSrc)
	st := (&ctl.InstanceSnapshot{Counters: &c}).Status(time.Time{})
	if len(st.Drops) != 2 || st.Drops["auth_mismatch"] != 1 || st.Drops["unicast_src"] != 1 {
		t.Errorf("drops %v, want auth_mismatch and unicast_src", st.Drops)
	}
	if st.Dropped(packet.DropAuthMismatch) != 1 || st.Counter(ctl.AdvertsSent) != 0 {
		t.Errorf("typed accessors: %v %v", st.Drops, st.Counters)
	}
}

// Readers on other goroutines (status, scrapes, dumps) race neither the
// loop's publications nor its counter bumps (go test -race).
func TestSnapshotReadersRaceFree(t *testing.T) {
	f := newFakeEnv()
	d, stop := startDaemon(t, load(t, oneInstance), f)
	defer stop()
	waitMaster(t, d, "VI_1")
	done := make(chan struct{})
	go func() {
		defer close(done)
		h := metrics.Handler(d.Snapshot)
		dump := filepath.Join(t.TempDir(), "keepalived.json")
		for range 50 {
			if _, err := d.Status(context.Background()); err != nil {
				t.Error(err)
				return
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/metrics", nil))
			if err := d.WriteDump(context.Background(), DumpJSON, dump); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range 20 {
		if err := d.Reload(context.Background(), load(t, strings.Replace(oneInstance, "priority 100", "priority "+[]string{"100", "110"}[i%2], 1))); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}
