// Package regexcompat runs keepalived's HTTP_GET/SSL_GET `regex` (PCRE2 in
// keepalived 2.2.7) on github.com/dlclark/regexp2, a backtracking engine
// with PCRE's look-arounds, back-references, atomic groups and `$`
// semantics. Where the two differ, Check names the construct and why, so
// that the configuration is refused at the pattern's position instead of
// matching differently at run time.
//
// The subject is the response body as bytes: without the `utf` option each
// byte is one character (PCRE2's default, non-UTF mode), so offsets are
// byte offsets; with `utf` the body is decoded as UTF-8 and offsets are
// still reported in bytes.
package regexcompat

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// options maps keepalived's regex_options names (check_http.c) to what
// they do here.
var options = map[string]struct {
	flag regexp2.RegexOptions
	utf  bool
	// noEffect: PCRE2 optimisation or policy switches that change no match
	// here; refused: why the option is refused.
	noEffect, refused string
}{
	"caseless":            {flag: regexp2.IgnoreCase},
	"multiline":           {flag: regexp2.Multiline},
	"dotall":              {flag: regexp2.Singleline},
	"extended":            {flag: regexp2.IgnorePatternWhitespace},
	"no_auto_capture":     {flag: regexp2.ExplicitCapture},
	"utf":                 {utf: true},
	"never_ucp":           {noEffect: "no effect: Unicode properties for \\w, \\d, \\s are never used here"},
	"never_utf":           {noEffect: "no effect: UTF-8 is used only with the utf option"},
	"no_auto_possess":     {noEffect: "no effect: a PCRE2 optimisation switch that changes no match"},
	"no_dotstar_anchor":   {noEffect: "no effect: a PCRE2 optimisation switch that changes no match"},
	"no_start_optimize":   {noEffect: "no effect: a PCRE2 optimisation switch that changes no match (callouts and verbs are refused)"},
	"never_backslash_c":   {noEffect: "no effect: \\C is refused anyway"},
	"alt_verbnames":       {noEffect: "no effect: backtracking verbs are refused anyway"},
	"use_offset_limit":    {noEffect: "no effect: keepalived sets no offset limit"},
	"ungreedy":            {refused: "regexp2 has no ungreedy mode: write lazy quantifiers (*?, +?) instead"},
	"dollar_endonly":      {refused: "regexp2 has no dollar_endonly mode: write \\z instead of $"},
	"firstline":           {refused: "regexp2 cannot restrict a match to the first line: anchor the pattern with ^ and [^\\n]*"},
	"allow_empty_class":   {refused: "regexp2 reads [] differently: write (?!) for a class that matches nothing"},
	"alt_bsux":            {refused: "regexp2 reads \\u, \\U and \\x as .NET does, not as ECMAScript/PCRE2 alt_bsux"},
	"auto_callout":        {refused: "callouts do not exist in regexp2"},
	"dupnames":            {refused: "regexp2 gives duplicate group names different semantics"},
	"match_unset_backref": {refused: "regexp2 never matches an unset back-reference"},
	"ucp":                 {refused: "regexp2 has no PCRE2 ucp switch (Unicode \\w, \\d, \\s and \\b)"},
	"alt_circumflex":      {refused: "regexp2 has no alt_circumflex mode"},
}

// Option reports whether regex_options name takes effect (use), or is
// known but does nothing here (why starts with "no effect"), or is refused
// (why says why); unknown names have use false and why "".
func Option(name string) (use bool, why string) {
	o, ok := options[name]
	switch {
	case !ok:
		return false, ""
	case o.refused != "":
		return false, o.refused
	case o.noEffect != "":
		return false, o.noEffect
	}
	return true, ""
}

// Check finds the first construct of a PCRE2 pattern that regexp2 cannot
// express or reads differently: its byte index in the pattern and why.
// It also compiles the pattern (index 0 for a syntax error).
func Check(pattern string) (int, string) {
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		rest := pattern[i:]
		switch {
		case c == '\\' && i+1 < len(pattern):
			e := pattern[i+1]
			switch e {
			case 'K':
				return i, "\\K (reset match start) does not exist in regexp2"
			case 'R', 'h', 'H', 'v', 'V', 'X', 'C', 'N':
				return i, fmt.Sprintf("\\%c is a PCRE2 escape that regexp2 lacks or reads differently (\\v is a vertical tab there)", e)
			case 'g':
				return i, "\\g back-references/subroutines: write \\1 or \\k<name>"
			case 'Q', 'E':
				return i, "\\Q...\\E quoting does not exist in regexp2: escape each character"
			case 'o':
				return i, "\\o{...} octal does not exist in regexp2"
			case 'x':
				if i+2 < len(pattern) && pattern[i+2] == '{' {
					return i, "\\x{...} does not exist in regexp2: write \\xhh or \\uhhhh"
				}
			}
			i++ // skip the escaped character
		case inClass && strings.HasPrefix(rest, "[:"):
			return i, "POSIX classes ([:alpha:]) do not exist in regexp2, which reads them as plain characters"
		case inClass && c == ']':
			inClass = false
		case !inClass && c == '[':
			inClass = true
			if strings.HasPrefix(pattern[i+1:], "]") || strings.HasPrefix(pattern[i+1:], "^]") {
				i += strings.Index(pattern[i:], "]") // a leading ] is literal in both
			}
		case !inClass && (c == '*' || c == '+' || c == '?' || c == '}') && i+1 < len(pattern) && pattern[i+1] == '+':
			return i + 1, "possessive quantifiers do not exist in regexp2: write an atomic group (?>...)"
		case !inClass && strings.HasPrefix(rest, "(*"):
			return i, "PCRE2 verbs and start-of-pattern options ((*VERB)) do not exist in regexp2"
		case !inClass && strings.HasPrefix(rest, "(?"):
			if why := groupCheck(rest[2:]); why != "" {
				return i, why
			}
		}
	}
	if _, err := regexp2.Compile(pattern, regexp2.None); err != nil {
		return 0, err.Error()
	}
	return -1, ""
}

// groupCheck looks at what follows "(?".
func groupCheck(s string) string {
	switch {
	case s == "":
		return ""
	case s[0] == 'R' || (s[0] >= '0' && s[0] <= '9') || s[0] == '&' || strings.HasPrefix(s, "P>") || ((s[0] == '+' || s[0] == '-') && len(s) > 1 && s[1] >= '0' && s[1] <= '9'):
		return "recursion and subroutine calls do not exist in regexp2"
	case s[0] == '|':
		return "branch reset groups (?|...) do not exist in regexp2"
	case s[0] == 'C':
		return "callouts do not exist in regexp2"
	case strings.HasPrefix(s, "P="):
		return "(?P=name) back-references: write \\k<name>"
	case s[0] == '#':
		return ""
	}
	// Inline options: regexp2 knows i, m, n, s, x.
	for _, c := range s {
		if c == ')' || c == ':' {
			return ""
		}
		switch c {
		case 'i', 'm', 'n', 's', 'x', '-':
		case 'J', 'U', 'X':
			return fmt.Sprintf("inline option (?%c) does not exist in regexp2", c)
		default:
			return "" // a group kind (?<, ?=, ?!, ?>, ?'): regexp2 reads it as PCRE2 does
		}
	}
	return ""
}

// Regex is a compiled keepalived regex.
type Regex struct {
	re  *regexp2.Regexp
	utf bool
}

// MatchTimeout bounds one match (the checker's own bound on work; a
// timed-out match counts as no match, as a PCRE2 error does in keepalived).
const MatchTimeout = 2 * time.Second

// Compile compiles pattern with the regex_options names (those that take
// effect) and, if stackMax > 0 (regex_stack's max, bytes of PCRE2 JIT
// stack), a backtracking-stack bound of stackMax/8 slots.
func Compile(pattern string, opts []string, stackMax int) (*Regex, error) {
	if i, why := Check(pattern); why != "" {
		return nil, fmt.Errorf("at offset %d: %s", i, why)
	}
	var flags regexp2.RegexOptions
	utf := false
	for _, name := range opts {
		o, ok := options[name]
		if !ok || o.refused != "" {
			return nil, fmt.Errorf("regex option %q is not supported", name)
		}
		flags |= o.flag
		utf = utf || o.utf
	}
	co := []regexp2.CompileOption{flags}
	if stackMax > 0 {
		co = append(co, regexp2.OptionMaxBacktrackingStackSize(max(stackMax/8, 64)))
	}
	re, err := regexp2.Compile(pattern, co...)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = MatchTimeout
	return &Regex{re: re, utf: utf}, nil
}

// Find returns the byte offset of the leftmost match starting at or after
// min (look-behinds see the bytes before it; ^ matches only at 0, as with
// PCRE2's start offset), or -1. An error (timeout, stack bound) is
// returned with -1.
func (r *Regex) Find(body []byte, min int) (int, error) {
	if min > len(body) {
		return -1, nil
	}
	var runes []rune
	var offs []int // byte offset of each rune (utf)
	if r.utf {
		runes = make([]rune, 0, len(body))
		for i := 0; i < len(body); {
			c, n := utf8.DecodeRune(body[i:])
			runes = append(runes, c)
			offs = append(offs, i)
			i += n
		}
		offs = append(offs, len(body))
	} else {
		runes = make([]rune, len(body))
		for i, b := range body {
			runes[i] = rune(b)
		}
	}
	start := min
	if r.utf {
		start = 0
		for start < len(runes) && offs[start] < min {
			start++
		}
	}
	m, err := r.re.FindRunesMatchStartingAt(runes, start)
	if err != nil || m == nil {
		return -1, err
	}
	if r.utf {
		return offs[m.RuneIndex], nil
	}
	return m.RuneIndex, nil
}
