package syntax

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestTestdata parses every testdata/*.conf (the seed's keepalived sample
// and nginx pair among them): no diagnostics, and Dump matches the golden.
func TestTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/*.conf")
	if err != nil || len(files) < 3 {
		t.Fatalf("testdata: %v %v", files, err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			f, ds := ParseFile(name, Options{ConfigID: "main", RandomSeed: 1})
			if len(ds) != 0 {
				t.Errorf("diagnostics:\n%v", ds)
			}
			var got bytes.Buffer
			if err := Dump(&got, f.Nodes); err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(name, ".conf") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("Dump (-want +got):\n%s", diff)
			}
			checkRoundTrip(t, f.Nodes)
		})
	}
}

// ignorePos compares trees without positions.
var ignorePos = cmp.Options{
	cmpopts.IgnoreFields(Node{}, "Pos", "EndPos"),
	cmpopts.IgnoreFields(Arg{}, "Pos"),
	cmpopts.EquateEmpty(),
}

// checkRoundTrip dumps nodes, parses the dump and wants the same tree.
func checkRoundTrip(t *testing.T, nodes []*Node) {
	t.Helper()
	var b bytes.Buffer
	if err := Dump(&b, nodes); err != nil {
		t.Fatal(err)
	}
	f, ds := ParseBytes("dump.conf", b.Bytes(), Options{FS: emptyFS{}})
	if ds.HasErrors() {
		t.Fatalf("reparsing the dump:\n%v\ndump:\n%s", ds, b.String())
	}
	if diff := cmp.Diff(nodes, f.Nodes, ignorePos); diff != "" {
		t.Fatalf("round trip (-parsed +reparsed):\n%s\ndump:\n%s", diff, b.String())
	}
}

func TestDumpEscapes(t *testing.T) {
	nodes := []*Node{
		{Keyword: "@k", Args: []Arg{{Text: "a b"}, {Text: "#!{}\"'\\"}, {Text: "${X} $Y $1"}, {Text: "\x00\n"}}},
		{Keyword: "include", Args: []Arg{{Text: `q "{x}" # ${_HASH}`, Quoted: true}, {Text: "", Quoted: true}}},
		{Keyword: "~SEQ(a,1,2)", Block: true, Children: []*Node{{Keyword: "$A=1"}}},
	}
	var b bytes.Buffer
	if err := Dump(&b, nodes); err != nil {
		t.Fatal(err)
	}
	want := `\100k a\040b \#\!\173\175\042\'\\ \044\173X\175\040\044Y\040$1 \000\012
\151nclude "q \042{x}\042 # \044{_HASH}" ""
\176SEQ(a,1,2) {
    \044A=1
}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("Dump (-want +got):\n%s", diff)
	}
	checkRoundTrip(t, nodes)
}

func TestSplitWords(t *testing.T) {
	got, err := SplitWords(`/bin/notify 'two words' "x\"y" a\ b`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/bin/notify", "two words", `x"y`, "a b"}, got); diff != "" {
		t.Errorf("SplitWords (-want +got):\n%s", diff)
	}
	if _, err := SplitWords(`a "b`); err == nil {
		t.Error("SplitWords with an open quote: want an error")
	}
}
