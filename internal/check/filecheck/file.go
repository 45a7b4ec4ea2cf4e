// Package filecheck implements keepalived's FILE_CHECK on a real server: the
// value of a track_file is read as an integer (strtol-style: leading blanks,
// optional sign, digits; anything else counts as 0).
//
// With weight 0, a non-zero value is a failure and zero is OK. Otherwise the
// value times weight (negated with `reverse`) is the real server's weight
// adjustment, and the checker fails when that result is at or below
// -IPVS_WEIGHT_MAX (keepalived man page, "Track files").
//
// keepalived watches the file with inotify; here the scheduler re-reads it
// every delay_loop, so a change is seen within one period.
package filecheck

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"gokeepalived/internal/check/probe"
)

// Config is a FILE_CHECK block joined with its track_file.
type Config struct {
	// Name is the track_file name; Path its `file`.
	Name string
	Path string
	// Weight and Reverse come from the FILE_CHECK, else from the track_file.
	Weight  int
	Reverse bool
	// Dynamic is `dynamic`.
	Dynamic bool
}

// Checker is a FILE_CHECK.
type Checker struct{ cfg Config }

// New validates cfg.
func New(cfg Config) (*Checker, error) {
	if cfg.Path == "" {
		return nil, errors.New("FILE_CHECK: track_file has no file")
	}
	return &Checker{cfg: cfg}, nil
}

// ParseValue reads the file's integer like strtol(3) with base 10, saturating.
func ParseValue(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	end := 0
	if end < len(s) && (s[end] == '+' || s[end] == '-') {
		end++
	}
	digits := end
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == digits {
		return 0
	}
	v, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil {
		if s[0] == '-' {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return v
}

// Evaluate turns a file value into a Result.
func (c *Checker) Evaluate(v int64) probe.Result {
	if c.cfg.Weight == 0 {
		if v != 0 {
			return probe.Failf("track_file %s: value %d (weight 0: non-zero is down)", c.cfg.Name, v)
		}
		return probe.Okf("track_file %s: value 0", c.cfg.Name)
	}
	w := int64(c.cfg.Weight)
	if c.cfg.Reverse {
		w = -w
	}
	res := mulSat(v, w)
	if res <= -math.MaxInt32 {
		return probe.Failf("track_file %s: value %d x weight %d = %d", c.cfg.Name, v, w, res)
	}
	r := probe.Okf("track_file %s: value %d x weight %d = %d", c.cfg.Name, v, w, res)
	if c.cfg.Dynamic {
		n := int(max(min(res, math.MaxInt32), math.MinInt32))
		r.Weight = &n
	}
	return r
}

func mulSat(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	p := a * b
	if p/b != a {
		if (a < 0) != (b < 0) {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return p
}

// Check reads the file.
func (c *Checker) Check(ctx context.Context) probe.Result {
	b, err := os.ReadFile(c.cfg.Path)
	if err != nil {
		// keepalived treats an unreadable file as value 0.
		r := c.Evaluate(0)
		r.Reason = fmt.Sprintf("%s (read %s: %s)", r.Reason, c.cfg.Path, errors.Unwrap(err))
		return r
	}
	return c.Evaluate(ParseValue(string(b)))
}
