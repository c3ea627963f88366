package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// sample is one line of a bundled sample log, with the golden record the CLI writes for it.
type sample struct {
	file   string
	line   int
	golden map[string]any
}

// goldenSamples writes every bundled sample (testdata/input) into dir/in as JSON records
// carrying a seq key (a plain line becomes {"log": line, "seq": N}), and returns them in
// seq order with their golden records for format.
func goldenSamples(t *testing.T, dir, format string) []sample {
	t.Helper()
	inputs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "input", "*.log"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no sample logs: %v", err)
	}
	sort.Strings(inputs)
	var out []sample
	var records strings.Builder
	for _, in := range inputs {
		base := filepath.Base(in)
		name, jsonRecords := strings.CutSuffix(base, ".json.log")
		if !jsonRecords {
			name = strings.TrimSuffix(base, ".log")
		}
		goldens := readJSONLines(t, filepath.Join("..", "..", "testdata", "golden", name+"."+format+".jsonl"))
		lines := readLines(t, in)
		if len(lines) != len(goldens) {
			t.Fatalf("%s: %d lines, %d golden records", base, len(lines), len(goldens))
		}
		for i, l := range lines {
			seq := len(out)
			var rec map[string]any
			if jsonRecords {
				d := json.NewDecoder(strings.NewReader(l))
				d.UseNumber()
				if err := d.Decode(&rec); err != nil {
					t.Fatalf("%s:%d: %v", base, i+1, err)
				}
			} else {
				rec = map[string]any{"log": l}
			}
			rec["seq"] = seq
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			records.Write(b)
			records.WriteByte('\n')
			out = append(out, sample{file: base, line: i + 1, golden: goldens[i]})
		}
	}
	writeFile(t, filepath.Join(dir, "samples.json"), records.String())
	writeFile(t, filepath.Join(dir, "parsers.conf"), "[PARSER]\n    Name    json\n    Format  json\n")
	return out
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text()) // an empty line is a record too, as the CLI reads it
	}
	return out
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range readLines(t, path) {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	return out
}

// goldenPipeline runs every sample through tracelink (format) and the given Fluent Bit
// output section, and returns the samples.
func goldenPipeline(t *testing.T, dir, format, output string) []sample {
	t.Helper()
	samples := goldenSamples(t, dir, format)
	conf := writeFile(t, filepath.Join(dir, "fluent-bit.conf"), expand(`
[SERVICE]
    Flush         1
    Log_Level     info
    Parsers_File  {dir}/parsers.conf

[INPUT]
    Name            tail
    Path            {dir}/samples.json
    Read_from_Head  On
    Parser          json
    Tag             samples

[OUTPUT]
    Name        tracelink
    Match       samples
    Format      {format}
    Project_ID  my-project
    Unix_Path   {dir}/fw.sock
    Spool_Path  {dir}/spool

[INPUT]
    Name       forward
    Unix_Path  {dir}/fw.sock

{output}
`, map[string]string{"dir": dir, "format": format, "output": output}))
	fb := fbtest.Start(t, conf, fbtest.Options{})
	t.Cleanup(func() { fb.Stop(20 * time.Second) })
	return samples
}

// logSeverity names Cloud Logging's LogSeverity enum numbers.
var logSeverity = map[string]string{"0": "DEFAULT", "100": "DEBUG", "200": "INFO", "300": "NOTICE", "400": "WARNING",
	"500": "ERROR", "600": "CRITICAL", "700": "ALERT", "800": "EMERGENCY"}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Every bundled sample, through Fluent Bit's stackdriver output: each LogEntry carries the
// trace, spanId, traceSampled and severity the golden record has (and none when it has none).
func TestGoldenSamplesAtCloudLogging(t *testing.T) {
	fbtest.Require(t)
	dir := shortDir(t)
	gcp := fbtest.NewStackdriver(t)
	samples := goldenPipeline(t, dir, "stackdriver", `
[OUTPUT]
    Name      stackdriver
    Match     traced.*
    Resource  global
`+gcp.OutputSettings())
	if r := gcp.Counter.WaitAll(len(samples), 30*time.Second); r.Missing != 0 || r.Duplicates != 0 {
		t.Fatalf("at Cloud Logging: %s", r)
	}
	bySeq := map[int]map[string]any{}
	for _, e := range gcp.Entries() {
		p, _ := e["jsonPayload"].(map[string]any)
		if seq, ok := p["seq"].(float64); ok {
			bySeq[int(seq)] = e
		}
	}
	for seq, s := range samples {
		e := bySeq[seq]
		g := s.golden
		for _, f := range [][2]string{
			{"trace", "logging.googleapis.com/trace"}, {"spanId", "logging.googleapis.com/spanId"},
			{"traceSampled", "logging.googleapis.com/traceSampled"}, {"severity", "logging.googleapis.com/severity"},
		} {
			want := str(g[f[1]])
			got := str(e[f[0]])
			if f[0] == "severity" {
				got = logSeverity[got] // the output sends LogSeverity's enum number
			}
			if f[0] == "severity" && want == "" {
				continue // no level: the output's default
			}
			if f[0] == "traceSampled" && want == "" && got == "false" {
				continue // the output writes false when the key is absent
			}
			if got != want {
				t.Errorf("%s:%d: LogEntry %s = %q, golden %q", s.file, s.line, f[0], got, want)
			}
		}
		if loc, ok := g["logging.googleapis.com/sourceLocation"].(map[string]any); ok {
			got, _ := e["sourceLocation"].(map[string]any)
			for _, k := range []string{"file", "line", "function"} {
				if str(loc[k]) != str(got[k]) {
					t.Errorf("%s:%d: sourceLocation.%s = %q, golden %q", s.file, s.line, k, str(got[k]), str(loc[k]))
				}
			}
		}
	}
}

// Every bundled sample, through Fluent Bit's datadog output: each log carries the
// dd.trace_id, dd.span_id and status the golden record has.
func TestGoldenSamplesAtDatadog(t *testing.T) {
	fbtest.Require(t)
	dir := shortDir(t)
	dd := fbtest.NewDatadog(t)
	host, port := dd.HostPort()
	samples := goldenPipeline(t, dir, "datadog", expand(`
[OUTPUT]
    Name            datadog
    Match           traced.*
    Host            {host}
    Port            {port}
    TLS             off
    apikey          test-key
`, map[string]string{"host": host, "port": port}))
	if r := dd.Counter.WaitAll(len(samples), 30*time.Second); r.Missing != 0 || r.Duplicates != 0 {
		t.Fatalf("at the Datadog intake: %s", r)
	}
	bySeq := map[int]map[string]any{}
	for _, l := range dd.Logs() {
		if seq, ok := l["seq"].(float64); ok {
			bySeq[int(seq)] = l
		}
	}
	for seq, s := range samples {
		l := bySeq[seq]
		for _, k := range []string{"dd.trace_id", "dd.span_id", "status", "dd.service", "dd.env", "dd.version"} {
			if want, got := str(s.golden[k]), str(l[k]); got != want {
				t.Errorf("%s:%d: %s = %q, golden %q", s.file, s.line, k, got, want)
			}
		}
	}
}

// Every bundled sample, through Fluent Bit's opentelemetry output: each LogRecord carries
// the trace_id, span_id, flags and severity_text the golden record has.
func TestGoldenSamplesAtOTLP(t *testing.T) {
	fbtest.Require(t)
	dir := shortDir(t)
	otlp := fbtest.NewOTLP(t)
	host, port := otlp.HostPort()
	// The output makes the record's log string the body by default and drops the rest;
	// logs_body_key_attributes keeps the rest as attributes, the test's seq among them. It
	// changes nothing of the link.
	samples := goldenPipeline(t, dir, "otel", expand(`
[OUTPUT]
    Name                      opentelemetry
    Match                     traced.*
    Host                      {host}
    Port                      {port}
    logs_body_key_attributes  true
`, map[string]string{"host": host, "port": port}))
	if r := otlp.Counter.WaitAll(len(samples), 30*time.Second); r.Missing != 0 || r.Duplicates != 0 {
		t.Fatalf("at the OTLP backend: %s", r)
	}
	for seq, s := range samples {
		lr := otlp.RecordBySeq(seq)
		g := s.golden
		if got, want := fbtest.HexID(lr.GetTraceId()), str(g["trace_id"]); got != want {
			t.Errorf("%s:%d: trace_id %q, golden %q", s.file, s.line, got, want)
		}
		if got, want := fbtest.HexID(lr.GetSpanId()), str(g["span_id"]); got != want {
			t.Errorf("%s:%d: span_id %q, golden %q", s.file, s.line, got, want)
		}
		if want := str(g["trace_flags"]); want != "" {
			if got := fmt.Sprintf("%02x", lr.GetFlags()); got != want {
				t.Errorf("%s:%d: flags %s, golden trace_flags %s", s.file, s.line, got, want)
			}
		}
		if want := str(g["severity_text"]); want != "" && g["trace_id"] != nil && lr.GetSeverityText() != want {
			t.Errorf("%s:%d: severity_text %q, golden %q", s.file, s.line, lr.GetSeverityText(), want)
		}
	}
}
