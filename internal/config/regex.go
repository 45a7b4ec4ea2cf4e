package config

import (
	"gokeepalived/internal/config/syntax"
	"gokeepalived/internal/regexcompat"
)

// checkRegex reports a regex that regexp2 cannot run as keepalived's PCRE2
// would: the position of the construct and why.
func checkRegex(a syntax.Arg) (Pos, string) {
	at, why := regexcompat.Check(a.Text)
	if why == "" {
		return Pos{}, ""
	}
	pos := a.Pos
	pos.Col += at
	if a.Quoted {
		pos.Col++
	}
	return pos, why
}

// regexOption says what a regex_options name does here.
func regexOption(name string) (bool, string) { return regexcompat.Option(name) }
