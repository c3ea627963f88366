package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// goldenFormats are the property sets each sample input is linked with.
var goldenFormats = []struct {
	name  string
	props []string
}{
	{"stackdriver", []string{"-p", "format=stackdriver", "-p", "project_id=my-project"}},
	{"datadog", []string{"-p", "format=datadog"}},
	{"otel", []string{"-p", "format=otel"}},
}

// sampleName is an input's name without ".json.log" / ".log"; whole-record samples
// (*.json.log) are read with -json.
func sampleName(path string) (name string, wholeRecords bool) {
	base := filepath.Base(path)
	if n, ok := strings.CutSuffix(base, ".json.log"); ok {
		return n, true
	}
	return strings.TrimSuffix(base, ".log"), false
}

func noEnv(string) string { return "" }

// TestGolden links every sample in testdata/input for each format and compares the output
// with testdata/golden/<name>.<format>.jsonl (go test -update rewrites them).
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("../../testdata/input/*.log")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no samples in testdata/input: %v", err)
	}
	for _, in := range inputs {
		name, whole := sampleName(in)
		for _, f := range goldenFormats {
			t.Run(name+"."+f.name, func(t *testing.T) {
				args := append([]string{"-q"}, f.props...)
				if whole {
					args = append(args, "-json")
				}
				args = append(args, in)
				var stdout, stderr bytes.Buffer
				if code := run(args, nil, &stdout, &stderr, noEnv); code != 0 {
					t.Fatalf("exit %d: %s", code, stderr.String())
				}
				golden := filepath.Join("../../testdata/golden", name+"."+f.name+".jsonl")
				if *update {
					if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./cmd/tracelink -update to create it)", err)
				}
				if !bytes.Equal(stdout.Bytes(), want) {
					t.Errorf("output differs from %s (go test ./cmd/tracelink -update rewrites it): %s", golden, firstDiff(stdout.Bytes(), want))
				}
				lines := bytes.Count(stdout.Bytes(), []byte("\n"))
				src, _ := os.ReadFile(in)
				if n := bytes.Count(src, []byte("\n")); lines != n {
					t.Errorf("%d output lines for %d input lines", lines, n)
				}
			})
		}
	}
}

// TestGoldenHasNoStaleFiles: every golden file belongs to a sample and a format.
func TestGoldenHasNoStaleFiles(t *testing.T) {
	goldens, _ := filepath.Glob("../../testdata/golden/*.jsonl")
	expected := map[string]bool{}
	inputs, _ := filepath.Glob("../../testdata/input/*.log")
	for _, in := range inputs {
		name, _ := sampleName(in)
		for _, f := range goldenFormats {
			expected[name+"."+f.name+".jsonl"] = true
		}
	}
	for _, g := range goldens {
		if !expected[filepath.Base(g)] {
			t.Errorf("stale golden file %s (no matching sample)", g)
		}
	}
}

// testVectors are the inputs of the test-vector table in the trace-context reference:
// every one must appear, verbatim, in some sample.
var testVectors = []string{
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	"b3: 80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-1-e457b5a2e4d86bd1",
	"X-B3-TraceId: 48485a3953bb6124", "X-B3-SpanId: a2fb4a1d1a96d312", "X-B3-Flags: 1",
	"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
	"uber-trace-id: 51729f13a64c2ef3:258169797d519815:51729f13a64c2ef3:1",
	"X-Cloud-Trace-Context: 000000000000007b00000000000001c8/789;o=1",
	"dd.trace_id=8545847825299552251 dd.span_id=3711755234730770098",
	"dd.trace_id=3371139772690049666 dd.span_id=13006875827893840236",
	`"dd":{"trace_id":"2199711714951426111","span_id":"2195427521297530161"}`,
	`dd.trace_id="6660b8e000000000a3ce929d0e0e4736" dd.span_id="67667974448284343"`,
	`"trace.id":"4bf92f3577b34da6a3ce929d0e0e4736","span.id":"3ff9a8981b7ccd5a"`,
	"100985939111033328018442752961257817910",
	// Must yield no trace.
	"traceparent=ff-", "00-00000000000000000000000000000000-", "-0000000000000000-01",
	"dd.trace_id=0 ", "trace_id=0 span_id=0", "7660829067201367040",
}

func TestSamplesCoverTestVectors(t *testing.T) {
	inputs, _ := filepath.Glob("../../testdata/input/*.log")
	var all bytes.Buffer
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, v := range testVectors {
		if !bytes.Contains(all.Bytes(), []byte(v)) {
			t.Errorf("no sample contains test vector %q", v)
		}
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g := bytes.Split(got, []byte("\n"))
	w := bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return fmt.Sprintf("line %d\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return "no difference"
}
