// Command mangen writes gokeepalived's manual pages and shell completion
// scripts from the real flag sets (internal/cli, internal/cli/ctlcli) and
// the configuration keyword table (internal/config), so they cannot drift:
//
//	go run ./internal/cli/mangen -o DIR [-version V] [-date YYYY-MM-DD]
//
// It writes DIR/man/man8/gokeepalived.8, DIR/man/man8/gokeepalivedctl.8,
// DIR/man/man5/gokeepalived.conf.5, DIR/bash-completion/completions/* and
// DIR/zsh/vendor-completions/_*. `make man` runs it; `make deb` packages
// the result. The date defaults to SOURCE_DATE_EPOCH, else today.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gokeepalived/internal/cli"
	"gokeepalived/internal/cli/ctlcli"
	"gokeepalived/internal/docgen"
)

func main() {
	out := flag.String("o", "", "output directory (required)")
	version := flag.String("version", cli.Version, "version shown in the pages' footer")
	date := flag.String("date", "", "date shown in the pages' footer (default: SOURCE_DATE_EPOCH, else today)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *date == "" {
		*date = defaultDate(os.Getenv("SOURCE_DATE_EPOCH"), time.Now())
	}
	if err := Generate(*out, *version, *date); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
}

func defaultDate(epoch string, now time.Time) string {
	if s, err := strconv.ParseInt(epoch, 10, 64); err == nil {
		now = time.Unix(s, 0)
	}
	return now.UTC().Format("2006-01-02")
}

// Files are the generated files, relative to the output directory.
var Files = []string{
	"man/man8/gokeepalived.8",
	"man/man8/gokeepalivedctl.8",
	"man/man5/gokeepalived.conf.5",
	"bash-completion/completions/gokeepalived",
	"bash-completion/completions/gokeepalivedctl",
	"zsh/vendor-completions/_gokeepalived",
	"zsh/vendor-completions/_gokeepalivedctl",
}

// Generate writes every file of Files under dir.
func Generate(dir, version, date string) error {
	// The footer has room for the release, not the build revision.
	release, _, _ := strings.Cut(version, "+")
	src := "gokeepalived " + release
	daemon, ctlPage, conf := daemonPage(src, date), ctlManPage(src, date), confPage(src, date)
	gen := map[string]func(io.Writer) error{
		Files[0]: daemon.Write,
		Files[1]: ctlPage.Write,
		Files[2]: conf.Write,
		Files[3]: daemonCompletion().Bash,
		Files[4]: ctlCompletion().Bash,
		Files[5]: daemonCompletion().Zsh,
		Files[6]: ctlCompletion().Zsh,
	}
	for _, name := range Files {
		var b bytes.Buffer
		if err := gen[name](&b); err != nil {
			return err
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// noEffect notes a flag that internal/cli accepts with a warning.
const noEffect = "Accepted with a warning; no effect yet."

// flagDocs name each value flag's placeholder, and say which flags have no
// effect (internal/cli warns about the same ones at start).
var flagDocs = map[string]docgen.FlagDoc{
	"use-file":           {Value: "FILE"},
	"log-facility":       {Value: "FACILITY", Note: "0 to 7 mean local0 to local7."},
	"log-file":           {Value: "FILE"},
	"umask":              {Value: "MASK", Note: "A leading 0 means octal."},
	"pid":                {Value: "FILE"},
	"vrrp_pid":           {Value: "FILE", Note: "The daemon's own pid is written: there is no VRRP child."},
	"checkers_pid":       {Value: "FILE", Note: "Accepted; not written: there is no checker child."},
	"bfd_pid":            {Value: "FILE", Note: "Accepted; not written: there is no BFD child."},
	"genhash":            {Note: "The arguments after it are genhash's: `gokeepalived -T -s` <host> `-p` <port> `-u` <url> prints the digest for HTTP_GET."},
	"release-vips":       {Note: noEffect},
	"address-monitoring": {Note: noEffect},
	"snmp":               {Note: "As `enable_snmp_vrrp`, `enable_snmp_checker` and `enable_snmp_rfc`: serve KEEPALIVED-MIB, VRRP-MIB and VRRPv3-MIB as an AgentX subagent of snmpd."},
	"snmp-agent-socket":  {Value: "SOCKET", Note: "snmpd's AgentX socket, unless `snmp_socket` is set."},
	"namespace":          {Value: "NAME", Note: "Run in the network namespace /var/run/netns/NAME (overrides net_namespace); pid files go to /run/keepalived/NAME/."},
	"core-dump":          {Note: noEffect},
	"core-dump-pattern":  {Value: "PATN", Note: noEffect},
	"all-config":         {Note: noEffect + " Use `includem`, or `--strict`."},
	"config-id":          {Value: "ID", Note: "Default: the host name up to its first dot."},
	"signum":             {Value: "SIGFUNC"},
	"config-test":        {Value: "LOG_FILE", Note: "See EXIT STATUS."},
	"control-socket":     {Value: "PATH"},
	"lb-backend":         {Value: "BACKEND"},
	"log-format":         {Value: "FORMAT", Note: "`json`: one JSON object a line (log/slog's JSON handler); in syslog the message is the object."},
	"metrics-listen":     {Value: "ADDR"},
	"no_bfd":             {Note: "Accepted; nothing to do (no BFD)."},
	"all":                {Note: "Accepted; nothing to do."},
	"dont-respawn":       {Note: "Accepted; nothing to do."},
	"flush-log-file":     {Note: "Accepted; the log file is written unbuffered."},
}

// Facilities and Sigfuncs are the words the completion offers for
// --log-facility and --signum; the test checks cli accepts each.
var (
	Facilities = []string{"daemon", "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
	Sigfuncs   = []string{"STOP", "RELOAD", "DATA", "STATS", "STATS_CLEAR", "JSON"}
	Backends   = []string{"auto", "ipvs", "nft"}
	LogFormats = []string{"text", "json"}
)

func daemonCompletion() *docgen.Completion {
	return &docgen.Completion{
		Command: "gokeepalived",
		Flags:   cli.FlagSet(),
		Values: map[string][]string{
			"use-file": docgen.FileValue, "log-file": docgen.FileValue, "pid": docgen.FileValue,
			"vrrp_pid": docgen.FileValue, "checkers_pid": docgen.FileValue, "bfd_pid": docgen.FileValue,
			"config-test": docgen.FileValue, "control-socket": docgen.FileValue, "snmp-agent-socket": docgen.FileValue,
			"log-facility": Facilities, "signum": Sigfuncs, "lb-backend": Backends, "log-format": LogFormats,
		},
		StopAfter: "genhash",
	}
}

func ctlCompletion() *docgen.Completion {
	var o ctlcli.Options
	c := &docgen.Completion{
		Command: "gokeepalivedctl",
		Flags:   ctlcli.NewFlagSet(&o),
		Values:  map[string][]string{"socket": docgen.FileValue},
	}
	for _, cmd := range ctlcli.Commands {
		c.Words = append(c.Words, docgen.Word{Name: cmd.Name, Help: cmd.Help})
	}
	return c
}

// exitItems turns cli.ExitCodeHelp ("  0  success ...") into items.
func exitItems() []docgen.Item {
	var items []docgen.Item
	for _, l := range strings.Split(cli.ExitCodeHelp, "\n") {
		code, text, ok := strings.Cut(strings.TrimSpace(l), "  ")
		if !ok {
			continue
		}
		if _, err := strconv.Atoi(code); err != nil {
			continue
		}
		items = append(items, docgen.Item{Tag: code, Text: []string{strings.TrimSpace(text) + "."}})
	}
	return items
}

func daemonPage(src, date string) *docgen.Page {
	return &docgen.Page{
		Name: "gokeepalived", Section: "8", Date: date, Source: src, Manual: "System Administration",
		Summary:  "VRRP and load-balancer health checking, keepalived-compatible",
		Synopsis: []string{"`gokeepalived` [<OPTION>...]", "`gokeepalived -T` <genhash-options>..."},
		Sections: []docgen.Section{
			{Title: "DESCRIPTION", Paras: []string{
				"gokeepalived is keepalived 2.2.7 rebuilt in Go, as one process. It reads an unchanged " +
					"`/etc/keepalived/keepalived.conf` (see gokeepalived.conf(5) for every keyword it knows) and takes " +
					"keepalived's command line. It runs VRRP version 2 and 3 instances (IPv4 and IPv6, multicast and unicast, " +
					"sync groups, trackers, notifications) and, for `virtual_server` blocks, the health checkers and the " +
					"kernel load balancer (IPVS, or nftables where the kernel has no IPVS).",
				"A configuration with any error is refused, with every error printed as <file>:<line>:<col>. " +
					"Keywords keepalived knows that gokeepalived does not implement yet are refused too, never ignored " +
					"(`--unsupported-keywords` lists them).",
				"Under systemd the daemon runs as gokeepalived.service (`Type=notify`, `--dont-fork`), with its options " +
					"in `/etc/default/gokeepalived`. `gokeepalivedctl status` shows its state.",
			}},
			{Title: "OPTIONS", Items: docgen.OptionItems(cli.FlagSet(), flagDocs)},
			{Title: "EXIT STATUS", Items: exitItems()},
			{Title: "SIGNALS", Items: []docgen.Item{
				{Tag: "SIGTERM, SIGINT", Text: []string{"Stop: each MASTER sends a priority 0 advert, then removes its virtual addresses (unless `-V`) and the load-balancer services (unless `-I`)."}},
				{Tag: "SIGHUP", Text: []string{"Reload. A new configuration with any error is refused and the old one keeps running; otherwise only what changed is restarted."}},
				{Tag: "SIGUSR1", Text: []string{"Write `/tmp/keepalived.data` (the text of `gokeepalivedctl status`)."}},
				{Tag: "SIGUSR2", Text: []string{"Write `/tmp/keepalived.stats`."}},
				{Tag: "SIGRTMIN+2", Text: []string{"Write `/tmp/keepalived.json`."}},
			}},
			{Title: "FILES", Items: []docgen.Item{
				{Tag: cli.DefaultConfigFile, Text: []string{"The configuration, as keepalived reads it."}},
				{Tag: "/etc/default/gokeepalived", Text: []string{"Options for the systemd unit (`KEEPALIVED_OPTIONS`)."}},
				{Tag: ctlcli.DefaultSocket, Text: []string{"Control socket for gokeepalivedctl(8), root only."}},
				{Tag: "/usr/share/doc/gokeepalived/", Text: []string{"operations.md (running it: logs, metrics, dumps), migration.md (from keepalived), status.md (what is implemented)."}},
			}},
			{Title: "SEE ALSO", Paras: []string{"gokeepalivedctl(8), gokeepalived.conf(5), keepalived(8), keepalived.conf(5), systemctl(1)"}},
		},
	}
}

func ctlManPage(src, date string) *docgen.Page {
	var cmds []docgen.Item
	for _, c := range ctlcli.Commands {
		tag := "`" + c.Name + "`"
		if c.Args != "" {
			tag += " " + c.Args
		}
		cmds = append(cmds, docgen.Item{Tag: tag, Text: []string{c.Help + "."}})
	}
	var o ctlcli.Options
	return &docgen.Page{
		Name: "gokeepalivedctl", Section: "8", Date: date, Source: src, Manual: "System Administration",
		Summary:  "query and control a running gokeepalived",
		Synopsis: []string{"`gokeepalivedctl` [<OPTION>...] [<COMMAND>]"},
		Sections: []docgen.Section{
			{Title: "DESCRIPTION", Paras: []string{
				"gokeepalivedctl talks to a running gokeepalived(8) over its control socket, which only root can use.",
			}},
			{Title: "COMMANDS", Items: cmds},
			{Title: "OPTIONS", Items: docgen.OptionItems(ctlcli.NewFlagSet(&o), map[string]docgen.FlagDoc{
				"socket": {Value: "PATH"}, "timeout": {Value: "DURATION", Note: "A Go duration: `500ms`, `5s`, `1m`."},
				"interval": {Value: "DURATION"}, "count": {Value: "N"},
			})},
			{Title: "EXIT STATUS", Items: ctlExitItems()},
			{Title: "FILES", Items: []docgen.Item{{Tag: ctlcli.DefaultSocket, Text: []string{"The daemon's default control socket."}}}},
			{Title: "SEE ALSO", Paras: []string{"gokeepalived(8), gokeepalived.conf(5)"}},
		},
	}
}

// ctlExitItems are gokeepalivedctl's exit codes (ctlcli.ExitCodes).
func ctlExitItems() []docgen.Item {
	var items []docgen.Item
	for _, e := range ctlcli.ExitCodes {
		items = append(items, docgen.Item{Tag: strconv.Itoa(e.Code), Text: []string{e.Text}})
	}
	return items
}

func confPage(src, date string) *docgen.Page {
	sections := []docgen.Section{
		{Title: "DESCRIPTION", Paras: []string{
			"gokeepalived reads keepalived 2.2.7's configuration file, `/etc/keepalived/keepalived.conf` by default, " +
				"unchanged. This page lists every keyword of that language as gokeepalived knows it: in which block it is " +
				"valid, its arguments with their types and ranges, whether gokeepalived implements it, and which spellings " +
				"are aliases or deprecated. It is generated from the keyword table the parser uses. What each keyword does " +
				"is keepalived's: see keepalived.conf(5) of keepalived 2.2.7.",
			"The file is a sequence of keywords with arguments, one per line; some open a block in braces. " +
				"`#` and `!` start comments; `include` <pattern> reads more files; `@`<id> before a line applies it only " +
				"on the host whose config id (`-i`) is <id>. A keyword that is not valid in its block is an error, with " +
				"a suggestion where one is close.",
			"In the synopses below, [<x>] is optional, <x>... may repeat, {a|b} is one of the words, " +
				"{on|off} also accepts true, false, yes and no, and { ... } is a block.",
		}},
	}
	sections = append(sections, docgen.ConfSections()...)
	sections = append(sections, docgen.Section{Title: "SEE ALSO", Paras: []string{"gokeepalived(8), keepalived.conf(5)"}})
	return &docgen.Page{
		Name: "gokeepalived.conf", Section: "5", Date: date, Source: src, Manual: "File Formats",
		Summary:  "keepalived.conf keywords as gokeepalived reads them",
		Sections: sections,
	}
}
