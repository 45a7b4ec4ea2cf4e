// Package notify runs keepalived-style notify scripts, writes notify FIFOs and
// sends SMTP alerts. Every entry point used by the VRRP path only enqueues:
// the work happens on the package's own goroutines, behind bounded queues,
// and anything that does not fit is dropped and counted.
package notify

import (
	"errors"
	"fmt"
	"strings"
)

// ErrEmptyScript is returned by SplitScript for a string with no words.
var ErrEmptyScript = errors.New("empty script")

// SplitScript splits a script string into argv the way keepalived does
// (lib/parser.c alloc_strvec_quoted_escaped, applied by
// set_script_params_array to the already unquoted config token):
//
//   - words are separated by unquoted spaces and tabs;
//   - " and ' start a quoted section that ends at the same quote character;
//     the quotes are removed and the quoted text joins the surrounding word,
//     so abcd" efg "h is the single word "abcd efg h";
//   - a backslash escapes, inside or outside quotes: \a \b \E \f \n \r \t \v,
//     \nnn (up to 3 octal digits), \xXX (any run of hex digits), \cC (control
//     character of C), and \C for any other C is C itself.
//
// An unterminated quote or a trailing backslash is an error, as in keepalived.
func SplitScript(s string) ([]string, error) {
	var (
		args  []string
		cur   strings.Builder
		inArg bool
		quote byte
	)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			i++
			if i >= len(s) {
				return nil, fmt.Errorf("script %q: missing escape character at end", s)
			}
			b, n := unescape(s[i:])
			cur.WriteByte(b)
			i += n
			inArg = true
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
			i++
		case c == '"' || c == '\'':
			quote = c
			inArg = true
			i++
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
			i++
		default:
			cur.WriteByte(c)
			inArg = true
			i++
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("script %q: missing terminating %c", s, quote)
	}
	if inArg {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, ErrEmptyScript
	}
	return args, nil
}

// unescape decodes the escape sequence at the start of s (just after the
// backslash) and returns the byte and how many bytes of s it used.
func unescape(s string) (byte, int) {
	c := s[0]
	switch {
	case c == 'x' && len(s) > 1 && isHex(s[1]):
		var v byte
		n := 1
		for n < len(s) && isHex(s[n]) {
			v = v<<4 | hexVal(s[n])
			n++
		}
		return v, n
	case c == 'c' && len(s) > 1:
		return s[1] & 0x1f, 2
	case c >= '0' && c <= '7':
		v := c - '0'
		n := 1
		for n < 3 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			v = v<<3 + (s[n] - '0')
			n++
		}
		return v, n
	}
	switch c {
	case 'a':
		return '\a', 1
	case 'b':
		return '\b', 1
	case 'E':
		return 0x1b, 1
	case 'f':
		return '\f', 1
	case 'n':
		return '\n', 1
	case 'r':
		return '\r', 1
	case 't':
		return '\t', 1
	case 'v':
		return '\v', 1
	}
	return c, 1
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
