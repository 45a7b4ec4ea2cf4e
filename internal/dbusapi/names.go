// Package dbusapi serves keepalived 2.2.7's DBus interface (enable_dbus):
// the service org.keepalived.Vrrp1 (or dbus_service_name) on the system
// bus, a Vrrp object with the methods PrintData, PrintStats,
// PrintStatsClear and ReloadConfig and the signals VrrpStarted,
// VrrpReloaded and VrrpStopped, and one Instance object per VRRP
// instance with the properties Name and State, the method SendGarp and
// the signal VrrpStatusChange. Names, paths, signatures and values are
// keepalived's, so tools written for keepalived read gokeepalived
// unchanged.
//
// This file is the pure part: names, object paths, state codes and
// introspection data. service.go talks to the bus.
package dbusapi

import (
	"fmt"
	"sort"
	"strings"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
)

// Names keepalived uses.
const (
	DefaultServiceName = "org.keepalived.Vrrp1"
	VrrpInterface      = "org.keepalived.Vrrp1.Vrrp"
	InstanceInterface  = "org.keepalived.Vrrp1.Instance"
	objectRoot         = "/org/keepalived/Vrrp1"
)

// Paths builds object paths the way keepalived does: the root, then the
// network namespace and the instance name (global `instance`) when set.
type Paths struct {
	Namespace    string
	InstanceName string
}

func (p Paths) prefix() string {
	s := objectRoot
	if p.Namespace != "" {
		s += "/" + p.Namespace
	}
	if p.InstanceName != "" {
		s += "/" + p.InstanceName
	}
	return s
}

// Vrrp is the path of the Vrrp object.
func (p Paths) Vrrp() string { return p.prefix() + "/Vrrp" }

// Instance is the path of the object of the instance on interface ifname
// with vrid and family: .../Instance/<ifname>/<vrid>/IPv4|IPv6, with
// every character of ifname that is not a letter or digit replaced by
// '_' (DBus paths allow no other).
func (p Paths) Instance(ifname string, vrid int, ipv6 bool) string {
	if ifname == "" {
		ifname = "none" // keepalived's name for an instance without interface
	}
	return fmt.Sprintf("%s/Instance/%s/%d/%s", p.prefix(), pathElement(ifname), vrid, familyName(ipv6))
}

// pathElement replaces what a DBus object path element cannot hold.
func pathElement(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

func familyName(ipv6 bool) string {
	if ipv6 {
		return "IPv6"
	}
	return "IPv4"
}

// State codes keepalived sends in VrrpStatusChange and the State property
// (VRRP_STATE_* in keepalived's vrrp.h).
const (
	codeInit   uint32 = 0
	codeBackup uint32 = 1
	codeMaster uint32 = 2
	codeFault  uint32 = 3
	codeStop   uint32 = 98
)

// StateCode is keepalived's number and name for s.
func StateCode(s vrrp.State) (uint32, string) {
	switch s {
	case vrrp.StateBackup:
		return codeBackup, "Backup"
	case vrrp.StateMaster:
		return codeMaster, "Master"
	case vrrp.StateFault:
		return codeFault, "Fault"
	case vrrp.StateStop:
		return codeStop, "Stop"
	default:
		return codeInit, "Init"
	}
}

// object is one Instance object: where it is and which instance it shows.
type object struct {
	path string
	name string
}

// objects are the Instance objects for the snapshot's instances, sorted
// by path. Two instances cannot share a path: VRIDs are unique per
// interface and family.
func objects(p Paths, snap *ctl.Snapshot) []object {
	if snap == nil {
		return nil
	}
	out := make([]object, 0, len(snap.Instances))
	for _, in := range snap.Instances {
		out = append(out, object{path: p.Instance(in.Interface, in.VRID, in.IPv6), name: in.Name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// lookup finds the instance an Instance object path shows.
func lookup(p Paths, snap *ctl.Snapshot, path string) *ctl.InstanceSnapshot {
	if snap == nil {
		return nil
	}
	for _, in := range snap.Instances {
		if p.Instance(in.Interface, in.VRID, in.IPv6) == path {
			return in
		}
	}
	return nil
}

// notFound is keepalived's error text for a path without an instance:
// "Instance 'eth0/51/IPv4' not found".
func notFound(p Paths, path string) string {
	rest := strings.TrimPrefix(path, p.prefix()+"/Instance/")
	return fmt.Sprintf("Instance '%s' not found", rest)
}

// Introspection data, as keepalived's XML files describe the interfaces.
const (
	introspectHeader = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
`
	standardInterfaces = ` <interface name="org.freedesktop.DBus.Introspectable">
  <method name="Introspect"><arg name="xml_data" type="s" direction="out"/></method>
 </interface>
 <interface name="org.freedesktop.DBus.Peer">
  <method name="Ping"/>
  <method name="GetMachineId"><arg name="machine_uuid" type="s" direction="out"/></method>
 </interface>
 <interface name="org.freedesktop.DBus.Properties">
  <method name="Get"><arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/><arg name="value" type="v" direction="out"/></method>
  <method name="GetAll"><arg name="interface_name" type="s" direction="in"/><arg name="properties" type="a{sv}" direction="out"/></method>
  <method name="Set"><arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/><arg name="value" type="v" direction="in"/></method>
  <signal name="PropertiesChanged"><arg type="s" name="interface_name"/><arg type="a{sv}" name="changed_properties"/><arg type="as" name="invalidated_properties"/></signal>
 </interface>
`
	vrrpInterfaceXML = ` <interface name="org.keepalived.Vrrp1.Vrrp">
  <method name="PrintData"/>
  <method name="PrintStats"/>
  <method name="PrintStatsClear"/>
  <method name="ReloadConfig"/>
  <signal name="VrrpStarted"/>
  <signal name="VrrpReloaded"/>
  <signal name="VrrpStopped"/>
 </interface>
`
	instanceInterfaceXML = ` <interface name="org.keepalived.Vrrp1.Instance">
  <method name="SendGarp"/>
  <signal name="VrrpStatusChange"><arg type="u" name="status"/></signal>
  <property type="s" name="Name" access="read"/>
  <property type="(us)" name="State" access="read"/>
 </interface>
`
)

func introspectVrrp() string {
	return introspectHeader + standardInterfaces + vrrpInterfaceXML + "</node>\n"
}

func introspectInstance() string {
	return introspectHeader + standardInterfaces + instanceInterfaceXML + "</node>\n"
}
