package syntax

import (
	"io/fs"
	"path"
	"strings"
)

// includeFlags are keepalived's include checks: which include problems
// are errors rather than warnings.
type includeFlags uint8

const (
	incReadable      includeFlags = 1 << iota // a match must be a readable regular file
	incMatch                                  // a plain file name must exist
	incWildcardMatch                          // a wildcard must match something
	incBraceMatch                             // every {a,b} alternative must exist
	incAll           = incReadable | incMatch | incWildcardMatch | incBraceMatch
)

var includeCheckNames = map[string]includeFlags{
	"readable":       incReadable,
	"match":          incMatch | incReadable,
	"wildcard_match": incWildcardMatch | incReadable,
	"brace_match":    incBraceMatch | incReadable,
}

// includeDirective recognises "include FILE" and its stricter variants
// includer/includem/includew/includeb/includea at the start of l.
func includeDirective(l line) (includeFlags, line, bool) {
	t := l.text
	if len(t) < 8 || string(t[:7]) != "include" {
		return 0, l, false
	}
	var kind includeFlags
	rest := 8
	if !isSpace(t[7]) {
		if len(t) < 9 || !isSpace(t[8]) {
			return 0, l, false
		}
		switch t[7] {
		case 'r':
			kind = incReadable
		case 'm':
			kind = incReadable | incMatch
		case 'w':
			kind = incReadable | incMatch | incWildcardMatch
		case 'b':
			kind = incReadable | incBraceMatch
		case 'a':
			kind = incAll
		default:
			return 0, l, false
		}
		rest = 9
	}
	return kind, l.slice(rest, len(t)).trimSpace(), true
}

// setIncludeCheck applies an include_check line: no options means all;
// "-opt" removes a check, "opt" or "+opt" adds it. The setting lasts
// until the end of the file it appears in (and the files it includes).
func (p *parser) setIncludeCheck(n *Node) {
	if len(n.Args) == 0 {
		p.incCheck = incAll
		return
	}
	for _, a := range n.Args {
		name, remove := a.Text, false
		if name != "" && (name[0] == '+' || name[0] == '-') {
			name, remove = name[1:], name[0] == '-'
		}
		f, ok := includeCheckNames[name]
		if !ok {
			p.diags.Errorf(a.Pos, "include_check: unknown check %q (want readable, match, wildcard_match or brace_match)", a.Text)
			continue
		}
		if remove {
			p.incCheck &^= f &^ incReadable
			if name == "readable" {
				p.incCheck &^= incReadable
			}
		} else {
			p.incCheck |= f
		}
	}
}

// include reads the files named by an include line. Problems are errors
// when the include variant or include_check asks for that check, and
// warnings otherwise (plain include never fails, as in keepalived).
func (p *parser) include(l line, kind includeFlags, arg line) {
	pos := l.pos(0)
	pattern := string(arg.text)
	if pattern == "" {
		p.diags.Errorf(pos, "include: missing file name")
		return
	}
	report := func(check includeFlags, format string, args ...any) {
		if (kind|p.incCheck)&check != 0 {
			p.diags.Errorf(pos, format, args...)
		} else {
			p.diags.Warnf(pos, format, args...)
		}
	}
	if !path.IsAbs(pattern) {
		pattern = path.Join(path.Dir(p.curFile), pattern)
	}
	alts, ok := expandBraces(pattern, maxBraceNames)
	if !ok {
		// glob(3) with GLOB_BRACE, which keepalived calls, has no limit:
		// 20 "{a,b}" groups make it stat a million names.
		p.diags.Errorf(arg.pos(0), "include: %q expands to more than %d file names; split it into several include lines", string(arg.text), maxBraceNames)
		return
	}
	braced := len(alts) > 1 || alts[0] != pattern
	// keepalived reports one "Config files missing" line per include; here
	// each missing name is named, up to maxMissingNamed, then summarised.
	missing := 0
	var unnamed includeFlags // the checks of the missing files not named
	defer func() {
		if missing > maxMissingNamed {
			report(unnamed, "include: %d more config files from %q not found", missing-maxMissingNamed, string(arg.text))
		}
	}()
	for _, alt := range alts {
		var matches []string
		if strings.ContainsAny(alt, "*?[") {
			keys, err := fs.Glob(p.fsys, p.fsKey(globPattern(alt)))
			if err != nil {
				report(incReadable, "include: bad pattern %q: %v", alt, err)
				continue
			}
			for _, k := range keys {
				if hiddenMatch(alt, k) {
					continue
				}
				matches = append(matches, displayName(alt, k, p.osFS))
			}
			if len(matches) == 0 {
				if missing++; missing <= maxMissingNamed {
					report(incWildcardMatch, "include: no config files matched %q", alt)
				} else {
					unnamed |= incWildcardMatch
				}
			}
		} else if _, err := fs.Stat(p.fsys, p.fsKey(alt)); err != nil {
			check := incMatch
			if braced {
				check = incBraceMatch
			}
			if missing++; missing <= maxMissingNamed {
				report(check, "include: config file %q not found", alt)
			} else {
				unnamed |= check
			}
			continue
		} else {
			matches = []string{alt}
		}
		for _, m := range matches {
			p.includeFile(pos, m, report)
		}
	}
}

func (p *parser) includeFile(pos Pos, name string, report func(includeFlags, string, ...any)) {
	key := p.fsKey(name)
	for i, f := range p.files {
		if f == key {
			chain := append(append([]string(nil), p.files[i:]...), key)
			p.diags.Errorf(pos, "include cycle: %s", strings.Join(chain, " -> "))
			return
		}
	}
	if len(p.files) >= maxIncludeDepth {
		p.diags.Errorf(pos, "include: files nested more than %d deep", maxIncludeDepth)
		return
	}
	fi, err := fs.Stat(p.fsys, key)
	if err != nil {
		report(incReadable, "include: %v", err)
		return
	}
	if fi.IsDir() {
		report(incReadable, "include: configuration file %q is a directory - skipping", name)
		return
	}
	if !fi.Mode().IsRegular() || fi.Mode()&0o111 != 0 {
		report(incReadable, "include: configuration file %q is not a regular non-executable file - skipping", name)
		return
	}
	data, err := fs.ReadFile(p.fsys, key)
	if err != nil {
		report(incReadable, "include: %v", err)
		return
	}
	p.readLines(name, data)
}

// globPattern converts glob(3) syntax to path.Match syntax ("[!" → "[^").
func globPattern(s string) string {
	return strings.ReplaceAll(s, "[!", "[^")
}

// hiddenMatch reports whether key is a dot file matched by a wildcard that
// did not itself start with '.', which glob(3) would not match.
func hiddenMatch(pattern, key string) bool {
	return strings.HasPrefix(path.Base(key), ".") && !strings.HasPrefix(path.Base(pattern), ".")
}

// displayName turns an FS key found by a glob back into a path in the
// style of the pattern (absolute if the pattern was). On the operating
// system's files keys are always absolute (fsKey joins the working
// directory), so the name must be too, or it would be joined again.
func displayName(pattern, key string, osFS bool) string {
	if path.IsAbs(pattern) || osFS {
		return "/" + key
	}
	return key
}

// Bounds of one include line.
const (
	maxBraceNames   = 1024 // file names one include's {a,b} groups may expand to
	maxMissingNamed = 8    // missing files named one by one before a summary
)

// expandBraces performs csh-style brace expansion as glob(3) does with
// GLOB_BRACE: "a{b,c{d,e}}f" → abf, acdf, acef. Unbalanced braces are
// literal. It gives up (ok false) once more than limit names would result,
// before building them: the count grows exponentially with the groups.
func expandBraces(s string, limit int) (names []string, ok bool) {
	budget := limit
	names = expandBracesBudget(s, &budget)
	if budget < 0 {
		return nil, false
	}
	return names, true
}

// expandBracesBudget expands s, taking each name it returns from *budget;
// once *budget is negative the result is incomplete and must be discarded.
func expandBracesBudget(s string, budget *int) []string {
	open := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '{' {
			open = i
			break
		}
	}
	if *budget < 0 {
		return nil
	}
	if open < 0 {
		*budget--
		return []string{s}
	}
	depth := 0
	var alts []string
	start := open + 1
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case ',':
			if depth == 1 {
				alts = append(alts, s[start:i])
				start = i + 1
			}
		case '}':
			if depth--; depth == 0 {
				alts = append(alts, s[start:i])
				if len(alts) == 1 && alts[0] == "" {
					// "{}" is literal, as in glob(3).
					rest := expandBracesBudget(s[i+1:], budget)
					out := make([]string, len(rest))
					for k, r := range rest {
						out[k] = s[:i+1] + r
					}
					return out
				}
				var out []string
				for _, a := range alts {
					if *budget < 0 {
						return nil
					}
					out = append(out, expandBracesBudget(s[:open]+a+s[i+1:], budget)...)
				}
				return out
			}
		}
	}
	*budget--
	return []string{s}
}
