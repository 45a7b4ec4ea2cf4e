package snmp

import (
	"testing"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/snmp/agentx"
	"gokeepalived/internal/vrrp"
)

// Search ranges: End bounds GetNext (exclusive), Include makes Start
// itself eligible, and GetBulk repeats each repeater from where it got
// to, then stops once every repeater has reached the end of the view.
func TestViewRanges(t *testing.T) {
	set := testSettings()
	v := buildView(fixed(), &set, &Options{VRRP: true})
	name := InstanceEntryOID.Append(colName, 1)
	if got := v.next(agentx.SearchRange{Start: name, Include: true}); got.Name.Compare(name) != 0 {
		t.Errorf("include: got %s", got.Name)
	}
	if got := v.next(agentx.SearchRange{Start: name}); got.Name.Compare(InstanceEntryOID.Append(colName, 2)) != 0 {
		t.Errorf("next: got %s", got.Name)
	}
	end := InstanceEntryOID.Append(colName, 2)
	if got := v.next(agentx.SearchRange{Start: name, End: end}); got.Type != agentx.EndOfMibView || got.Name.Compare(name) != 0 {
		t.Errorf("bounded next: got %v %s, want endOfMibView at the start", got.Type, got.Name)
	}
	last := InstanceEntryOID.Append(colVrrpVersion, 2)
	out := v.bulk(1, 3, []agentx.SearchRange{{Start: GlobalOID}, {Start: InstanceEntryOID.Append(colVrrpVersion)}})
	if len(out) != 4 || out[0].Name.Compare(GlobalOID.Append(1, 0)) != 0 || out[2].Name.Compare(last) != 0 || out[3].Type != agentx.EndOfMibView {
		t.Errorf("bulk: %v", out)
	}
	// A stopped instance is unknown(4) in the table, shutdown(5) in a notification.
	if snmpState(vrrp.StateStop, false) != 4 || snmpState(vrrp.StateStop, true) != 5 || snmpState(vrrp.StateFault, false) != 3 {
		t.Error("state codes")
	}
}

// The view is reused while the published snapshot and the settings stay
// the same, and rebuilt when either changes.
func TestViewCache(t *testing.T) {
	snap := fixed()
	cur := snap
	a := New(Options{VRRP: true, Snapshot: func() *ctl.Snapshot { return cur }}, testSettings())
	v1 := a.view()
	if v2 := a.view(); &v2[0] != &v1[0] {
		t.Error("same snapshot: view rebuilt")
	}
	next := *snap
	next.Instances = append([]*ctl.InstanceSnapshot(nil), snap.Instances...)
	changed := *next.Instances[1]
	changed.State = vrrp.StateMaster
	next.Instances[1] = &changed
	cur = &next
	v3 := a.view()
	if v3.get(InstanceEntryOID.Append(colState, 2), nil).Int != 2 {
		t.Error("new snapshot: stale view")
	}
	a.SetSettings(Settings{Version: "v2"})
	if v4 := a.view(); string(v4[0].Bytes) != "v2" {
		t.Errorf("new settings: stale view %q", v4[0].Bytes)
	}
}

// Sync groups: vrrpSyncGroupTable and vrrpSyncGroupMemberTable in
// configuration order, vrrpInstanceSyncGroup on each member.
func TestViewSyncGroups(t *testing.T) {
	snap := fixed()
	sg := *snap
	sg.Instances = append([]*ctl.InstanceSnapshot(nil), snap.Instances...)
	member := *sg.Instances[0]
	member.SyncGroup = "SG_B"
	sg.Instances[0] = &member
	sg.SyncGroups = []ctl.SyncGroupSnapshot{
		{Name: "SG_B", State: vrrp.StateMaster, Members: []string{member.Name}},
		{Name: "SG_A", State: vrrp.StateStop},
	}
	set := testSettings()
	set.SyncGroups = map[string]SyncGroupSettings{"SG_B": {NotifyExec: true, Master: "'/usr/bin/true'"}}
	v := buildView(&sg, &set, &Options{VRRP: true})
	for _, c := range []struct {
		oid  agentx.OID
		want string
	}{
		{SyncGroupEntryOID.Append(sgColName, 1), "SG_B"},
		{SyncGroupEntryOID.Append(sgColName, 2), "SG_A"},
		{SyncGroupEntryOID.Append(sgColScriptMaster, 1), "'/usr/bin/true'"},
		{SyncGroupMemberEntryOID.Append(sgMemberColName, 1, 1), member.Name},
		{InstanceEntryOID.Append(colSyncGroup, 1), "SG_B"},
	} {
		if got := v.get(c.oid, nil); string(got.Bytes) != c.want {
			t.Errorf("%s = %q, want %q", c.oid, got.Bytes, c.want)
		}
	}
	for _, c := range []struct {
		oid  agentx.OID
		want uint64
	}{
		{SyncGroupEntryOID.Append(sgColState, 1), 2},
		{SyncGroupEntryOID.Append(sgColState, 2), 4}, // stopped: unknown in the table
		{SyncGroupEntryOID.Append(sgColNotifyExec, 1), 1},
		{SyncGroupEntryOID.Append(sgColSMTPAlert, 1), 2},
	} {
		if got := v.get(c.oid, nil); got.Int != c.want {
			t.Errorf("%s = %d, want %d", c.oid, got.Int, c.want)
		}
	}
	if got := v.get(InstanceEntryOID.Append(colSyncGroup, 2), []agentx.OID{VRRPOID}); got.Type != agentx.NoSuchInstance {
		t.Errorf("an instance outside any group shows vrrpInstanceSyncGroup: %v", got)
	}
}
