package config

import (
	"fmt"
	"reflect"
)

// Reload is a diff (STYLE rule 14).

// Change lists what a reload changes in one kind of object, by name.
type Change struct {
	Added, Removed, Changed []string
}

// Empty reports whether nothing changed.
func (c Change) Empty() bool { return len(c.Added)+len(c.Removed)+len(c.Changed) == 0 }

// ConfigDiff is what a reload must do. Unchanged instances keep their state
// and timers.
type ConfigDiff struct {
	Instances      Change // by vrrp_instance name
	SyncGroups     Change
	Scripts        Change // vrrp_script
	VirtualServers Change // by VirtualServer.Name()
	RealServers    Change // "VS -> IP:PORT", for virtual servers present in both
	GlobalChanged  bool
}

// Diff compares two models. Positions are ignored: moving a block in the
// file is not a change.
func Diff(old, new *Config) ConfigDiff {
	var d ConfigDiff
	d.Instances = diffByName(old.Instances, new.Instances, func(v *Instance) string { return v.Name })
	d.SyncGroups = diffByName(old.SyncGroups, new.SyncGroups, func(v *SyncGroup) string { return v.Name })
	d.Scripts = diffByName(old.Scripts, new.Scripts, func(v *Script) string { return v.Name })
	// A virtual server is changed by its own settings; its real servers
	// are diffed separately.
	d.VirtualServers = diffByName(withoutRS(old.VirtualServers), withoutRS(new.VirtualServers), (*VirtualServer).Name)
	oldVS := map[string]*VirtualServer{}
	for _, vs := range old.VirtualServers {
		oldVS[vs.Name()] = vs
	}
	for _, nvs := range new.VirtualServers {
		ovs, ok := oldVS[nvs.Name()]
		if !ok {
			continue
		}
		key := func(rs *RealServer) string { return nvs.Name() + " -> " + fmt.Sprintf("%s:%d", rs.Addr, rs.Port) }
		c := diffByName(ovs.RealServers, nvs.RealServers, key)
		d.RealServers.Added = append(d.RealServers.Added, c.Added...)
		d.RealServers.Removed = append(d.RealServers.Removed, c.Removed...)
		d.RealServers.Changed = append(d.RealServers.Changed, c.Changed...)
	}
	d.GlobalChanged = !equalIgnoringPos(old.Global, new.Global)
	return d
}

func diffByName[T any](old, new []T, name func(T) string) Change {
	var c Change
	om := map[string]T{}
	for _, o := range old {
		om[name(o)] = o
	}
	nm := map[string]bool{}
	for _, n := range new {
		k := name(n)
		nm[k] = true
		o, ok := om[k]
		switch {
		case !ok:
			c.Added = append(c.Added, k)
		case !equalIgnoringPos(o, n):
			c.Changed = append(c.Changed, k)
		}
	}
	for _, o := range old {
		if k := name(o); !nm[k] {
			c.Removed = append(c.Removed, k)
		}
	}
	return c
}

var posType = reflect.TypeOf(Pos{})

// equalIgnoringPos compares two model values deeply, skipping every Pos.
func equalIgnoringPos(a, b any) bool {
	return eqValue(reflect.ValueOf(a), reflect.ValueOf(b))
}

func eqValue(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == posType {
		return true
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return eqValue(a.Elem(), b.Elem())
	case reflect.Struct:
		if a.Type().PkgPath() != "" && a.Type().PkgPath() != posType.PkgPath() && a.Type().PkgPath() != reflect.TypeOf(Config{}).PkgPath() {
			// Foreign structs (netip.Addr, netip.Prefix) compare as values.
			return a.Interface() == b.Interface()
		}
		for i := 0; i < a.NumField(); i++ {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if !eqValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !eqValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !eqValue(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	default:
		return a.Interface() == b.Interface()
	}
}

func withoutRS(list []*VirtualServer) []*VirtualServer {
	out := make([]*VirtualServer, len(list))
	for i, vs := range list {
		c := *vs
		c.RealServers = nil
		out[i] = &c
	}
	return out
}
