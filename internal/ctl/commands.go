package ctl

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Commands beyond status and reload.
const (
	// CmdMaintenance puts instances in maintenance (Request.On) or takes
	// them out: Request.Instances, or every instance with Request.All.
	CmdMaintenance = "maintenance"
	// CmdFailover makes the MASTER Request.Instances[0] hand over once.
	CmdFailover = "failover"
)

// ReloadSummary is what a reload changed, instance by instance.
type ReloadSummary struct {
	// Kept run on without a restart (changes applied in place included).
	Kept []string `json:"kept"`
	// ChangedInPlace are the kept instances whose configuration changed,
	// with what changed (priority, vips, routes, tracking, notify, ...).
	ChangedInPlace []InPlaceChange `json:"changed_in_place,omitempty"`
	// Restarted were stopped and started again, each with why.
	Restarted []Restart `json:"restarted"`
	Added     []string  `json:"added"`
	Removed   []string  `json:"removed"`
	// Priorities are the instances whose configured priority changed.
	Priorities []PriorityChange `json:"priorities"`
}

// Restart is one instance a reload restarted.
type Restart struct {
	Instance string `json:"instance"`
	Reason   string `json:"reason"`
}

// InPlaceChange is one kept instance whose configuration a reload changed
// without restarting it.
type InPlaceChange struct {
	Instance string   `json:"instance"`
	What     []string `json:"what"`
}

// PriorityChange is one instance's configured priority before and after.
type PriorityChange struct {
	Instance string `json:"instance"`
	From     int    `json:"from"`
	To       int    `json:"to"`
	// InPlace is true when the instance took it without a restart.
	InPlace bool `json:"in_place"`
}

// Write prints the summary for a human, one line per change.
func (s *ReloadSummary) Write(w io.Writer) {
	fmt.Fprintln(w, "configuration reloaded")
	list := func(what string, names []string) {
		if len(names) > 0 {
			fmt.Fprintf(w, "%s: %s\n", what, strings.Join(names, ", "))
		}
	}
	list("kept", s.Kept)
	for _, c := range s.ChangedInPlace {
		fmt.Fprintf(w, "changed in place: %s (%s)\n", c.Instance, strings.Join(c.What, ", "))
	}
	for _, r := range s.Restarted {
		fmt.Fprintf(w, "restarted: %s (%s)\n", r.Instance, r.Reason)
	}
	list("added", s.Added)
	list("removed", s.Removed)
	for _, p := range s.Priorities {
		how := "restarted"
		if p.InPlace {
			how = "in place"
		}
		fmt.Fprintf(w, "priority: %s %d -> %d (%s)\n", p.Instance, p.From, p.To, how)
	}
}

// Maintenance is the answer to maintenance and failover: the instances the
// command changed, and every instance in maintenance afterwards.
type Maintenance struct {
	Changed       []string `json:"changed"`
	InMaintenance []string `json:"in_maintenance"`
}

// Filter keeps the instances named (all of them when names is empty). A
// name no instance has is an error naming the ones that exist.
func (s *Status) Filter(names []string) (*Status, error) {
	if len(names) == 0 {
		return s, nil
	}
	if err := CheckInstances(names, s.InstanceNames()); err != nil {
		return nil, err
	}
	out := *s
	out.Instances = nil
	for _, in := range s.Instances {
		if slices.Contains(names, in.Name) {
			out.Instances = append(out.Instances, in)
		}
	}
	return &out, nil
}

// InstanceNames are the names of the status's instances.
func (s *Status) InstanceNames() []string {
	names := make([]string, len(s.Instances))
	for i, in := range s.Instances {
		names[i] = in.Name
	}
	return names
}

// CheckInstances reports the names that are not in known, with the
// instances that exist.
func CheckInstances(names, known []string) error {
	var unknown []string
	for _, n := range names {
		if !slices.Contains(known, n) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	have := "none"
	if len(known) > 0 {
		have = strings.Join(known, ", ")
	}
	return fmt.Errorf("no vrrp_instance %s (instances: %s)", strings.Join(unknown, ", "), have)
}
