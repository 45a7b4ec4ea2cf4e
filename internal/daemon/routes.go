package daemon

import (
	"gokeepalived/internal/config"
	"gokeepalived/internal/linux/addr"
)

// kernelRoutes maps an instance's virtual_routes and virtual_rules, which
// package config has parsed and checked, to kernel objects field by field.
// It cannot fail; the error result keeps its callers' shape.
func kernelRoutes(c *config.Instance) ([]addr.Route, []addr.Rule, error) {
	var routes []addr.Route
	for _, r := range c.Routes {
		routes = append(routes, addr.Route{
			Type: addr.RouteType(r.Type), Dst: r.Dst, Via: r.Via, Src: r.Src, Dev: r.Dev,
			Table: r.Table, Metric: r.Metric, Scope: addr.Scope(r.Scope),
		})
	}
	var rules []addr.Rule
	for _, r := range c.Rules {
		rules = append(rules, addr.Rule{From: r.From, To: r.To, Table: r.Table, Priority: r.Priority,
			FWMark: r.FWMark, FWMask: r.FWMask, IPv6: r.IPv6})
	}
	return routes, rules, nil
}
