package config

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// parseBool reads keepalived's <BOOL>: on|off|true|false|yes|no.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "on", "true", "yes":
		return true, true
	case "off", "false", "no":
		return false, true
	}
	return false, false
}

func parseInt(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// parseSeconds reads a decimal number of seconds (keepalived's <TIMER>).
func parseSeconds(s string) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "xXpPeEnN_") { // no hex, exponents, inf, nan
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// seconds converts decimal seconds to a Duration at µs resolution, as
// keepalived stores timers.
func seconds(v float64) time.Duration {
	return time.Duration(math.Round(v*1e6)) * time.Microsecond
}

func parseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// parseIPDropLen reads an address the way keepalived 2.2.7's
// inet_stosockaddr does for unicast_src_ip, mcast_src_ip and unicast_peer:
// whatever follows a '-' or '/' ("/24", a range) is dropped on purpose.
// cut is the dropped part ("" if none).
func parseIPDropLen(s string) (a netip.Addr, cut string, ok bool) {
	if i := strings.IndexAny(s, "-/"); i >= 0 {
		s, cut = s[:i], s[i:]
	}
	a, ok = parseIP(s)
	return a, cut, ok
}

// parsePrefix reads ADDR[/LEN]; without a length the prefix is a host route
// (/32 or /128), as keepalived does.
func parsePrefix(s string) (netip.Prefix, bool) {
	if !strings.Contains(s, "/") {
		a, ok := parseIP(s)
		if !ok {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p, true
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// checkArg validates one argument against its spec and returns a message
// (without position) or "".
func checkArg(kwName string, spec ArgSpec, text string) string {
	switch spec.Kind {
	case ArgInt:
		v, ok := parseInt(text)
		if !ok {
			return fmt.Sprintf("%s '%s' is not an integer", kwName, text)
		}
		if float64(v) < spec.Min || float64(v) > spec.Max {
			return fmt.Sprintf("%s '%s' is out of range [%s, %s]", kwName, text, fmtNum(spec.Min), fmtNum(spec.Max))
		}
	case ArgTimer:
		v, ok := parseSeconds(text)
		if !ok {
			return fmt.Sprintf("%s '%s' is not a number of seconds", kwName, text)
		}
		if v < spec.Min || v > spec.Max {
			return fmt.Sprintf("%s '%s' is out of range [%s, %s] seconds", kwName, text, fmtNum(spec.Min), fmtNum(spec.Max))
		}
	case ArgBool:
		if _, ok := parseBool(text); !ok {
			return fmt.Sprintf("%s '%s' is not a boolean (on|off|true|false|yes|no)", kwName, text)
		}
	case ArgIP:
		if _, ok := parseIP(text); !ok {
			return fmt.Sprintf("%s '%s' is not an IP address", kwName, text)
		}
	case ArgPrefix:
		if _, ok := parsePrefix(text); !ok {
			return fmt.Sprintf("%s '%s' is not an IP address or prefix", kwName, text)
		}
	case ArgPort:
		v, ok := parseInt(text)
		lo, hi := spec.Min, spec.Max
		if hi == 0 {
			lo, hi = 0, 65535
		}
		if !ok || float64(v) < lo || float64(v) > hi {
			return fmt.Sprintf("%s '%s' is not a port number [%s, %s]", kwName, text, fmtNum(lo), fmtNum(hi))
		}
	case ArgEnum:
		for _, e := range spec.Enum {
			if e == text {
				return ""
			}
		}
		msg := fmt.Sprintf("%s '%s' is not one of %s", kwName, text, strings.Join(spec.Enum, "|"))
		for _, e := range spec.Enum {
			if strings.EqualFold(e, text) {
				return msg + fmt.Sprintf("; did you mean '%s'?", e)
			}
		}
		return msg
	case ArgPath, ArgString:
		if text == "" {
			return fmt.Sprintf("%s: empty argument", kwName)
		}
	}
	return ""
}
