package syntax

import (
	"os"
	"path/filepath"
	"testing"
)

// A glob include in a file opened by a relative path (gokeepalived -t -f
// etc/keepalived.conf) must find the included files: their names are
// resolved once, not joined to the working directory twice.
func TestGlobIncludeRelativePathOnOS(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "conf", "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("conf/main.conf", "include conf.d/*.conf\n")
	write("conf/conf.d/a.conf", "vrrp_instance A {\n}\n")
	write("conf/conf.d/b.conf", "vrrp_instance B {\n}\n")
	t.Chdir(dir)
	f, ds := ParseFile("conf/main.conf", Options{})
	if len(ds) != 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	if len(f.Nodes) != 2 || f.Nodes[0].Args[0].Text != "A" || f.Nodes[1].Args[0].Text != "B" {
		t.Fatalf("nodes = %v", f.Nodes)
	}
	if got, want := f.Nodes[0].Pos.File, filepath.Join(dir, "conf/conf.d/a.conf"); got != want {
		t.Errorf("position file = %q, want %q", got, want)
	}
}
