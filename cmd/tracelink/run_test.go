package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// runCLI runs the command with stdin and an empty environment.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

const (
	ddLine = "2024-05-01 12:00:00,123 INFO [app] [app.py:1] [dd.service=a dd.env=b dd.version=1 dd.trace_id=8545847825299552251 dd.span_id=3711755234730770098] - hi"
	w3cRec = `{"msg":"in","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}`
)

func TestRunLinksStdin(t *testing.T) {
	code, out, errs := runCLI(t, ddLine+"\r\nplain line\n"+w3cRec, "-p", "format=datadog")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines: %q", len(lines), out)
	}
	if !strings.Contains(lines[0], `"dd.trace_id":"8545847825299552251","dd.span_id":"3711755234730770098"`) {
		t.Errorf("line 1 not linked: %s", lines[0])
	}
	if strings.Contains(lines[0], `\r`) {
		t.Errorf("CRLF not stripped: %s", lines[0])
	}
	if lines[1] != `{"log":"plain line"}` {
		t.Errorf("line 2 = %s, want it unchanged", lines[1])
	}
	if !strings.Contains(lines[2], `"dd.trace_id":"11803532876627986230"`) {
		t.Errorf("line 3 (no final newline) not linked: %s", lines[2])
	}
	want := "tracelink: 3 lines: 2 linked (datadog 1, w3c 1), 0 already linked, 0 with invalid ids, 1 without trace context\n"
	if errs != want {
		t.Errorf("summary = %q, want %q", errs, want)
	}
}

func TestRunQuietAndInvalidCount(t *testing.T) {
	code, _, errs := runCLI(t, "x\n", "-q", "-p", "format=otel")
	if code != 0 || errs != "" {
		t.Errorf("-q: exit %d, stderr %q; want 0 and nothing", code, errs)
	}
	_, _, errs = runCLI(t, "traceparent=00-00000000000000000000000000000000-00f067aa0ba902b7-01\n", "-p", "format=otel")
	if !strings.Contains(errs, "1 lines: 0 linked, 0 already linked, 1 with invalid ids, 0 without trace context") {
		t.Errorf("summary = %q, want the invalid id counted", errs)
	}
}

func TestRunJSONMode(t *testing.T) {
	in := w3cRec + "\nnot json\n[1,2]\n{\"log\":\"x\"} trailing\n"
	code, out, errs := runCLI(t, in, "-json", "-p", "format=otel")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines: %q", len(lines), out)
	}
	if !strings.HasPrefix(lines[0], `{"msg":"in","traceparent":`) || !strings.Contains(lines[0], `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`) {
		t.Errorf("record not used as is, or not linked: %s", lines[0])
	}
	for i, want := range []string{`{"log":"not json"}`, `{"log":"[1,2]"}`, `{"log":"{\"log\":\"x\"} trailing"}`} {
		if lines[i+1] != want {
			t.Errorf("line %d = %s, want %s", i+2, lines[i+1], want)
		}
	}
	if !strings.Contains(errs, "3 not JSON") {
		t.Errorf("summary %q does not count 3 lines that are not JSON", errs)
	}
}

func TestRunTime(t *testing.T) {
	rec := `{"time":"2024-05-01T12:00:00.5Z","level":"INFO","msg":"x","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}`
	code, out, errs := runCLI(t, rec+"\nno time here\n", "-json", "-time", "-q", "-p", "format=otel")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if !strings.HasPrefix(lines[0], `{"time":"2024-05-01T12:00:00.5Z","record":{"time":`) || !strings.HasSuffix(lines[0], "}}") {
		t.Errorf("-time line = %s", lines[0])
	}
	if lines[1] != `{"log":"no time here"}` {
		t.Errorf("line without a time = %s, want the bare record", lines[1])
	}
}

func TestRunFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	b := filepath.Join(dir, "b.log")
	if err := os.WriteFile(a, []byte("from a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("from b 1\nfrom b 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "from stdin\n", "-q", "-p", "format=otel", a, "-", b)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := `{"log":"from a"}` + "\n" + `{"log":"from stdin"}` + "\n" + `{"log":"from b 1"}` + "\n" + `{"log":"from b 2"}` + "\n"
	if out != want {
		t.Errorf("output = %q, want %q", out, want)
	}

	code, out, errs = runCLI(t, "", "-p", "format=otel", a, filepath.Join(dir, "missing.log"))
	if code != 1 || out != "" || !strings.Contains(errs, "missing.log") || !strings.HasPrefix(errs, "tracelink: ") {
		t.Errorf("missing file: exit %d, out %q, err %q; want exit 1, no output, an error naming the file", code, out, errs)
	}
	code, _, errs = runCLI(t, "", "-p", "format=otel", dir)
	if code != 1 || !strings.Contains(errs, "is a directory") {
		t.Errorf("directory: exit %d, err %q", code, errs)
	}
}

func TestRunLongLines(t *testing.T) {
	big := strings.Repeat("a", 300*1024) // several reader buffers, under the limit
	code, out, errs := runCLI(t, "short\n"+big+"\nafter\n", "-q", "-p", "format=otel")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := `{"log":"short"}` + "\n" + `{"log":"` + big + `"}` + "\n" + `{"log":"after"}` + "\n"
	if out != want {
		t.Errorf("long line mangled (got %d bytes, want %d)", len(out), len(want))
	}
	exact := strings.Repeat("b", MaxLine)
	if code, _, errs := runCLI(t, exact+"\r\n", "-q", "-p", "format=otel"); code != 0 {
		t.Errorf("a line of exactly MaxLine bytes: exit %d: %s", code, errs)
	}
	code, out, errs = runCLI(t, "ok\n"+strings.Repeat("c", MaxLine+1)+"\n"+strings.Repeat("d", 3*MaxLine)+"\nafter\n", "-p", "format=otel")
	if code != 0 || !strings.Contains(errs, "warning: <stdin>:2: line longer than") || !strings.Contains(errs, "warning: <stdin>:3: line longer than") {
		t.Errorf("too long: exit %d, err %q; want exit 0 and a warning for lines 2 and 3", code, errs)
	}
	if !strings.HasSuffix(errs, "tracelink: 4 lines: 0 linked, 0 already linked, 0 with invalid ids, 2 without trace context, 2 skipped (over 1 MiB)\n") {
		t.Errorf("summary %q does not count the skipped lines", errs)
	}
	if out != `{"log":"ok"}`+"\n"+`{"log":"after"}`+"\n" {
		t.Errorf("output around the long lines = %q", out)
	}
}

func TestRunFlagErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"unknown property", []string{"-p", "colour=blue"}, 2, `unknown property "colour" (known: Format, Project_ID`},
		{"no equals", []string{"-p", "format"}, 2, "want key=value"},
		{"bad value", []string{"-p", "format=splunk"}, 2, "property Format"},
		{"unknown flag", []string{"-x"}, 2, "tracelink: flag provided but not defined: -x"},
		{"section without config", []string{"-section", "1", "-p", "format=otel"}, 2, "-section needs -c"},
		{"sink key via -p", []string{"-p", "format=otel", "-p", "Host=x"}, 2, `unknown property "Host"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.contains) || out != "" || strings.Count(errs, "usage:") > 1 {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.contains)
			}
		})
	}
}

// TestRunHelpAndVersion: help goes to standard output (it is what was asked for).
func TestRunHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"check", "-h"}, {"explain", "-h"}} {
		code, out, errs := runCLI(t, "", args...)
		if code != 0 || errs != "" || !strings.HasPrefix(out, "usage: tracelink") {
			t.Errorf("%v: exit %d, stdout %.40q, stderr %q; want usage on stdout", args, code, out, errs)
		}
	}
	code, out, _ := runCLI(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "tracelink ") || !strings.Contains(out, "(commit ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// TestRunCountsAddUp: every line lands in one count, and the counts add up to the lines.
func TestRunCountsAddUp(t *testing.T) {
	in := strings.Join([]string{
		ddLine, // linked
		`{"logging.googleapis.com/trace":"projects/p-123456/traces/4bf92f3577b34da6a3ce929d0e0e4736"}`, // already linked
		`{"trace_id":"12345"}`, // invalid
		"plain",                // no trace
	}, "\n") + "\n"
	_, _, errs := runCLI(t, in, "-json", "-p", "format=stackdriver", "-p", "project_id=p-123456")
	want := "tracelink: 4 lines: 1 linked (datadog 1), 1 already linked, 1 with invalid ids, 1 without trace context; 2 not JSON\n"
	if errs != want {
		t.Errorf("summary = %q, want %q", errs, want)
	}
}

func TestApplyFlags(t *testing.T) {
	props := map[string]string{"Format": "datadog", "Grok_Pattern": "old", "Grok_Pattern_1": "old1", "Merge_Log": "on"}
	err := applyFlags(props, []string{"format=otel", "grok_pattern=%{A}", "GROK_PATTERN=%{B}=x", "grok_pattern=%{C}"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"format": "otel", "Merge_Log": "on", "Grok_Pattern": "%{A}", "Grok_Pattern_1": "%{B}=x", "Grok_Pattern_2": "%{C}"}
	if !reflect.DeepEqual(props, want) {
		t.Errorf("props = %v, want %v", props, want)
	}
	many := make([]string, 33)
	for i := range many {
		many[i] = "grok_pattern=%{X}"
	}
	if err := applyFlags(map[string]string{}, many); err == nil || !strings.Contains(err.Error(), "at most 32") {
		t.Errorf("33 grok patterns: %v", err)
	}
}

func writeConfig(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const twoSections = `[INPUT]
    Name  tail
    Path  /var/log/*.log

[INPUT]
    Name       forward
    Unix_Path  /run/fwd.sock

[INPUT]
    Name    forward
    Listen  127.0.0.1

[OUTPUT]
    Name           tracelink
    Match          kube.*
    Alias          linker
    Format         datadog
    Unix_Path      /run/fwd.sock
    Tag_Prefix     traced.
    Workers        2
    storage.total_limit_size 5M
    net.keepalive  on
    tls.verify     off
    Retry_Limit    5

[OUTPUT]
    Name        tracelink
    Match       app.*
    Format      stackdriver
    Project_ID  conf-project
`

func TestRunConfig(t *testing.T) {
	conf := writeConfig(t, "fluent-bit.conf", twoSections)
	code, out, errs := runCLI(t, ddLine+"\n", "-q", "-c", conf)
	if code != 0 || !strings.Contains(out, `"dd.trace_id":"8545847825299552251"`) {
		t.Fatalf("section 0 (datadog): exit %d, out %s, err %s", code, out, errs)
	}
	code, out, errs = runCLI(t, ddLine+"\n", "-q", "-c", conf, "-section", "1")
	if code != 0 || !strings.Contains(out, `"logging.googleapis.com/trace":"projects/conf-project/traces/00000000000000007698f351bb8637fb"`) {
		t.Fatalf("section 1 (stackdriver): exit %d, out %s, err %s", code, out, errs)
	}
	code, out, _ = runCLI(t, ddLine+"\n", "-q", "-c", conf, "-section", "1", "-p", "project_id=flag-project")
	if code != 0 || !strings.Contains(out, "projects/flag-project/traces/") {
		t.Errorf("-p did not override the file: %s", out)
	}
	code, _, errs = runCLI(t, "", "-c", conf, "-section", "2")
	if code != 2 || !strings.Contains(errs, "has 2 tracelink sections") {
		t.Errorf("-section 2: exit %d, %q", code, errs)
	}
}

func TestRunConfigYAML(t *testing.T) {
	conf := writeConfig(t, "fluent-bit.yaml", "pipeline:\n  outputs:\n    - name: tracelink\n      match: '*'\n      format: otel\n      emit: stdout\n")
	code, out, errs := runCLI(t, w3cRec+"\n", "-q", "-json", "-c", conf)
	if code != 0 || !strings.Contains(out, `"trace_flags":"01"`) {
		t.Errorf("yaml config: exit %d, out %s, err %s", code, out, errs)
	}
}

// TestRunConfigPipeline: -c checks what the tracelink section needs from the rest of the
// config: a Match that does not loop, a forward input where it sends.
func TestRunConfigPipeline(t *testing.T) {
	const fwd = "[INPUT]\n  Name forward\n  Unix_Path /run/fw.sock\n"
	tests := []struct {
		name, content, contains string
		code                    int
	}{
		{"ok", fwd + "[OUTPUT]\n  Name tracelink\n  Match kube.*\n  Format otel\n  Unix_Path /run/fw.sock\n", "", 0},
		{"match loops", fwd + "[OUTPUT]\n  Name tracelink\n  Match *\n  Format otel\n  Unix_Path /run/fw.sock\n", `conf:6: property Match "*" also matches the tags this output sends back`, 2},
		{"no forward input", "[OUTPUT]\n  Name tracelink\n  Match kube.*\n  Format otel\n  Unix_Path /run/fw.sock\n", "tracelink sends to unix:/run/fw.sock, but there is no forward input", 2},
		{"forward input elsewhere", fwd + "[OUTPUT]\n  Name tracelink\n  Match kube.*\n  Format otel\n  Forward_Port 24225\n", "sends to 127.0.0.1:24225, but the forward inputs listen on unix:/run/fw.sock", 2},
		{"tcp default", "[INPUT]\n  Name forward\n[OUTPUT]\n  Name tracelink\n  Match kube.*\n  Format otel\n", "", 0},
		{"workers with hot reload", "[SERVICE]\n  Hot_Reload On\n" + fwd + "[OUTPUT]\n  Name tracelink\n  Match kube.*\n  Format otel\n  Unix_Path /run/fw.sock\n  Workers 2\n", "conf:11: Workers with Hot_Reload on", 2},
		{"threaded forward input: not an error (the plugin uses the socket)", "[INPUT]\n  Name forward\n  Unix_Path /run/fw.sock\n  Threaded on\n[OUTPUT]\n  Name tracelink\n  Match kube.*\n  Format otel\n  Unix_Path /run/fw.sock\n", "conf:4: the forward input on /run/fw.sock has threaded on: tracelink sends to it through its socket", 0},
		{"threaded forward input, In_Process off", "[INPUT]\n  Name forward\n  Unix_Path /run/fw.sock\n  Threaded on\n[OUTPUT]\n  Name tracelink\n  Match kube.*\n  Format otel\n  Unix_Path /run/fw.sock\n  In_Process off\n", "", 0},
		{"stdout needs no input", "[OUTPUT]\n  Name tracelink\n  Match *\n  Format otel\n  Emit stdout\n", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf := writeConfig(t, "fluent-bit.conf", tc.content)
			code, _, errs := runCLI(t, "", "-q", "-c", conf)
			if code != tc.code || (tc.contains == "") != (errs == "") || !strings.Contains(errs, tc.contains) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.contains)
			}
		})
	}
}

func TestRunConfigErrors(t *testing.T) {
	tests := []struct {
		name, content, contains string
	}{
		{"unknown key", "[OUTPUT]\n  Name tracelink\n  Format otel\n  Colour blue\n", `fluent-bit.conf:4: unknown tracelink property "Colour"`},
		{"bad value", "[OUTPUT]\n  Name tracelink\n  Format otel\n  Merge_Log perhaps\n", "fluent-bit.conf:4: property Merge_Log"},
		{"no section", "[OUTPUT]\n  Name stdout\n", "no output section with Name tracelink"},
		{"missing include", "@INCLUDE nope.conf\n", "fluent-bit.conf:1: @INCLUDE nope.conf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf := writeConfig(t, "fluent-bit.conf", tc.content)
			code, _, errs := runCLI(t, "", "-c", conf)
			if code != 2 || !strings.Contains(errs, tc.contains) || !strings.HasPrefix(errs, "tracelink: ") {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errs, tc.contains)
			}
		})
	}
	code, _, errs := runCLI(t, "", "-c", filepath.Join(t.TempDir(), "absent.conf"))
	if code != 2 || !strings.Contains(errs, "absent.conf") {
		t.Errorf("missing config: exit %d, %q", code, errs)
	}
}

// TestRunProjectFromMetadata: with Format stackdriver and no project anywhere, the project
// comes from the GCE metadata server (here an httptest one, via GCE_METADATA_HOST).
func TestRunProjectFromMetadata(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata-Flavor") != "Google" || r.URL.Path != "/computeMetadata/v1/project/project-id" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("meta-project"))
	}))
	defer srv.Close()
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(srv.URL, "http://"))
	code, out, errs := runCLI(t, ddLine+"\n", "-q", "-p", "format=stackdriver")
	if code != 0 || !strings.Contains(out, "projects/meta-project/traces/") {
		t.Errorf("exit %d, out %s, err %s", code, out, errs)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRunWriteError(t *testing.T) {
	var errb bytes.Buffer
	in := strings.Repeat("line\n", 20000) // more than the output buffer holds
	code := run([]string{"-p", "format=otel"}, strings.NewReader(in), failingWriter{}, &errb, noEnv)
	if code != 1 || !strings.Contains(errb.String(), "disk full") {
		t.Errorf("exit %d, stderr %q; want 1 and the write error", code, errb.String())
	}
}

// FuzzLinkInput: any input bytes give exit 0 with one valid JSON line per input line.
func FuzzLinkInput(f *testing.F) {
	f.Add([]byte(ddLine+"\n"+w3cRec), false)
	f.Add([]byte("a\r\n\n\xff\x00{\"k\":1}"), true)
	f.Fuzz(func(t *testing.T, in []byte, jsonMode bool) {
		args := []string{"-q", "-p", "format=otel"}
		if jsonMode {
			args = append(args, "-json")
		}
		var out, errb bytes.Buffer
		if code := run(args, bytes.NewReader(in), &out, &errb, noEnv); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		want := bytes.Count(in, []byte("\n"))
		if len(in) > 0 && in[len(in)-1] != '\n' {
			want++
		}
		sc := bufio.NewScanner(&out)
		sc.Buffer(nil, 8<<20)
		n := 0
		for sc.Scan() {
			n++
			if !json.Valid(sc.Bytes()) {
				t.Fatalf("invalid JSON line %q", sc.Bytes())
			}
		}
		if n != want {
			t.Fatalf("%d output lines for %d input lines", n, want)
		}
	})
}

// TestRunRepoConfigs runs with the repository's own fluent-bit.conf and fluent-bit.yaml:
// their sink and Fluent Bit keys are ignored and both give the same output.
func TestRunRepoConfigs(t *testing.T) {
	env := func(k string) string {
		if k == "GOOGLE_CLOUD_PROJECT" {
			return "demo-project"
		}
		return ""
	}
	var outputs []string
	for _, conf := range []string{"../../fluent-bit.conf", "../../fluent-bit.yaml"} {
		var out, errb bytes.Buffer
		code := run([]string{"-q", "-c", conf}, strings.NewReader(ddLine+"\n"), &out, &errb, env)
		if code != 0 || !strings.Contains(out.String(), "projects/demo-project/traces/00000000000000007698f351bb8637fb") {
			t.Fatalf("%s: exit %d, out %s, err %s", conf, code, out.String(), errb.String())
		}
		outputs = append(outputs, out.String())
	}
	if outputs[0] != outputs[1] {
		t.Errorf("classic and YAML configs give different output:\n%s\n%s", outputs[0], outputs[1])
	}
}
