package export

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/superd/superd/pkg/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// archive is a txtar file: a comment, then "-- name --" sections.
type archive struct {
	comment string
	files   []File
}

func readArchive(t *testing.T, path string) *archive {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a := &archive{}
	var cur *File
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --\n") {
			a.files = append(a.files, File{Name: strings.TrimSuffix(strings.TrimPrefix(line, "-- "), " --\n")})
			cur = &a.files[len(a.files)-1]
			continue
		}
		if cur == nil {
			a.comment += line
		} else {
			cur.Data = append(cur.Data, line...)
		}
	}
	return a
}

func (a *archive) get(name string) (string, bool) {
	for _, f := range a.files {
		if f.Name == name {
			return string(f.Data), true
		}
	}
	return "", false
}

func (a *archive) format() []byte {
	var b strings.Builder
	b.WriteString(a.comment)
	for _, f := range a.files {
		b.WriteString("-- " + f.Name + " --\n")
		b.Write(f.Data)
		if len(f.Data) > 0 && f.Data[len(f.Data)-1] != '\n' {
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}

// inputs writes the archive's input files (those under in/) into a
// temporary directory and returns it.
func (a *archive) inputs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range a.files {
		name, ok := strings.CutPrefix(f.Name, "in/")
		if !ok {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(f.Data), "$DIR", dir)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goldenExport runs export over every testdata/<format>/*.txtar: the
// in/ files are the input (in/superd.conf the main config), the out/
// files the expected output and "notes" the expected notes; $DIR
// stands for the directory the input was written to.
func goldenExport(t *testing.T, format string, export func(*config.Config, Options) (*Result, error), opt Options,
	check func(t *testing.T, res *Result)) {
	paths, _ := filepath.Glob(filepath.Join("testdata", format, "*.txtar"))
	if len(paths) == 0 {
		t.Fatalf("no golden files for %s", format)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			a := readArchive(t, path)
			dir := a.inputs(t)
			cfg, err := config.Load(filepath.Join(dir, "superd.conf"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := export(cfg, opt)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, f := range res.Files {
				got["out/"+f.Name] = strings.ReplaceAll(string(f.Data), dir, "$DIR")
			}
			sort.Strings(res.Notes)
			notes := strings.ReplaceAll(strings.Join(res.Notes, "\n"), dir, "$DIR")
			if notes != "" {
				notes += "\n"
			}
			got["notes"] = notes
			if *update {
				n := &archive{comment: a.comment}
				for _, f := range a.files {
					if strings.HasPrefix(f.Name, "in/") {
						n.files = append(n.files, f)
					}
				}
				var names []string
				for k := range got {
					names = append(names, k)
				}
				sort.Strings(names)
				for _, k := range names {
					if k == "notes" && got[k] == "" {
						continue
					}
					n.files = append(n.files, File{Name: k, Data: []byte(got[k])})
				}
				if err := os.WriteFile(path, n.format(), 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				for _, f := range a.files {
					if strings.HasPrefix(f.Name, "in/") {
						continue
					}
					g, ok := got[f.Name]
					if !ok {
						t.Errorf("%s: not produced", f.Name)
						continue
					}
					if g != string(f.Data) {
						t.Errorf("%s differs:\n--- got ---\n%s--- want ---\n%s", f.Name, g, f.Data)
					}
					delete(got, f.Name)
				}
				for k, v := range got {
					if k == "notes" && v == "" {
						continue
					}
					t.Errorf("%s: produced but not in the golden file:\n%s", k, v)
				}
			}
			if check != nil {
				check(t, res)
			}
		})
	}
}
