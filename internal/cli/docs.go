package cli

import "github.com/spf13/pflag"

// FlagSet returns gokeepalived's flags in --help order, for generating the
// man page and the shell completion (internal/cli/mangen) from the flags
// themselves.
func FlagSet() *pflag.FlagSet {
	var o Options
	return newFlagSet(&o)
}
