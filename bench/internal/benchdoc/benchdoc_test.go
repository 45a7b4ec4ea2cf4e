package benchdoc

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteSection(t *testing.T) {
	const h = "## Load"
	tests := []struct {
		name, old, want string
	}{
		{"new file", "", "# Benchmarks\n\n## Load\nnew\n"},
		{"appended", "# Benchmarks\n\n## Failover\nf\n", "# Benchmarks\n\n## Failover\nf\n\n## Load\nnew\n"},
		{"replaced, last", "# Benchmarks\n\n## Failover\nf\n\n## Load\nold\nold\n", "# Benchmarks\n\n## Failover\nf\n\n## Load\nnew\n"},
		{"replaced, middle", "# Benchmarks\n\n## Load\nold\n\n## Failover\nf\n", "# Benchmarks\n\n## Load\nnew\n\n## Failover\nf\n"},
		{"a longer heading is another section", "# Benchmarks\n\n## Load average\nx\n", "# Benchmarks\n\n## Load average\nx\n\n## Load\nnew\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "b.md")
			if tt.old != "" {
				if err := os.WriteFile(path, []byte(tt.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteSection(path, h, h+"\nnew\n"); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if d := cmp.Diff(tt.want, string(got)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
