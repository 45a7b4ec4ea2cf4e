package httpget

import (
	"fmt"
	"strconv"
	"strings"
)

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

// StatusSet is the value of status_code: a list of codes and ranges, e.g.
// "200-299 400-499 503". The zero value means keepalived's default 200-299.
type StatusSet []StatusRange

// DefaultStatus is keepalived's status_code default.
var defaultStatus = StatusSet{{200, 299}}

// ParseStatusCodes parses the arguments of status_code. Each field is N or
// A-B with 100 <= N <= 599, like keepalived's check_http.c.
func ParseStatusCodes(fields []string) (StatusSet, error) {
	var s StatusSet
	for _, f := range fields {
		lo, hi, isRange := strings.Cut(f, "-")
		a, err := parseCode(lo)
		if err != nil {
			return nil, fmt.Errorf("status_code %q: %w", f, err)
		}
		b := a
		if isRange {
			if b, err = parseCode(hi); err != nil {
				return nil, fmt.Errorf("status_code %q: %w", f, err)
			}
			if b < a {
				return nil, fmt.Errorf("status_code %q: range end below start", f)
			}
		}
		s = append(s, StatusRange{a, b})
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("status_code: no value")
	}
	return s, nil
}

func parseCode(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("not a number")
	}
	if n < 100 || n > 599 {
		return 0, fmt.Errorf("%d outside 100-599", n)
	}
	return n, nil
}

func (s StatusSet) effective() StatusSet {
	if len(s) == 0 {
		return defaultStatus
	}
	return s
}

// Contains reports whether code is accepted (empty set = 200-299).
func (s StatusSet) Contains(code int) bool {
	for _, r := range s.effective() {
		if code >= r.Lo && code <= r.Hi {
			return true
		}
	}
	return false
}

// String renders the set as written in keepalived.conf: "200-299 503".
func (s StatusSet) String() string {
	var b strings.Builder
	for i, r := range s.effective() {
		if i > 0 {
			b.WriteByte(' ')
		}
		if r.Lo == r.Hi {
			b.WriteString(strconv.Itoa(r.Lo))
		} else {
			fmt.Fprintf(&b, "%d-%d", r.Lo, r.Hi)
		}
	}
	return b.String()
}
