package docs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tracelink/tracelink/parser"
)

// repoRoot returns the repository root (two levels above this package).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod: %v", root, err)
	}
	return root
}

func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return string(b)
}

// checkPropertyTable reports a property of props missing from rows, or documented there with
// another default or other accepted values.
func checkPropertyTable(t *testing.T, rows map[string]tableRow, props []parser.Property) {
	t.Helper()
	for _, p := range props {
		r, ok := rows[strings.ToLower(p.Name)]
		if !ok {
			t.Errorf("README.md: property %s is missing from the property reference table", p.Name)
			continue
		}
		if r.Default != p.Default {
			t.Errorf("README.md:%d: %s default is %q, the code says %q", r.Line, p.Name, r.Default, p.Default)
		}
		if r.Accepted != p.Accepted {
			t.Errorf("README.md:%d: %s accepts %q, the code says %q", r.Line, p.Name, r.Accepted, p.Accepted)
		}
	}
}

// readmeRows returns README.md's property table rows by lowercase name, failing on duplicates.
func readmeRows(t *testing.T) map[string]tableRow {
	t.Helper()
	rows := map[string]tableRow{}
	for _, r := range propertyRows(readRepoFile(t, "README.md")) {
		k := strings.ToLower(r.Name)
		if prev, dup := rows[k]; dup {
			t.Errorf("README.md:%d: property %s is already documented at line %d", r.Line, r.Name, prev.Line)
		}
		rows[k] = r
	}
	if len(rows) == 0 {
		t.Fatal("README.md has no property reference table (header: | Name | Default | Accepted | What it does |)")
	}
	return rows
}

func TestReadmeDocumentsEveryProperty(t *testing.T) {
	rows := readmeRows(t)
	checkPropertyTable(t, rows, parser.Properties())
	checkPropertyTable(t, rows, sinkProperties())
	known := map[string]bool{}
	for _, p := range append(parser.Properties(), sinkProperties()...) {
		known[strings.ToLower(p.Name)] = true
	}
	var unknown []tableRow
	for k, r := range rows {
		if !known[k] {
			unknown = append(unknown, r)
		}
	}
	sort.Slice(unknown, func(i, j int) bool { return unknown[i].Line < unknown[j].Line })
	for _, r := range unknown {
		t.Errorf("README.md:%d: documents property %s, which the code does not accept", r.Line, r.Name)
	}
}

// The README's <!-- example --> commands run in cmd/tracelink's tests (readme_test.go),
// with that test binary as the CLI: no build of the CLI here.

func TestSameJSON(t *testing.T) {
	tests := []struct {
		got, want string
		same      bool
	}{
		{`{"a":1,"b":"x"}` + "\n", "{\n  \"b\": \"x\",\n  \"a\": 1\n}", true},
		{`{"id":18446744073709551615}`, `{"id":18446744073709551614}`, false},
		{`{"a":1}` + "\n" + `{"a":2}`, `{"a":1}`, false},
		{`{"a":"1"}`, `{"a":1}`, false},
		{`not json`, `{}`, false},
	}
	for _, tt := range tests {
		if err := SameJSON(tt.got, tt.want); (err == nil) != tt.same {
			t.Errorf("SameJSON(%q, %q) = %v, want same=%v", tt.got, tt.want, err, tt.same)
		}
	}
}

func TestConfigMapEmbedsRootConfig(t *testing.T) {
	var cm struct {
		Kind string            `yaml:"kind"`
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "deploy/kubernetes/configmap.yaml")), &cm); err != nil {
		t.Fatalf("deploy/kubernetes/configmap.yaml: %v", err)
	}
	if cm.Kind != "ConfigMap" {
		t.Fatalf("deploy/kubernetes/configmap.yaml: kind %q, want ConfigMap", cm.Kind)
	}
	got, ok := cm.Data["fluent-bit.conf"]
	if !ok {
		t.Fatal("deploy/kubernetes/configmap.yaml: no data key fluent-bit.conf")
	}
	want := readRepoFile(t, "fluent-bit.conf")
	if got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("the ConfigMap's fluent-bit.conf differs from the root fluent-bit.conf at line %d:\nconfigmap: %q\nroot:      %q", i+1, g, w)
			}
		}
	}
}

// TestYAMLParses decodes every document of every YAML file under deploy/ and fluent-bit.yaml;
// Kubernetes manifests must name their apiVersion and kind.
func TestYAMLParses(t *testing.T) {
	root := repoRoot(t)
	files := []string{filepath.Join(root, "fluent-bit.yaml")}
	err := filepath.WalkDir(filepath.Join(root, "deploy"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk deploy/: %v", err)
	}
	manifests := 0
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", rel, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		docs := 0
		for {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("%s: document %d: %v", rel, docs+1, err)
				break
			}
			docs++
			if strings.HasPrefix(rel, "deploy"+string(filepath.Separator)+"kubernetes") {
				manifests++
				if doc["apiVersion"] == nil || doc["kind"] == nil {
					t.Errorf("%s: document %d has no apiVersion or kind", rel, docs)
				}
			}
		}
		if docs == 0 {
			t.Errorf("%s holds no YAML document", rel)
		}
	}
	if manifests == 0 {
		t.Error("found no Kubernetes manifests under deploy/kubernetes")
	}
}
