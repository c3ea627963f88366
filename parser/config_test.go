package parser

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPropertyErrors(t *testing.T) {
	cases := []struct {
		props     map[string]string
		wantInMsg []string
	}{
		{map[string]string{"Format": "splunk", "project_id": "my-project"}, []string{"Format", `"splunk"`, "stackdriver, datadog, otel"}},
		{map[string]string{"format": "stackdriver", "Project_ID": "projects/x"}, []string{"Project_ID", `"projects/x"`, "project id"}},
		{map[string]string{"format": "stackdriver", "Project_ID": "my project"}, []string{"Project_ID", `"my project"`}},
		{map[string]string{"project_id": "my-project", "merge_log": "maybe"}, []string{"Merge_Log", `"maybe"`, "on, off"}},
		{map[string]string{"project_id": "my-project", "severity": "2"}, []string{"Severity", `"2"`}},
		{map[string]string{"project_id": "my-project", "source_location": "x"}, []string{"Source_Location"}},
		{map[string]string{"project_id": "my-project", "event_time": "x"}, []string{"Event_Time"}},
		{map[string]string{"project_id": "my-project", "datadog_trace_id": "octal"}, []string{"Datadog_Trace_Id", `"octal"`, "decimal, hex"}},
		{map[string]string{"project_id": "my-project", "trace_key": "a..b"}, []string{"Trace_Key", `"a..b"`}},
		{map[string]string{"project_id": "my-project", "span_key": ".x"}, []string{"Span_Key"}},
		{map[string]string{"project_id": "my-project", "sampled_key": "x."}, []string{"Sampled_Key"}},
		{map[string]string{"project_id": "my-project", "output_trace_key": " "}, []string{"Output_Trace_Key", "non-empty"}},
		{map[string]string{"project_id": "my-project", "grok_pattern": "%{NOSUCHPATTERN:trace_id}"}, []string{"Grok_Pattern", "NOSUCHPATTERN"}},
		{map[string]string{"project_id": "my-project", "grok_pattern": "%{WORD:level}"}, []string{"Grok_Pattern", "trace_id"}},
		{map[string]string{"project_id": "my-project", "grok_pattern_2": "(unclosed %{WORD:trace_id}"}, []string{"Grok_Pattern_2"}},
		{map[string]string{"project_id": "my-project", "grok_patterns_file": "/nonexistent/p"}, []string{"Grok_Patterns_File", "Grok_Pattern"}},
		{map[string]string{"project_id": "my-project", "grok_pattern": "%{WORD:trace_id}", "grok_patterns_file": "/nonexistent/p"}, []string{"Grok_Patterns_File", "/nonexistent/p"}},
		{map[string]string{"project_id": "my-project", "tracekey": "x"}, []string{`unknown property "tracekey"`, "Trace_Key"}},
		{map[string]string{"project_id": "my-project", "grok_pattern_32": "x"}, []string{"unknown property"}},
		{map[string]string{"project_id": "my-project", "FORMAT": "otel", "format": "datadog"}, []string{"set twice"}},
	}
	for _, c := range cases {
		_, err := New(c.props, WithGetenv(func(string) string { return "" }))
		if err == nil {
			t.Errorf("New(%v) succeeded", c.props)
			continue
		}
		for _, w := range c.wantInMsg {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("New(%v) error %q does not mention %q", c.props, err, w)
			}
		}
	}
}

func TestPropertyErrorType(t *testing.T) {
	_, err := New(map[string]string{"format": "x"})
	var pe *PropertyError
	if !errors.As(err, &pe) || pe.Property != "Format" || pe.Value != "x" {
		t.Errorf("err = %#v", err)
	}
}

func TestProjectResolution(t *testing.T) {
	noEnv := WithGetenv(func(string) string { return "" })
	env := WithGetenv(func(k string) string {
		if k == "GOOGLE_CLOUD_PROJECT" {
			return "env-project"
		}
		return ""
	})
	lookup := WithProjectLookup(func(ctx context.Context) (string, error) {
		if _, ok := ctx.Deadline(); !ok {
			return "", errors.New("lookup without deadline")
		}
		return "meta-project", nil
	})
	failing := WithProjectLookup(func(context.Context) (string, error) { return "", errors.New("no metadata server") })
	cases := []struct {
		name  string
		props map[string]string
		opts  []Option
		want  string
		err   string
	}{
		{"property wins", map[string]string{"project_id": "prop-project"}, []Option{env, lookup}, "prop-project", ""},
		{"env next", map[string]string{}, []Option{env, lookup}, "env-project", ""},
		{"metadata last", map[string]string{}, []Option{noEnv, lookup}, "meta-project", ""},
		{"nothing anywhere", map[string]string{}, []Option{noEnv}, "", "Project_ID is required"},
		{"metadata fails", map[string]string{}, []Option{noEnv, failing}, "", "no metadata server"},
		{"datadog needs none", map[string]string{"format": "datadog"}, []Option{noEnv}, "", ""},
		{"domain-scoped", map[string]string{"project_id": "example.com:my-project"}, nil, "example.com:my-project", ""},
		{"short names as in examples", map[string]string{"project_id": "P"}, nil, "P", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := New(c.props, c.opts...)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Project() != c.want {
				t.Errorf("project = %q, want %q", p.Project(), c.want)
			}
		})
	}
}

func TestPropertiesCaseInsensitive(t *testing.T) {
	p, err := New(map[string]string{"FORMAT": "Datadog", "Merge_LOG": "On"})
	if err != nil || p.Format() != FormatDatadog || !p.cfg.mergeLog {
		t.Fatalf("p=%v err=%v", p, err)
	}
	for _, prop := range Properties() {
		if !IsProperty(strings.ToUpper(prop.Name)) {
			t.Errorf("IsProperty(%q) = false", prop.Name)
		}
	}
	if !IsProperty("grok_pattern_31") || IsProperty("grok_pattern_0") || IsProperty("grok_pattern_01") {
		t.Error("numbered grok patterns")
	}
}

func TestGrokPatternsFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "patterns")
	if err := os.WriteFile(file, []byte("# ids\nMYID [0-9a-f]{32}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := newProc(t, "grok_pattern", "req=%{MYID:trace_id}", "grok_patterns_file", file)
	m, res, _ := process(t, p, logLine(t, "served req="+w3cTrace+" in 3ms"))
	if res.Source != SourceGrok || m["logging.googleapis.com/trace"] != "projects/my-project/traces/"+w3cTrace {
		t.Errorf("got %v %+v", m, res)
	}
}
