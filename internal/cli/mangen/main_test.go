package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"gokeepalived/internal/cli"
	"gokeepalived/internal/cli/ctlcli"
	"gokeepalived/internal/config"
)

func generate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := Generate(dir, "1.2.3-test+0123abc", "2026-01-02"); err != nil {
		t.Fatal(err)
	}
	return dir
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// needTool skips without the named program, unless
// GOKEEPALIVED_REQUIRE_ROOT=1 (CI, where scripts/deps.sh installs it).
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	why := name + " is not installed (Debian package " + pkg + "; scripts/deps.sh installs it)"
	if os.Getenv("GOKEEPALIVED_REQUIRE_ROOT") == "1" {
		t.Fatalf("%s, and GOKEEPALIVED_REQUIRE_ROOT=1 forbids skipping", why)
	}
	t.Skip(why)
	return ""
}

// unroff turns roff source into plain text closely enough to search it.
func unroff(s string) string {
	return regexp.MustCompile(`\\f[BIRP]`).ReplaceAllString(strings.NewReplacer(`\-`, "-", `\&`, "", `\e`, `\`).Replace(s), "")
}

func TestDaemonPageHasEveryFlag(t *testing.T) {
	dir := generate(t)
	page := unroff(read(t, dir, "man/man8/gokeepalived.8"))
	cli.FlagSet().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return // a developer's flag (--pprof-listen): documented in docs/benchmarks.md, not for users
		}
		tag := "--" + f.Name
		if f.Shorthand != "" {
			tag = "-" + f.Shorthand + ", " + tag
		}
		if !strings.Contains(page, "\n.TP\n"+tag) {
			t.Errorf("gokeepalived.8 has no item for flag %s", tag)
		}
	})
	if !strings.Contains(page, ".TH GOKEEPALIVED 8 \"2026-01-02\" \"gokeepalived 1.2.3-test\"") {
		t.Errorf("gokeepalived.8 header lacks the date or version:\n%s", page[:200])
	}
	for code := range strings.SplitSeq("0 1 2 3 4", " ") {
		if !strings.Contains(page, "\n.TP\n"+code+"\n") {
			t.Errorf("gokeepalived.8 EXIT STATUS lacks code %s", code)
		}
	}
}

func TestCtlPageHasEveryFlagAndCommand(t *testing.T) {
	dir := generate(t)
	page := unroff(read(t, dir, "man/man8/gokeepalivedctl.8"))
	var o ctlcli.Options
	ctlcli.NewFlagSet(&o).VisitAll(func(f *pflag.Flag) {
		tag := "--" + f.Name
		if f.Shorthand != "" {
			tag = "-" + f.Shorthand + ", " + tag
		}
		if !strings.Contains(page, "\n.TP\n"+tag) {
			t.Errorf("gokeepalivedctl.8 has no item for flag %s", tag)
		}
	})
	for _, c := range ctlcli.Commands {
		if !strings.Contains(page, "\n.TP\n"+strings.TrimSpace(c.Name+" "+c.Args)+"\n") {
			t.Errorf("gokeepalivedctl.8 has no item for command %s", c.Name)
		}
	}
	for _, e := range ctlcli.ExitCodes {
		if !strings.Contains(page, fmt.Sprintf("\n.TP\n%d\n%s", e.Code, e.Text)) {
			t.Errorf("gokeepalivedctl.8 EXIT STATUS lacks %d %s", e.Code, e.Text)
		}
	}
}

// gokeepalivedctl reports the same version as gokeepalived (the .deb
// build stamps both).
func TestCtlVersionMatchesDaemon(t *testing.T) {
	if ctlcli.Version != cli.Version {
		t.Errorf("ctlcli.Version %q != cli.Version %q", ctlcli.Version, cli.Version)
	}
}

// Every keyword of the table is documented under its block, with its
// status, alias and deprecation.
func TestConfPageHasEveryKeyword(t *testing.T) {
	dir := generate(t)
	page := unroff(read(t, dir, "man/man5/gokeepalived.conf.5"))
	sections := map[string]string{}
	for _, s := range strings.Split(page, "\n.SS ")[1:] {
		name, body, _ := strings.Cut(s, "\n")
		sections[name] = body
	}
	unimpl := map[string]bool{}
	for _, r := range config.UnsupportedKeywords() {
		unimpl[r.Block+"\x00"+r.Keyword.Name] = true
	}
	n := 0
	for _, r := range config.AllKeywords() {
		body, ok := sections[r.Block]
		if !ok {
			t.Errorf("no section for block %q", r.Block)
			continue
		}
		k := r.Keyword
		i := strings.Index(body, "\n.TP\n"+k.Name+" ")
		if i < 0 {
			i = strings.Index(body, "\n.TP\n"+k.Name+"\n")
		}
		if i < 0 {
			t.Errorf("block %s: keyword %s is missing", r.Block, k.Name)
			continue
		}
		n++
		item := body[i+5:]
		if j := strings.Index(item, "\n.TP\n"); j >= 0 {
			item = item[:j]
		}
		if unimpl[r.Block+"\x00"+k.Name] && !strings.Contains(item, "Not implemented") {
			t.Errorf("%s %s is not implemented, but its item does not say so:\n%s", r.Block, k.Name, item)
		}
		if k.AliasOf != "" && !strings.Contains(item, "spelling of "+k.AliasOf) {
			t.Errorf("%s %s: alias of %s not documented:\n%s", r.Block, k.Name, k.AliasOf, item)
		}
		if k.Deprecated != "" && !strings.Contains(item, "Deprecated") {
			t.Errorf("%s %s: deprecation not documented:\n%s", r.Block, k.Name, item)
		}
	}
	if n == 0 {
		t.Fatal("the keyword table is empty")
	}
	// One item in full: the synopsis and the range come from the table.
	if want := "\n.TP\nvirtual_router_id integer\nRange: integer from 1 to 255.\n"; !strings.Contains(page, want) {
		t.Errorf("gokeepalived.conf.5 lacks %q", want)
	}
}

// groff and man render every page without a warning.
func TestPagesRenderWithoutWarnings(t *testing.T) {
	groff := needTool(t, "groff", "groff-base")
	man := needTool(t, "man", "man-db")
	dir := generate(t)
	for _, name := range Files[:3] {
		path := filepath.Join(dir, name)
		for _, argv := range [][]string{
			{groff, "-man", "-Tutf8", "-ww", "-z", path},
			{man, "--warnings", "-l", path},
		} {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("%s warns:\n%s", strings.Join(argv, " "), stderr.String())
			}
			if argv[0] == man && !bytes.Contains(stdout.Bytes(), []byte("NAME")) {
				t.Errorf("%s printed no NAME section:\n%s", strings.Join(argv, " "), stdout.String())
			}
		}
	}
}

// The words the completion offers are accepted by the command line, and
// every flag named in this package's tables exists.
func TestCompletionWordsAreAccepted(t *testing.T) {
	for _, f := range Facilities {
		if _, err := cli.Parse([]string{"-S", f}, nil); err != nil {
			t.Errorf("facility %s: %v", f, err)
		}
	}
	for _, b := range Backends {
		if _, err := cli.Parse([]string{"--lb-backend", b}, nil); err != nil {
			t.Errorf("backend %s: %v", b, err)
		}
	}
	for _, f := range LogFormats {
		if _, err := cli.Parse([]string{"--log-format", f}, nil); err != nil {
			t.Errorf("log format %s: %v", f, err)
		}
	}
	if _, err := cli.Parse([]string{"--log-format", "xml"}, nil); err == nil {
		t.Error("--log-format xml accepted")
	}
	for _, s := range Sigfuncs {
		if _, err := cli.Signum(s); err != nil {
			t.Errorf("sigfunc %s: %v", s, err)
		}
	}
	fs := cli.FlagSet()
	for name := range flagDocs {
		if fs.Lookup(name) == nil {
			t.Errorf("flagDocs names %q, which is not a gokeepalived flag", name)
		}
	}
	for name := range daemonCompletion().Values {
		if fs.Lookup(name) == nil {
			t.Errorf("the completion names %q, which is not a gokeepalived flag", name)
		}
	}
}

func TestBashCompletion(t *testing.T) {
	bash := needTool(t, "bash", "bash")
	dir := generate(t)
	files := t.TempDir()
	if err := os.WriteFile(filepath.Join(files, "keepalived.conf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range Files[3:5] {
		if out, err := exec.Command(bash, "-n", filepath.Join(dir, f)).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", f, err, out)
		}
	}
	// complete runs the completion function for a command line whose last
	// word is being completed, and returns the candidates.
	complete := func(script string, words ...string) string {
		t.Helper()
		var q []string
		for _, w := range words {
			q = append(q, "'"+w+"'")
		}
		prog := `source "$1"; COMP_WORDS=(` + strings.Join(q, " ") + `); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); ` +
			`_` + strings.ReplaceAll(words[0], "-", "_") + `; printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '`
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog, "bash", filepath.Join(dir, script))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", words, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	d, c := Files[3], Files[4]
	for _, tc := range []struct {
		script string
		words  []string
		want   string
	}{
		{d, []string{"gokeepalived", "--lb-"}, "--lb-backend"},
		{d, []string{"gokeepalived", "--lb-backend", "n"}, "nft"},
		{d, []string{"gokeepalived", "--lb-backend", "=", ""}, "auto ipvs nft"},
		{d, []string{"gokeepalived", "-S", "local1"}, "local1"},
		{d, []string{"gokeepalived", "--signum", "STATS"}, "STATS STATS_CLEAR"},
		{d, []string{"gokeepalived", "-f", files + "/keep"}, files + "/keepalived.conf"},
		{d, []string{"gokeepalived", "--config-test", "=", files + "/keep"}, files + "/keepalived.conf"},
		{d, []string{"gokeepalived", "-t", "--dump"}, "--dump-conf"}, // -t takes its value only after =
		{d, []string{"gokeepalived", "-i", ""}, ""},
		{d, []string{"gokeepalived", "-T", "-s", "--"}, ""}, // genhash's arguments
		{c, []string{"gokeepalivedctl", ""}, "failover maintenance reload status"},
		{c, []string{"gokeepalivedctl", "--js"}, "--json"},
		{c, []string{"gokeepalivedctl", "--socket", files + "/k"}, files + "/keepalived.conf"},
	} {
		if got := complete(tc.script, tc.words...); got != tc.want {
			t.Errorf("completing %q: got %q, want %q", tc.words, got, tc.want)
		}
	}
}

func TestZshCompletionParses(t *testing.T) {
	zsh := needTool(t, "zsh", "zsh")
	dir := generate(t)
	for _, f := range Files[5:] {
		if out, err := exec.Command(zsh, "-n", filepath.Join(dir, f)).CombinedOutput(); err != nil {
			t.Errorf("zsh -n %s: %v\n%s", f, err, out)
		}
	}
}

func TestDefaultDate(t *testing.T) {
	now := time.Date(2030, 5, 6, 23, 0, 0, 0, time.FixedZone("x", 3*3600))
	if got := defaultDate("", now); got != "2030-05-06" {
		t.Errorf("no SOURCE_DATE_EPOCH: %s", got)
	}
	if got := defaultDate("86400", now); got != "1970-01-02" {
		t.Errorf("SOURCE_DATE_EPOCH=86400: %s", got)
	}
}

// The options file the package installs as /etc/default/gokeepalived
// explains every flag, in its long and short forms.
func TestOptionsFileNamesEveryFlag(t *testing.T) {
	b, err := os.ReadFile("../../../packaging/default.gokeepalived")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	cli.FlagSet().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if !regexp.MustCompile(`--` + regexp.QuoteMeta(f.Name) + `\b`).MatchString(text) {
			t.Errorf("packaging/default.gokeepalived does not mention --%s", f.Name)
		}
		if f.Shorthand != "" && !regexp.MustCompile(`(\s|,)-`+regexp.QuoteMeta(f.Shorthand)+`\b`).MatchString(text) {
			t.Errorf("packaging/default.gokeepalived does not mention -%s (--%s)", f.Shorthand, f.Name)
		}
	})
}

// The man page says "no effect" for exactly the flags the daemon warns
// about at start.
func TestNoEffectNotesMatchTheDaemon(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.conf")
	cli.FlagSet().VisitAll(func(f *pflag.Flag) {
		switch f.Name {
		case "genhash", "help", "version", "signum", "unsupported-keywords", "namespace", "config-test", "use-file":
			return // they exit before the warnings, or are the test's own
		}
		arg := "--" + f.Name
		if f.Value.Type() != "bool" {
			arg += "=x"
			if f.Name == "log-facility" {
				arg = "--log-facility=daemon"
			} else if f.Name == "umask" {
				arg = "--umask=022"
			} else if f.Name == "lb-backend" {
				arg = "--lb-backend=auto"
			}
		}
		var stdout, stderr bytes.Buffer
		cli.Main([]string{arg, "-t", "-f", missing}, &stdout, &stderr)
		warns := strings.Contains(stderr.String(), "not implemented yet; it has no effect")
		documented := strings.HasPrefix(flagDocs[f.Name].Note, noEffect)
		if warns != documented {
			t.Errorf("%s: the daemon warns %v, the man page says no effect %v\n%s", arg, warns, documented, stderr.String())
		}
	})
}
