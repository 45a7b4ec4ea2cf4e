package syntax

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// definition is a $NAME=value parameter, user-defined or built in.
type definition struct {
	name      string
	lines     []string // the value; more than one line only if multiline
	multiline bool
	// fn computes a built-in's value from its parameters (the text
	// between the name and '}' in ${_RANDOM 1 9}); nil for user values.
	fn        func(params string, use Pos) string
	maxParams int // built-ins only; user definitions take no parameters
}

func builtinDefinitions(p *parser) map[string]*definition {
	defs := map[string]*definition{
		"_HASH": {name: "_HASH", lines: []string{"#"}},
		"_BANG": {name: "_BANG", lines: []string{"!"}},
	}
	defs["_PWD"] = &definition{name: "_PWD", fn: func(string, Pos) string { return p.pwd() }}
	defs["_INSTANCE"] = &definition{name: "_INSTANCE", fn: func(string, Pos) string {
		if p.opts.Instance != "" {
			return p.opts.Instance
		}
		return p.opts.ConfigID
	}}
	defs["_RANDOM"] = &definition{name: "_RANDOM", maxParams: 2, fn: p.random}
	defs["_ENV"] = &definition{name: "_ENV", maxParams: 1, fn: func(params string, use Pos) string {
		name := strings.TrimSpace(params)
		v, ok := p.opts.Env(name)
		if !ok {
			p.diags.Warnf(use, "${_ENV %s}: environment variable %q is not set; using \"\"", name, name)
		}
		return v
	}}
	return defs
}

// random implements ${_RANDOM [MIN [MAX]]}: an integer in [MIN, MAX],
// by default [0, 32767].
func (p *parser) random(params string, use Pos) string {
	lo, hi := uint64(0), uint64(32767)
	f := strings.Fields(params)
	if len(f) > 0 {
		lo, _ = strconv.ParseUint(f[0], 10, 32)
	}
	if len(f) > 1 {
		hi, _ = strconv.ParseUint(f[1], 10, 32)
	}
	if hi < lo {
		p.diags.Warnf(use, "${_RANDOM %s}: MAX is less than MIN; using MIN", strings.TrimSpace(params))
		hi = lo
	}
	return strconv.FormatUint(lo+p.rng.Uint64N(hi-lo+1), 10)
}

// parseDefinition recognises "$NAME=value" at the start of l (no blank
// before '='). A value ending in '\' starts a multi-line definition.
func (p *parser) parseDefinition(l line) bool {
	t := l.text
	if len(t) < 3 || t[0] != '$' || !(isAlpha(t[1]) || t[1] == '_') {
		return false
	}
	i := 2
	for i < len(t) && t[i] != '=' {
		if !isAlnum(t[i]) && t[i] != '_' {
			return false
		}
		i++
	}
	if i == len(t) {
		return false
	}
	d := &definition{name: string(t[1:i])}
	value := strings.TrimLeft(string(t[i+1:]), " \t")
	if strings.HasSuffix(value, `\`) {
		d.multiline = true
		value = strings.TrimRight(strings.TrimSuffix(value, `\`), " \t")
		if value != "" {
			d.lines = []string{value}
		}
		p.mdef = d
	} else {
		d.lines = []string{value}
	}
	p.defs[d.name] = d
	return true
}

// continueDefinition adds one physical line to the multi-line definition
// being collected; a line without a final '\' is its last.
func (p *parser) continueDefinition(l line, cont bool) {
	s := string(l.text)
	if cont {
		s = strings.TrimRight(strings.TrimSuffix(s, `\`), " \t")
	}
	if s != "" {
		p.mdef.lines = append(p.mdef.lines, s)
	}
	if !cont {
		p.endDefinition()
	}
}

func (p *parser) endDefinition() {
	if p.mdef != nil && len(p.mdef.lines) == 0 {
		p.mdef.multiline = false
		p.mdef.lines = []string{""}
	}
	p.mdef = nil
}

// processLine runs one logical line through keepalived's read_line()
// steps: @config-id selection, $definitions, ~SEQ/~LST, parameter
// substitution, include, and splitting at '{' and '}'. It returns false
// once MaxLines is exceeded.
func (p *parser) processLine(l line, depth int) bool {
	if p.lines++; p.lines > p.opts.MaxLines {
		if !p.tooMany {
			p.tooMany = true
			p.diags.Errorf(l.pos(0), "configuration expands to more than %d lines; giving up", p.opts.MaxLines)
		}
		return false
	}
	if depth > maxExpandDepth {
		p.diags.Errorf(l.pos(0), "expansion nested more than %d deep (recursive definition?)", maxExpandDepth)
		return true
	}
	var extra []string // further lines of multi-line definitions used on l
	var extraPos Pos
	for len(l.text) > 0 {
		if l.text[0] == '@' {
			var ok bool
			if l, ok = p.selectConfigID(l); !ok {
				return true
			}
			continue
		}
		if p.parseDefinition(l) {
			return true
		}
		if bytes.HasPrefix(l.text, []byte("~SEQ")) || bytes.HasPrefix(l.text, []byte("~LST")) {
			if !p.sequence(l, depth) {
				return false
			}
			return p.expandLines(extra, extraPos, depth)
		}
		if l.text[0] == '~' || bytes.IndexByte(l.text, '$') < 0 {
			break
		}
		more, replaced, ok := p.substitute(&l)
		if !ok {
			return true
		}
		if !replaced {
			break
		}
		if len(more) > 0 {
			extra = append(more, extra...)
			extraPos = l.pos(0)
		}
		// keepalived decomments again after substituting, so ${_HASH}
		// outside double quotes starts a comment.
		l, _ = decomment(l)
	}
	if len(l.text) > 0 {
		if kind, rest, ok := includeDirective(l); ok {
			p.include(l, kind, rest)
		} else if !p.splitBraces(l, depth) {
			return false
		}
	}
	return p.expandLines(extra, extraPos, depth)
}

// expandLines processes the remaining lines of a multi-line definition.
func (p *parser) expandLines(lines []string, use Pos, depth int) bool {
	for _, s := range lines {
		l := line{file: use.File, num: use.Line, text: []byte(s), cols: make([]int, len(s))}
		for i := range l.cols {
			l.cols[i] = use.Col
		}
		l, _ = decomment(l)
		if len(l.text) == 0 {
			continue
		}
		if !p.processLine(l, depth+1) {
			return false
		}
	}
	return true
}

// selectConfigID handles a line starting "@id " or "@^id ": it returns the
// rest of the line if it applies to this node.
func (p *parser) selectConfigID(l line) (line, bool) {
	ofs, neg := 1, false
	if len(l.text) > 1 && l.text[1] == '^' {
		ofs, neg = 2, true
	}
	end := bytes.IndexAny(l.text[ofs:], " \t")
	if end < 0 {
		return l, false // nothing after the id: keepalived drops the line
	}
	id := string(l.text[ofs : ofs+end])
	if (p.opts.ConfigID == "" || id != p.opts.ConfigID) != neg {
		return l, false
	}
	return l.slice(ofs+end, len(l.text)).trimSpace(), true
}

// substitute replaces $NAME and ${NAME} uses in l, rescanning each value
// in place so that values are expanded recursively at use time. A
// multi-line definition (allowed only at the end of a line) contributes
// its first line here and returns the others in more. ok is false if the
// substitution did not terminate.
func (p *parser) substitute(l *line) (more []string, replaced, ok bool) {
	t, cols := l.text, l.cols
	n := 0
	for i := 0; i < len(t); {
		j := bytes.IndexByte(t[i:], '$')
		if j < 0 || i+j+1 >= len(t) {
			break
		}
		j += i
		d, params, end := p.findDefinition(line{file: l.file, num: l.num, text: t, cols: cols}, j)
		if d == nil {
			i = j + 1
			continue
		}
		use := Pos{File: l.file, Line: l.num, Col: cols[j]}
		var value string
		switch {
		case d.fn != nil:
			value = d.fn(params, use)
		case d.multiline:
			value = d.lines[0]
			more = append(append([]string(nil), d.lines[1:]...), more...)
		default:
			value = d.lines[0]
		}
		p.substBytes += len(t) + len(value)
		if n++; n > maxSubsts || len(t)-(end-j)+len(value) > maxLineLen || p.substBytes > maxSubstBytes {
			p.diags.Errorf(use, "parameter substitution of $%s does not terminate (a definition that uses itself?); line dropped", d.name)
			return nil, replaced, false
		}
		vcols := make([]int, len(value))
		for k := range vcols {
			vcols[k] = cols[j]
		}
		t = append(append(append([]byte(nil), t[:j]...), value...), t[end:]...)
		cols = append(append(append([]int(nil), cols[:j]...), vcols...), cols[end:]...)
		replaced = true
		if v := strings.TrimLeft(value, " \t"); v != "" && v[0] == '~' {
			break
		}
	}
	l.text, l.cols = t, cols
	return more, replaced, true
}

// findDefinition looks at the '$' at t[j] the way keepalived's
// find_definition() does. It returns the definition, its parameters and
// the end of the use, or nil if the text is not a use of a known
// parameter (it is then left as is, with a warning if it looks like one).
func (p *parser) findDefinition(l line, j int) (*definition, string, int) {
	t := l.text
	k := j + 1
	braces := t[k] == '{'
	if braces {
		k++
	}
	if k >= len(t) || !(isAlpha(t[k]) || t[k] == '_') {
		return nil, "", 0
	}
	s := k
	for k < len(t) && (isAlnum(t[k]) || t[k] == '_') {
		k++
	}
	name := string(t[s:k])
	var params string
	end := k
	if braces {
		ps := k
		for k < len(t) && (t[k] == ' ' || isDigit(t[k]) || name == "_ENV" && (isAlnum(t[k]) || t[k] == '_')) {
			k++
		}
		if k >= len(t) || t[k] != '}' {
			return nil, "", 0
		}
		params = string(t[ps:k])
		if params != "" && (params[0] != ' ' || params[len(params)-1] == ' ') {
			return nil, "", 0
		}
		end = k + 1
	} else if k < len(t) && !strings.ContainsRune(" \t,)", rune(t[k])) {
		return nil, "", 0
	}
	use := string(t[j:end])
	d := p.defs[name]
	switch {
	case d == nil:
		p.warnOnce(l.pos(j), "undefined parameter %q left as is", use)
		return nil, "", 0
	case d.multiline && end != len(t):
		p.warnOnce(l.pos(j), "multi-line parameter %q can only be used at the end of a line; left as is", use)
		return nil, "", 0
	case params != "" && d.maxParams == 0:
		p.warnOnce(l.pos(j), "parameter %q takes no arguments; left as is", use)
		return nil, "", 0
	case len(strings.Fields(params)) > d.maxParams && d.maxParams > 0:
		p.warnOnce(l.pos(j), "too many arguments in %q", use)
	}
	return d, params, end
}

func (p *parser) warnOnce(pos Pos, format string, args ...any) {
	if !p.warned[pos] {
		p.warned[pos] = true
		p.diags.Warnf(pos, format, args...)
	}
}

// sequence handles a line starting ~SEQ(...) or ~LST(...): the rest of
// the line is processed once per value, with the variables defined.
func (p *parser) sequence(l line, depth int) bool {
	s := string(l.text)
	close := strings.IndexByte(s, ')')
	open := strings.IndexByte(s, '(')
	kind := s[:4]
	if open < 0 || close < open || strings.TrimSpace(strings.TrimPrefix(s[4:open], "x")) != "" {
		p.diags.Errorf(l.pos(0), "invalid %s specification %q", kind, s)
		return true
	}
	if kind == "~SEQ" {
		// Parameters may use $definitions.
		pl := l.slice(open+1, close)
		if _, _, ok := p.substitute(&pl); !ok {
			return true
		}
		v, seq, err := parseSeq(s[4] == 'x', string(pl.text))
		if err != nil {
			p.diags.Errorf(l.pos(0), "invalid ~SEQ specification %q: %v", s, err)
			return true
		}
		rest := l.slice(close+1, len(l.text)).trimSpace()
		return seq.each(func(val string) bool {
			p.defs[v] = &definition{name: v, lines: []string{val}}
			return p.iterateOnce(rest, depth)
		})
	}
	vars, vals, end, err := parseLst(s, open+1)
	if err != nil {
		p.diags.Errorf(l.pos(0), "invalid ~LST specification %q: %v", s, err)
		return true
	}
	return p.iterate(l, end, vars, vals, depth)
}

// iterate processes l[from:] once per value set, defining vars each time.
func (p *parser) iterate(l line, from int, vars []string, vals [][]string, depth int) bool {
	rest := l.slice(from, len(l.text)).trimSpace()
	for _, set := range vals {
		for i, v := range vars {
			p.defs[v] = &definition{name: v, lines: []string{set[i]}}
		}
		if !p.iterateOnce(rest, depth) {
			return false
		}
	}
	return true
}

// iterateOnce processes the text after a ~SEQ or ~LST once. An empty
// text still counts as a line, so that MaxLines bounds every loop.
func (p *parser) iterateOnce(rest line, depth int) bool {
	if len(rest.text) == 0 {
		if p.lines++; p.lines > p.opts.MaxLines {
			return p.processLine(rest, depth+1)
		}
		return true
	}
	return p.processLine(rest.slice(0, len(rest.text)), depth+1)
}

// seqValues is a parsed ~SEQ: the values start, start+step, ... up to
// end, formatted in decimal or hexadecimal.
type seqValues struct {
	start, step, end int64
	hex              bool
}

// each calls fn with each value until fn returns false.
func (q seqValues) each(fn func(string) bool) bool {
	for n := q.start; q.step > 0 && n <= q.end || q.step < 0 && n >= q.end; n += q.step {
		v := strconv.FormatInt(n, 10)
		if q.hex {
			v = strconv.FormatUint(uint64(n), 16)
		}
		if !fn(v) {
			return false
		}
		if n+q.step < n != (q.step < 0) { // overflow
			break
		}
	}
	return true
}

// parseSeq parses the inside of ~SEQ(var, [start,] [step,] end).
func parseSeq(hex bool, s string) (string, seqValues, error) {
	f := strings.Split(s, ",")
	v := strings.TrimSpace(f[0])
	q := seqValues{hex: hex}
	if v == "" || len(f) < 2 || len(f) > 4 {
		return "", q, fmt.Errorf("want (var, [start,] [step,] end)")
	}
	var nums []int64
	for _, x := range f[1:] {
		n, err := strtol(x)
		if err != nil {
			return "", q, err
		}
		nums = append(nums, n)
	}
	switch len(nums) {
	case 1:
		q.end = nums[0]
		q.start, q.step = 1, 1
		if q.end < 0 {
			q.start = -1
		}
		if q.end < 1 {
			q.step = -1
		}
	case 2:
		q.start, q.end = nums[0], nums[1]
		q.step = 1
		if q.start > q.end {
			q.step = -1
		}
	case 3:
		q.start, q.step, q.end = nums[0], nums[1], nums[2]
		if q.step == 0 || q.start < q.end && q.step < 0 || q.start > q.end && q.step > 0 {
			return "", q, fmt.Errorf("step %d never reaches %d from %d", q.step, q.end, q.start)
		}
	}
	if hex && (q.start < 0 || q.end < 0) {
		return "", q, fmt.Errorf("~SEQx is only valid for positive numbers")
	}
	return v, q, nil
}

// strtol parses an integer like C strtol with base 0 (0x hex, 0 octal);
// an empty string is 0.
func strtol(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	neg := false
	t := s
	if t[0] == '-' || t[0] == '+' {
		neg, t = t[0] == '-', t[1:]
	}
	base := 10
	switch {
	case len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X"):
		base, t = 16, t[2:]
	case len(t) > 1 && t[0] == '0':
		base, t = 8, t[1:]
	}
	n, err := strconv.ParseInt(t, base, 64)
	if err != nil {
		return 0, fmt.Errorf("bad number %q", s)
	}
	if neg {
		n = -n
	}
	return n, nil
}

// parseLst parses ~LST(var, v1, v2...) or ~LST({a,b}, {1,2}, ...) starting
// after the '('. It returns the variables, the value sets and the index
// just past the closing ')'.
func parseLst(s string, i int) (vars []string, vals [][]string, end int, err error) {
	skip := func() {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
	}
	// list reads "x" or "{x, y}" items up to one of stop.
	list := func(stop string) ([]string, error) {
		skip()
		if i < len(s) && s[i] == '{' {
			i++
			var items []string
			for {
				skip()
				k := i
				for i < len(s) && !strings.ContainsRune(" \t,}", rune(s[i])) {
					i++
				}
				items = append(items, s[k:i])
				skip()
				if i >= len(s) {
					return nil, fmt.Errorf("missing '}'")
				}
				if s[i] == '}' {
					i++
					skip()
					return items, nil
				}
				i++ // ','
			}
		}
		k := i
		for i < len(s) && !strings.ContainsRune(stop, rune(s[i])) {
			i++
		}
		skip()
		return []string{s[k:i]}, nil
	}
	if vars, err = list(" \t,)"); err != nil {
		return nil, nil, 0, err
	}
	for _, v := range vars {
		if v == "" {
			return nil, nil, 0, fmt.Errorf("empty variable name")
		}
	}
	for {
		if i >= len(s) {
			return nil, nil, 0, fmt.Errorf("missing ')'")
		}
		if s[i] == ')' {
			break
		}
		if s[i] != ',' {
			return nil, nil, 0, fmt.Errorf("unexpected %q", s[i])
		}
		i++
		set, err := list(" \t,)")
		if err != nil {
			return nil, nil, 0, err
		}
		if len(set) > len(vars) {
			return nil, nil, 0, fmt.Errorf("too many values")
		}
		for len(set) < len(vars) {
			set = append(set, "")
		}
		vals = append(vals, set)
	}
	if len(vals) == 0 {
		return nil, nil, 0, fmt.Errorf("no values")
	}
	return vars, vals, i + 1, nil
}

// splitBraces splits l at its first '{' or '}' outside double quotes, as
// keepalived does: the text before it is one line, the brace another, and
// the rest is processed again as a new line.
func (p *parser) splitBraces(l line, depth int) bool {
	t := l.text
	i := 0
	if t[0] != '{' && t[0] != '}' {
		for ; i < len(t); i++ {
			if t[i] == '"' {
				k := bytes.IndexByte(t[i+1:], '"')
				if k < 0 {
					i = len(t)
					break
				}
				i += k + 1
				continue
			}
			if t[i] == '{' || t[i] == '}' {
				break
			}
		}
	}
	if i == len(t) {
		p.statement(l)
		return true
	}
	if i > 0 {
		p.statement(l.slice(0, i).trimSpace())
		return p.processLine(l.slice(i, len(l.text)), depth)
	}
	if t[0] == '{' {
		p.tree.open(l.pos(0))
	} else {
		p.tree.close(l.pos(0))
	}
	rest := l.slice(1, len(t)).trimSpace()
	if len(rest.text) == 0 {
		return true
	}
	return p.processLine(rest, depth)
}

// statement splits a line into words and hands it to the tree builder.
func (p *parser) statement(l line) {
	args, d := splitWords(l)
	if d != nil {
		p.diags = append(p.diags, *d)
		return
	}
	if len(args) == 0 {
		return
	}
	n := &Node{Pos: args[0].Pos, Keyword: args[0].Text}
	if len(args) > 1 {
		n.Args = args[1:]
	}
	if n.Keyword == "include_check" {
		// A preprocessor directive, like include: it changes how later
		// includes are checked and is not part of the tree.
		p.setIncludeCheck(n)
		return
	}
	p.tree.statement(n)
}
