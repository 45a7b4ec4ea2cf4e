package daemon

import (
	"fmt"
	"net/netip"
	"strconv"

	"gokeepalived/internal/config"
	"gokeepalived/internal/linux/addr"
)

// kernelRoutes maps virtual_routes and virtual_rules lines (ip route / ip
// rule syntax) to kernel objects. Only the forms the adapter supports are
// accepted; anything else is an error naming the line, never ignored.
func kernelRoutes(c *config.Instance) ([]addr.Route, []addr.Rule, error) {
	var routes []addr.Route
	for _, r := range c.Routes {
		rt, err := parseRoute(r.Words, c.Interface)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: virtual_routes: %w", r.Pos, err)
		}
		routes = append(routes, rt)
	}
	var rules []addr.Rule
	for _, r := range c.Rules {
		ru, err := parseRule(r.Words)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: virtual_rules: %w", r.Pos, err)
		}
		rules = append(rules, ru)
	}
	return routes, rules, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if s == "default" {
		return netip.Prefix{}, fmt.Errorf("use 0.0.0.0/0 or ::/0 instead of %q", s)
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad destination %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func parseRoute(w []string, dev string) (addr.Route, error) {
	r := addr.Route{Dev: dev}
	i := 0
	if len(w) > 0 && (w[0] == "blackhole" || w[0] == "unreachable" || w[0] == "prohibit") {
		r.Type = map[string]addr.RouteType{"blackhole": addr.Blackhole, "unreachable": addr.Unreachable, "prohibit": addr.Prohibit}[w[0]]
		r.Dev = ""
		i = 1
	}
	if i >= len(w) {
		return r, fmt.Errorf("missing destination")
	}
	p, err := parsePrefix(w[i])
	if err != nil {
		return r, err
	}
	r.Dst = p
	err = eachOption(w[i+1:], func(key, val string) error {
		switch key {
		case "via", "gw":
			a, err := netip.ParseAddr(val)
			if err != nil {
				return fmt.Errorf("bad gateway %q", val)
			}
			r.Via = a
		case "src":
			a, err := netip.ParseAddr(val)
			if err != nil {
				return fmt.Errorf("bad source %q", val)
			}
			r.Src = a
		case "dev", "oif":
			r.Dev = val
		case "table":
			n, err := parseTable(val)
			if err != nil {
				return err
			}
			r.Table = n
		case "metric", "preference":
			n, err := strconv.Atoi(val)
			if err != nil {
				return fmt.Errorf("bad metric %q", val)
			}
			r.Metric = n
		case "scope":
			s, err := addr.ParseScope(val)
			if err != nil {
				return err
			}
			r.Scope = s
		default:
			return fmt.Errorf("route option %q is not supported yet (via, src, dev, table, metric, scope are)", key)
		}
		return nil
	})
	return r, err
}

func parseRule(w []string) (addr.Rule, error) {
	var r addr.Rule
	err := eachOption(w, func(key, val string) error {
		switch key {
		case "from", "to":
			p, err := parsePrefix(val)
			if err != nil {
				return err
			}
			if key == "from" {
				r.From = p
			} else {
				r.To = p
			}
		case "table", "lookup":
			n, err := parseTable(val)
			if err != nil {
				return err
			}
			r.Table = n
		case "priority", "pref", "preference":
			n, err := strconv.Atoi(val)
			if err != nil {
				return fmt.Errorf("bad priority %q", val)
			}
			r.Priority = n
		default:
			return fmt.Errorf("rule selector %q is not supported yet (from, to, table, priority are)", key)
		}
		return nil
	})
	return r, err
}

// eachOption calls fn with each "key value" pair of w, skipping the
// valueless no_track flag, and stops at the first error.
func eachOption(w []string, fn func(key, val string) error) error {
	for i := 0; i < len(w); i++ {
		key := w[i]
		if key == "no_track" {
			continue
		}
		if i+1 >= len(w) {
			return fmt.Errorf("%q needs a value", key)
		}
		if err := fn(key, w[i+1]); err != nil {
			return err
		}
		i++
	}
	return nil
}

func parseTable(val string) (int, error) {
	n, err := strconv.Atoi(val)
	if err != nil {
		return 0, fmt.Errorf("table %q: only numeric tables are supported", val)
	}
	return n, nil
}
