package syntax

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// emptyFS has no files, so fuzzed include lines read nothing real.
type emptyFS struct{}

func (emptyFS) Open(name string) (fs.File, error) { return fstest.MapFS{}.Open(name) }

// FuzzParse checks that no input panics and that, for input without
// errors, Dump followed by a second parse gives the same tree.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.conf")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{FS: emptyFS{}, ConfigID: "main", MaxLines: 2000, Env: func(string) (string, bool) { return "", false }}
		file, ds := ParseBytes("fuzz.conf", data, opts)
		if ds.HasErrors() {
			return
		}
		checkRoundTrip(t, file.Nodes)
	})
}

// fuzzSeeds exercise every feature; crashers found by fuzzing are added
// here and as named cases in the table tests.
var fuzzSeeds = []string{
	"a { b \"c d\" 'e' } # x\n",
	"$A=1\n$M= \\\nx $A \\\ny\n$M\n${A}\n",
	"@main a\n@^main b\n",
	"~SEQ(I,1,3) ~LST({X,Y},{a,b}) v$I$X$Y\n",
	"include x.conf\nincludea y\n",
	`k "\x41\101\cA" \# a\ b` + "\n",
}
