package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestCheckRepoConfigs: the shipped configs pass off Google Cloud (no project anywhere,
// no metadata server), within seconds, with a note about the project.
func TestCheckRepoConfigs(t *testing.T) {
	t.Setenv("GCE_METADATA_HOST", "127.0.0.1:1") // were it asked, it would fail
	for _, conf := range []string{"../../fluent-bit.conf", "../../fluent-bit.yaml", "../../examples/local/fluent-bit.conf"} {
		start := time.Now()
		code, out, errs := runCLI(t, "", "check", conf)
		if code != 0 || errs != "" || !strings.Contains(out, conf+": OK: 1 tracelink output(s)") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", conf, code, out, errs)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: check took %v", conf, d)
		}
	}
	_, out, _ := runCLI(t, "", "check", "../../fluent-bit.conf")
	if !strings.Contains(out, "note: Project_ID is not set") || !strings.Contains(out, "-> traced.kube.* -> stackdriver") {
		t.Errorf("fluent-bit.conf: %q lacks the project note or the route", out)
	}
}

func TestCheckFindings(t *testing.T) {
	const fwd = "[INPUT]\n  Name forward\n  Unix_Path /run/fw.sock\n"
	const tl = "[OUTPUT]\n  Name tracelink\n  Match kube.*\n  Format otel\n  Unix_Path /run/fw.sock\n"
	tests := []struct {
		name, content string
		code          int
		contains      []string
	}{
		{"ok", fwd + tl + "[OUTPUT]\n  Name stdout\n  Match traced.*\n", 0, []string{": OK: 1 tracelink output(s): Format otel, Match kube.* -> traced.kube.* -> stdout"}},
		{"prefix without dot", fwd + tl + "  Tag_Prefix traced\n[OUTPUT]\n  Name stdout\n  Match traced.*\n", 1, []string{"conf:9: error: the records tracelink hands back are tagged tracedkube.*", "did you mean Tag_Prefix traced.", ": FAIL: 1 error(s)"}},
		{"double shipping", fwd + tl + "[OUTPUT]\n  Name stdout\n  Match *\n", 1, []string{"conf:11: error: output stdout Match * matches both", "shipped twice"}},
		{"no backend", fwd + tl, 1, []string{"no output other than tracelink matches them"}},
		{"bad property", fwd + tl + "  Merge_Log perhaps\n[OUTPUT]\n  Name stdout\n  Match traced.*\n", 1, []string{"conf:9: error: property Merge_Log"}},
		{"unknown key", fwd + tl + "  Colour blue\n[OUTPUT]\n  Name stdout\n  Match traced.*\n", 1, []string{"conf:9: error: unknown tracelink property \"Colour\""}},
		{"no tracelink", "[OUTPUT]\n  Name stdout\n  Match *\n", 1, []string{"no output section with Name tracelink"}},
		{"project note", fwd + "[OUTPUT]\n  Name tracelink\n  Match kube.*\n  Unix_Path /run/fw.sock\n[OUTPUT]\n  Name stackdriver\n  Match traced.*\n", 0, []string{"conf:5: note: Project_ID is not set", "0 error(s), 0 warning(s), 1 note(s)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf := writeConfig(t, "fluent-bit.conf", tc.content)
			code, out, errs := runCLI(t, "", "check", conf)
			if code != tc.code || errs != "" {
				t.Errorf("exit %d, stderr %q; want exit %d\n%s", code, errs, tc.code, out)
			}
			for _, c := range tc.contains {
				if !strings.Contains(out, c) {
					t.Errorf("output lacks %q:\n%s", c, out)
				}
			}
		})
	}
	if code, _, errs := runCLI(t, "", "check"); code != 2 || !strings.Contains(errs, "name the config file") {
		t.Errorf("check without a file: exit %d, %q", code, errs)
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		args     []string
		contains []string
	}{
		{[]string{"-p", "format=otel", "-e", `{"trace_id":"12345"}`}, []string{`line 1: not linked; refused key log (JSON).trace_id "12345": 5 decimal digits`}},
		{[]string{"-json", "-p", "format=otel", "-e", `{"trace_id":"12345"}`}, []string{`refused key trace_id "12345"`}},
		{[]string{"-p", "format=datadog", "-e", "GET / traceparent=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
			[]string{`linked by w3c from token in log "traceparent=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"; wrote dd.trace_id="11803532876627986230", dd.span_id="67667974448284343"`}},
		{[]string{"-p", "format=otel", "-e", "hello trace=abc"}, []string{`not linked: no trace context`, `token in log "trace=abc" look like trace context`}},
		{[]string{"-p", "format=stackdriver", "-e", ddLine}, []string{"linked by datadog", "projects/project-at-run-time/traces/"}},
		{[]string{"-json", "-p", "format=otel", "-e", `{"trace_id":1.5e18}`}, []string{"a float has lost"}},
	}
	for _, tc := range tests {
		code, out, errs := runCLI(t, "", append([]string{"explain"}, tc.args...)...)
		if code != 0 || errs != "" {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, errs)
		}
		for _, c := range tc.contains {
			if !strings.Contains(out, c) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, c, out)
			}
		}
	}
	code, out, _ := runCLI(t, "plain\n"+w3cRec+"\n", "explain", "-json", "-p", "format=otel")
	if code != 0 || !strings.Contains(out, "<stdin>:1: not linked") || !strings.Contains(out, "<stdin>:2: linked by w3c from key traceparent") {
		t.Errorf("explain from stdin: exit %d, %q", code, out)
	}
}

// TestCheckHelmValues: the pipeline deploy/helm/values.yaml gives the chart (service, inputs,
// filters and outputs, assembled as the chart's ConfigMap does) passes the check.
func TestCheckHelmValues(t *testing.T) {
	b, err := os.ReadFile("../../deploy/helm/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Config struct{ Service, Inputs, Filters, Outputs string } `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	conf := strings.Join([]string{v.Config.Service, v.Config.Inputs, v.Config.Filters, v.Config.Outputs}, "\n")
	for _, tmpl := range []string{"{{ .Values.flush }}", "{{ .Values.logLevel }}", "{{ .Values.metricsPort }}"} {
		conf = strings.ReplaceAll(conf, tmpl, "1")
	}
	path := writeConfig(t, "fluent-bit.conf", conf)
	code, out, _ := runCLI(t, "", "check", path)
	if code != 0 || !strings.Contains(out, "0 error(s), 0 warning(s), 1 note(s)") || !strings.Contains(out, "-> traced.kube.* -> stackdriver") {
		t.Errorf("the Helm values' pipeline: exit %d\n%s", code, out)
	}
}
