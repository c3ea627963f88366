package fbconf

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeFiles creates the given files (name -> content) in a fresh directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const classicMain = `# main config
@SET PROJECT=from-set
[SERVICE]
    Flush        1
    Log_Level    info

[INPUT]
    Name   forward
    Name2  ignored

[OUTPUT]
    Name   stdout
    Match  *

@INCLUDE outputs/tracelink.conf

[OUTPUT]
    name        TraceLink
    Match       app.*
    Format      datadog
    Grok_Pattern %{GREEDYDATA:message}
`

const classicInclude = `[OUTPUT]
    Name        tracelink
    Match       kube.*
    Project_ID  ${PROJECT}
    Host        ${FORWARD_HOST}
    Port	24224
`

func TestLoadClassic(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"fluent-bit.conf":        classicMain,
		"outputs/tracelink.conf": classicInclude,
	})
	main := filepath.Join(dir, "fluent-bit.conf")
	got, err := LoadEnv(main, env(map[string]string{"FORWARD_HOST": "127.0.0.1", "PROJECT": "from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d sections, want 2: %+v", len(got), got)
	}
	inc := filepath.Join(dir, "outputs/tracelink.conf")
	want0 := map[string]string{"Name": "tracelink", "Match": "kube.*", "Project_ID": "from-set", "Host": "127.0.0.1", "Port": "24224"}
	if !reflect.DeepEqual(got[0].Props, want0) || got[0].File != inc || got[0].Line != 1 {
		t.Errorf("section 0 = %+v, want props %v at %s:1", got[0], want0, inc)
	}
	if got[0].Pos("Host") != inc+":5" {
		t.Errorf("Pos(Host) = %s", got[0].Pos("Host"))
	}
	want1 := map[string]string{"name": "TraceLink", "Match": "app.*", "Format": "datadog", "Grok_Pattern": "%{GREEDYDATA:message}"}
	if !reflect.DeepEqual(got[1].Props, want1) || got[1].File != main || got[1].Line != 17 {
		t.Errorf("section 1 = %+v, want props %v at %s:17", got[1], want1, main)
	}
	if got[1].Pos("Grok_Pattern") != main+":21" || got[1].Pos("missing") != main+":17" {
		t.Errorf("Pos = %s / %s", got[1].Pos("Grok_Pattern"), got[1].Pos("missing"))
	}
}

func TestLoadClassicEnvironmentAndGlob(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.conf":     "@INCLUDE conf.d/*.conf\n[OUTPUT]\n  Name tracelink\n  Project_ID ${GOOGLE_CLOUD_PROJECT}\n  Trace_Key ${UNSET}x\n",
		"conf.d/a.conf": "[OUTPUT]\n  Name tracelink\n  Match a\n",
		"conf.d/b.conf": "[OUTPUT]\n  Name null\n  Match b\n",
	})
	got, err := LoadEnv(filepath.Join(dir, "main.conf"), env(map[string]string{"GOOGLE_CLOUD_PROJECT": "env-project"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Props["Match"] != "a" || got[1].Props["Project_ID"] != "env-project" || got[1].Props["Trace_Key"] != "x" {
		t.Fatalf("got %+v", got)
	}
}

func TestLoadClassicErrors(t *testing.T) {
	tests := []struct {
		name, content, wantPos, wantText string
	}{
		{"missing include", "[SERVICE]\n  Flush 1\n@INCLUDE nope.conf\n", "main.conf:3", "nope.conf"},
		{"key outside section", "Name tracelink\n", "main.conf:1", "outside any [SECTION]"},
		{"key without value", "[OUTPUT]\n  Name tracelink\n  Match\n", "main.conf:3", `key "Match" has no value`},
		{"bad header", "[OUTPUT\n", "main.conf:1", "malformed section header"},
		{"bad set", "@SET novalue\n", "main.conf:1", "@SET wants VAR=value"},
		{"unknown directive", "@FOO bar\n", "main.conf:1", "unknown directive"},
		{"include cycle", "@INCLUDE main.conf\n", "main.conf:1", "include cycle"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"main.conf": tc.content})
			_, err := LoadEnv(filepath.Join(dir, "main.conf"), env(nil))
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tc.wantPos) || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %q, want it to name %s and say %q", err, tc.wantPos, tc.wantText)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.conf"))
	if err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Fatalf("err = %v, want a not-exist error", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

const yamlMain = `env:
  PROJECT: yaml-project
includes:
  - more/outputs.yaml
service:
  flush: 1
pipeline:
  inputs:
    - name: forward
      port: 24224
  outputs:
    - name: stdout
      match: '*'
    - name: tracelink
      match: 'app.*'
      project_id: ${PROJECT}
      merge_log: on
      port: 24225
      processors:
        logs:
          - name: content_modifier
    - name: TRACELINK
      match: 'db.*'
      format: otel
`

const yamlInclude = `pipeline:
  outputs:
    - name: tracelink
      match: 'inc.*'
      host: ${HOST}
`

func TestLoadYAML(t *testing.T) {
	dir := writeFiles(t, map[string]string{"fluent-bit.yaml": yamlMain, "more/outputs.yaml": yamlInclude})
	main := filepath.Join(dir, "fluent-bit.yaml")
	got, err := LoadEnv(main, env(map[string]string{"HOST": "fb-host", "PROJECT": "env-loses"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d sections, want 3: %+v", len(got), got)
	}
	want := []map[string]string{
		{"name": "tracelink", "match": "inc.*", "host": "fb-host"},
		{"name": "tracelink", "match": "app.*", "project_id": "yaml-project", "merge_log": "on", "port": "24225"},
		{"name": "TRACELINK", "match": "db.*", "format": "otel"},
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].Props, want[i]) {
			t.Errorf("section %d props = %v, want %v", i, got[i].Props, want[i])
		}
	}
	if got[1].File != main || got[1].Line != 14 || got[1].Pos("merge_log") != main+":17" {
		t.Errorf("section 1 at %s:%d, merge_log at %s", got[1].File, got[1].Line, got[1].Pos("merge_log"))
	}
	if got[0].File != filepath.Join(dir, "more/outputs.yaml") || got[0].Line != 3 {
		t.Errorf("section 0 at %s:%d", got[0].File, got[0].Line)
	}
}

func TestLoadYAMLErrors(t *testing.T) {
	tests := []struct {
		name, content, wantText string
	}{
		{"missing include", "includes:\n  - absent.yaml\n", "main.yaml:2: include absent.yaml"},
		{"syntax", "pipeline: [\n", "main.yaml"},
		{"outputs not a list", "pipeline:\n  outputs:\n    name: tracelink\n", "main.yaml:3: pipeline.outputs must be a list"},
		{"list value", "pipeline:\n  outputs:\n    - name: tracelink\n      grok_pattern:\n        - a\n", "main.yaml:4: key grok_pattern"},
		{"env not a map", "env: [1]\n", "main.yaml:1: env must be a map"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"main.yaml": tc.content})
			_, err := LoadEnv(filepath.Join(dir, "main.yaml"), env(nil))
			if err == nil || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %v, want it to contain %q", err, tc.wantText)
			}
		})
	}
}

func TestLoadEmptyAndNoTracelink(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"empty.yaml": "",
		"other.conf": "[OUTPUT]\n  Name stdout\n",
		"other.yml":  "pipeline:\n  outputs:\n    - name: stdout\n      processors:\n        logs: []\n",
	})
	for _, f := range []string{"empty.yaml", "other.conf", "other.yml"} {
		got, err := LoadEnv(filepath.Join(dir, f), env(nil))
		if err != nil || len(got) != 0 {
			t.Errorf("%s: %v, %v; want no sections and no error", f, got, err)
		}
	}
}

// FuzzLoadClassic checks the classic parser never panics and that every section it
// returns is a tracelink one.
func FuzzLoadClassic(f *testing.F) {
	f.Add([]byte(classicMain))
	f.Add([]byte(classicInclude))
	f.Add([]byte("@SET A=${A}${A}\n[OUTPUT]\n Name tracelink\n X ${A\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := &loader{vars: map[string]string{}, getenv: env(nil), active: map[string]bool{}}
		if err := l.loadClassic("/nonexistent/fuzz.conf", data, 0); err != nil {
			return
		}
		for _, s := range l.sections {
			if !isTracelink(s.Props) {
				t.Fatalf("returned a non-tracelink section %v", s.Props)
			}
		}
	})
}

// FuzzLoadYAML checks the YAML reader never panics on any document.
func FuzzLoadYAML(f *testing.F) {
	f.Add([]byte(yamlMain))
	f.Add([]byte(yamlInclude))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := &loader{vars: map[string]string{}, getenv: env(nil), active: map[string]bool{}}
		if err := l.loadYAML("/nonexistent/fuzz.yaml", data, 0); err != nil {
			return
		}
		for _, s := range l.sections {
			if !isTracelink(s.Props) {
				t.Fatalf("returned a non-tracelink section %v", s.Props)
			}
		}
	})
}
