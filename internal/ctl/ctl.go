// Package ctl is the control-socket protocol between the gokeepalived daemon
// and gokeepalivedctl: one JSON request and one JSON response per connection
// over a root-only unix socket. The server only translates: it hands each
// request to a handler and writes back its answer.
//
// It also holds the status types every presentation reads: the Snapshot the
// daemon's loop publishes (snapshot.go), the typed instance counters
// (Counter, InstanceCounters in counters.go), and Status, the JSON answer
// rendered from a Snapshot.
package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Commands understood by the daemon.
const (
	CmdStatus = "status"
	CmdReload = "reload"
)

// Request is what a client sends.
type Request struct {
	Cmd string `json:"cmd"`
	// AllowEmpty lets a reload through that would stop every VRRP
	// instance and virtual server (gokeepalivedctl reload --allow-empty).
	AllowEmpty bool `json:"allow_empty,omitempty"`
	// Instances restricts status, and names the instances of maintenance
	// and failover.
	Instances []string `json:"instances,omitempty"`
	// All is maintenance for every instance; On turns maintenance on.
	All bool `json:"all,omitempty"`
	On  bool `json:"on,omitempty"`
}

// Response is what the daemon answers. Error is set when the command failed.
type Response struct {
	Error  string  `json:"error,omitempty"`
	Status *Status `json:"status,omitempty"`
	// Message is a human sentence for commands such as reload.
	Message string `json:"message,omitempty"`
	// Reload is what a reload changed.
	Reload *ReloadSummary `json:"reload,omitempty"`
	// Maintenance answers maintenance and failover.
	Maintenance *Maintenance `json:"maintenance,omitempty"`
}

// Status is the daemon's snapshot.
type Status struct {
	PID        int              `json:"pid"`
	ConfigFile string           `json:"config_file"`
	StartedAt  time.Time        `json:"started_at"`
	ReloadedAt time.Time        `json:"reloaded_at,omitzero"`
	Instances  []InstanceStatus `json:"instances"`
	// Notify counts notify script runs and failures, FIFO lines and mails
	// (script_runs, script_failures, script_timeouts, script_refused,
	// fifo_lines, fifo_errors, mails_sent, mail_failures, ...).
	Notify map[string]uint64 `json:"notify,omitempty"`
	// VirtualServers are the health-checker/load-balancer side (virtual_server blocks).
	VirtualServers []VirtualServerStatus `json:"virtual_servers,omitempty"`
	// Sockets are the shared VRRP sockets with the drops counted before an
	// instance could be named (SocketCounter).
	Sockets []SocketStatus `json:"sockets,omitempty"`
	// BFD is the bfd_instance sessions (absent without them).
	BFD *BFDStatus `json:"bfd,omitempty"`
	// BGP is the embedded BGP speaker (the bgp block), if configured.
	BGP *BGPStatus `json:"bgp,omitempty"`
}

// InstanceStatus describes one vrrp_instance.
type InstanceStatus struct {
	Name      string `json:"name"`
	Interface string `json:"interface"`
	VRID      int    `json:"vrid"`
	Family    string `json:"family"` // "ipv4" or "ipv6"
	Version   int    `json:"version"`
	State     string `json:"state"`
	// Maintenance is set while gokeepalivedctl maintenance holds the
	// instance out (State is then MAINTENANCE, or FAULT).
	Maintenance       bool     `json:"maintenance,omitempty"`
	BasePriority      int      `json:"base_priority"`
	EffectivePriority int      `json:"effective_priority"`
	AdvertInterval    string   `json:"advert_interval"`
	VIPs              []string `json:"vips"`
	VIPsHeld          bool     `json:"vips_held"`
	// Master is the address of the current master as last seen (ours when MASTER).
	Master         string    `json:"master,omitempty"`
	MasterPriority int       `json:"master_priority,omitempty"`
	LastAdvert     time.Time `json:"last_advert,omitzero"`
	LastAdvertAge  string    `json:"last_advert_age,omitempty"`
	// LastTransition is the most recent state change with its reason.
	LastTransition *Transition `json:"last_transition,omitempty"`
	// Counters holds every Counter by its name, zero included (read one
	// with the Counter method); Drops the non-zero drops by
	// packet.DropReason name (the Dropped method).
	Counters map[string]uint64 `json:"counters"`
	Drops    map[string]uint64 `json:"drops,omitempty"`
	Warnings []string          `json:"warnings,omitempty"`
	// HeardDropped is the last advert of another router this instance
	// heard and dropped, with the cause (see ctl.HeardDropped).
	HeardDropped *HeardDroppedStatus `json:"heard_dropped,omitempty"`
	Trackers     []TrackerStatus     `json:"trackers,omitempty"`
	Extra        map[string]string   `json:"extra,omitempty"`
}

// HeardDroppedStatus is an InstanceStatus's HeardDropped.
type HeardDroppedStatus struct {
	From   string    `json:"from"`
	Reason string    `json:"reason"` // the drops_total reason label
	VRID   int       `json:"vrid"`
	Detail string    `json:"detail,omitempty"`
	Text   string    `json:"text"`
	Last   time.Time `json:"last"`
	Age    string    `json:"age"`
}

// Transition is one state change.
type Transition struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// TrackerStatus is the current result of one tracked object.
type TrackerStatus struct {
	Kind       string    `json:"kind"` // script, interface, file, process
	Name       string    `json:"name"`
	OK         bool      `json:"ok"`
	Weight     int       `json:"weight"`
	Reason     string    `json:"reason,omitempty"`
	LastChange time.Time `json:"last_change,omitzero"`
	// Runs and Failures count a vrrp_script's executions and the failed
	// ones (non-zero exit, timeout, missing, refused as insecure).
	Runs     uint64 `json:"runs,omitempty"`
	Failures uint64 `json:"failures,omitempty"`
}

// Handler answers one request. It runs on the daemon's side.
type Handler func(ctx context.Context, req Request) Response

// Listen creates the control socket at path: its directory mode 0700 and the
// socket 0600, so only root (the daemon's user) can talk to it. A stale
// socket file from an earlier run is replaced.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket directory: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s is in use by another daemon", path)
	}
	_ = os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return l, nil
}

// Call sends one request to the daemon at path and returns its response.
func Call(ctx context.Context, path string, req Request) (Response, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return Response{}, fmt.Errorf("cannot reach gokeepalived at %s: %w (is the daemon running? are you root?)", path, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return Response{}, err
	}
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return Response{}, fmt.Errorf("reading answer from %s: %w", path, err)
	}
	if resp.Error != "" {
		return resp, errors.New(resp.Error)
	}
	return resp, nil
}
