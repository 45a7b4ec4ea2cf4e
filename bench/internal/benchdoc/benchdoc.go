// Package benchdoc holds what the benchmarks share to write their reports:
// a section of docs/benchmarks.md replaced in place, and the machine facts
// every report states.
package benchdoc

import (
	"os"
	"os/exec"
	"strings"
)

// WriteSection replaces the section of the markdown file at path that starts
// with heading (a "## " line) and ends at the next "## " line, or appends it;
// every other section stays as it is. section starts with heading. A new file
// starts with "# Benchmarks".
func WriteSection(path, heading, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(old)
	if doc == "" {
		doc = "# Benchmarks\n"
	}
	section = strings.TrimRight(section, "\n") + "\n"
	if i := strings.Index(doc, heading+"\n"); i >= 0 && (i == 0 || doc[i-1] == '\n') {
		rest := doc[i+len(heading):]
		end := len(doc)
		if j := strings.Index(rest, "\n## "); j >= 0 {
			end = i + len(heading) + j + 1
			section += "\n"
		}
		doc = doc[:i] + section + doc[end:]
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}

// LoadAvg is the 1, 5 and 15 minute load averages, "?" if unknown.
func LoadAvg() string {
	f := strings.Fields(ReadFile("/proc/loadavg"))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// CPUModel is the first "model name" of /proc/cpuinfo, "" if unknown.
func CPUModel() string {
	for _, line := range strings.Split(ReadFile("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// CmdOut is a command's trimmed output, "" if it failed.
func CmdOut(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// FirstLine is s up to its first newline.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// ReadFile is a file's trimmed content, "" if it cannot be read.
func ReadFile(path string) string {
	data, _ := os.ReadFile(path)
	return strings.TrimSpace(string(data))
}
