package syntax

import (
	"errors"
	"fmt"
)

// line is one logical configuration line while it is being preprocessed:
// its bytes and, for every byte, the 1-based column it came from. Bytes
// produced by a $NAME expansion carry the column of the '$' at the use site.
type line struct {
	file string
	num  int
	text []byte
	cols []int
}

// newLine makes a line whose columns are 1..len(text).
func newLine(file string, num int, text []byte) line {
	cols := make([]int, len(text))
	for i := range cols {
		cols[i] = i + 1
	}
	return line{file: file, num: num, text: text, cols: cols}
}

// pos returns the position of byte i (or just past the end of the line).
func (l line) pos(i int) Pos {
	switch {
	case i < len(l.cols):
		return Pos{File: l.file, Line: l.num, Col: l.cols[i]}
	case len(l.cols) > 0:
		return Pos{File: l.file, Line: l.num, Col: l.cols[len(l.cols)-1] + 1}
	}
	return Pos{File: l.file, Line: l.num, Col: 1}
}

// slice returns bytes [i, j) of the line, sharing nothing with l.
func (l line) slice(i, j int) line {
	return line{
		file: l.file,
		num:  l.num,
		text: append([]byte(nil), l.text[i:j]...),
		cols: append([]int(nil), l.cols[i:j]...),
	}
}

// trimSpace removes leading and trailing blanks (space and tab), as
// keepalived does for every line it reads.
func (l line) trimSpace() line {
	i, j := 0, len(l.text)
	for i < j && isBlank(l.text[i]) {
		i++
	}
	for j > i && isBlank(l.text[j-1]) {
		j--
	}
	return l.slice(i, j)
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isSpace is keepalived's WHITE_SPACE set.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\f' || c == '\n' || c == '\r' || c == '\v'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hexVal(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// decomment removes a trailing comment and surrounding blanks, the way
// keepalived's decomment() does: '#' and '!' start a comment anywhere
// outside double quotes (single quotes do not protect them), "\#" and
// "\!" outside double quotes stand for the literal characters, and a
// final '\' (even one after a comment) marks a continuation line. The
// returned line keeps that final '\' when cont is true.
func decomment(l line) (out line, cont bool) {
	l = l.trimSpace()
	text := make([]byte, 0, len(l.text))
	cols := make([]int, 0, len(l.cols))
	quote := false
	skip := -1 // index in text where a comment starts
	var contCol int
	for i := 0; i < len(l.text); i++ {
		c := l.text[i]
		switch {
		case c == '"':
			if skip < 0 {
				quote = !quote
			}
		case c == '\\':
			if i+1 == len(l.text) {
				cont = true
				contCol = l.cols[i]
				i++
				continue
			}
			if !quote && (l.text[i+1] == '#' || l.text[i+1] == '!') {
				// Drop the backslash; the escaped character takes its column.
				text = append(text, l.text[i+1])
				cols = append(cols, l.cols[i])
				i++
				continue
			} else {
				text = append(text, c, l.text[i+1])
				cols = append(cols, l.cols[i], l.cols[i+1])
				i++
				continue
			}
		case (c == '#' || c == '!') && !quote && skip < 0:
			skip = len(text)
		}
		text = append(text, c)
		cols = append(cols, l.cols[i])
	}
	if skip >= 0 {
		text, cols = text[:skip], cols[:skip]
	}
	out = line{file: l.file, num: l.num, text: text, cols: cols}.trimSpace()
	if cont {
		out.text = append(out.text, '\\')
		out.cols = append(out.cols, contCol)
	}
	return out, cont
}

// errTrailingEscape and friends are the word-splitting failures.
var errTrailingEscape = errors.New(`'\' at end of line (line continuation is only allowed in multi-line $definitions)`)

// splitWords splits a preprocessed line into words the way keepalived's
// alloc_strvec_quoted_escaped() does: words are separated by white space;
// "..." and '...' group text (the quotes are removed, and quoted parts
// join the unquoted text around them into one word); backslash escapes
// \a \b \E \f \n \r \t \v \nnn \xXX \cC work inside and outside quotes,
// and \C is C for any other C.
func splitWords(l line) ([]Arg, *Diagnostic) {
	t := l.text
	var args []Arg
	i := 0
	for {
		for i < len(t) && isSpace(t[i]) {
			i++
		}
		if i >= len(t) {
			return args, nil
		}
		start := i
		var buf []byte
		quoted := false
		var q byte
		qpos := 0
		for i < len(t) {
			c := t[i]
			if c == '\\' {
				if i+1 >= len(t) {
					return args, &Diagnostic{Pos: l.pos(i), Severity: SevError, Msg: errTrailingEscape.Error()}
				}
				var b byte
				b, i = unescape(t, i+1)
				buf = append(buf, b)
				continue
			}
			if q != 0 {
				if c == q {
					q = 0
				} else {
					buf = append(buf, c)
				}
				i++
				continue
			}
			if isSpace(c) {
				break
			}
			if c == '"' || c == '\'' {
				q, quoted, qpos = c, true, i
				i++
				continue
			}
			buf = append(buf, c)
			i++
		}
		if q != 0 {
			return args, &Diagnostic{Pos: l.pos(qpos), Severity: SevError,
				Msg: fmt.Sprintf("unterminated quoted string: missing closing %c", q)}
		}
		args = append(args, Arg{Pos: l.pos(start), Text: string(buf), Quoted: quoted})
	}
}

// unescape decodes the escape sequence whose first character (after the
// backslash) is t[i]; it returns the byte and the index after the sequence.
func unescape(t []byte, i int) (byte, int) {
	c := t[i]
	switch {
	case c == 'x' && i+1 < len(t) && isHex(t[i+1]):
		var v byte
		for i++; i < len(t) && isHex(t[i]); i++ {
			v = v<<4 | hexVal(t[i])
		}
		return v, i
	case c == 'c' && i+1 < len(t):
		return t[i+1] & 0x1f, i + 2
	case c >= '0' && c <= '7':
		v := c - '0'
		i++
		for n := 1; n < 3 && i < len(t) && t[i] >= '0' && t[i] <= '7'; n++ {
			v = v<<3 + (t[i] - '0')
			i++
		}
		return v, i
	}
	switch c {
	case 'a':
		c = '\a'
	case 'b':
		c = '\b'
	case 'E':
		c = 0x1b
	case 'f':
		c = '\f'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'v':
		c = '\v'
	}
	return c, i + 1
}

// SplitWords splits s into words with keepalived's quoting and escape
// rules (see the "Quoted strings" section of keepalived.conf(5)). Package
// config uses it to split a script command line such as the argument of
// notify_master into argv.
func SplitWords(s string) ([]string, error) {
	args, d := splitWords(newLine("", 0, []byte(s)))
	if d != nil {
		return nil, errors.New(d.Msg)
	}
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = a.Text
	}
	return words, nil
}
