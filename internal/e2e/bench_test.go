package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// BenchmarkRealHost measures what users pay inside Fluent Bit: the CPU each pipeline adds
// per record over tail -> null, for two workloads, side by side with the native
// alternative (the cheapest correct parser filter + Lua converting the ids exactly; for the
// text line also Lua alone), with tracelink's socket path (In_Process off), and with the
// floor of tracelink's design: a plugin built with the tracelink_floor tag, which hands
// every chunk back to the forward input as it came. What the floor costs is Fluent Bit's
// second pass over the records (the output's dispatch, the copy into the forward input's
// chunk, that chunk's dispatch) and the plugin's start: no plugin that hands records back
// through the forward input costs less. `make bench-fluent-bit` runs it;
// TRACELINK_BENCH_LINES (default 100000) and TRACELINK_BENCH_ROUNDS (default 3) change its
// size. It reports the median of the rounds; it asserts nothing about time.
func BenchmarkRealHost(b *testing.B) {
	fbtest.Require(b)
	lines := envInt(b, "TRACELINK_BENCH_LINES", 100000)
	rounds := envInt(b, "TRACELINK_BENCH_ROUNDS", 3)
	start := pluginLoadCPU(b, 10)
	floorSO, err := fbtest.BuildPlugin(b.TempDir(), "tracelink_floor")
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("loading the plugin costs %.1f ms of CPU per Fluent Bit start (fluent-bit --dry-run with and without -e, median of 10 each; it includes running the binary's --version once); over %d lines that is %.2f us per record", float64(start)/float64(time.Millisecond), lines, float64(start)/float64(lines)/float64(time.Microsecond))
	for _, w := range benchWorkloads {
		b.Run(w.name, func(b *testing.B) {
			dir := b.TempDir()
			input := filepath.Join(dir, "input.log")
			var sb strings.Builder
			for i := range lines {
				sb.WriteString(w.line(i))
				sb.WriteByte('\n')
			}
			if err := os.WriteFile(input, []byte(sb.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			pipelines := []string{"baseline", "native", "tracelink", "tracelink-socket", "tracelink-floor"}
			if w.luaOnly != "" {
				pipelines = append(pipelines, "native-lua-only")
			}
			cpu := map[string][]time.Duration{}
			rss := map[string][]int64{}
			for b.Loop() {
				for range rounds {
					for _, p := range pipelines {
						c, m := runPipeline(b, dir, input, lines, w, p, floorSO)
						cpu[p] = append(cpu[p], c)
						rss[p] = append(rss[p], m)
					}
				}
			}
			med := func(p string) time.Duration { return median(cpu[p]) }
			perRecord := func(p string) float64 {
				return float64(med(p)-med("baseline")) / float64(lines) / float64(time.Microsecond)
			}
			tl, nat, sock := perRecord("tracelink"), perRecord("native"), perRecord("tracelink-socket")
			b.ReportMetric(tl, "tracelink-us/record")
			b.ReportMetric(sock, "socket-us/record")
			b.ReportMetric(nat, "native-us/record")
			b.ReportMetric(tl/nat, "ratio")
			perStart := float64(start) / float64(lines) / float64(time.Microsecond)
			b.ReportMetric((tl-perStart)/nat, "ratio-without-start")
			b.ReportMetric(float64(slices.Max(rss["tracelink"]))/(1<<20), "tracelink-peak-RSS-MiB")
			b.ReportMetric(float64(slices.Max(rss["native"]))/(1<<20), "native-peak-RSS-MiB")
			b.Logf("%s: CPU per round (s): baseline %v, native %v, tracelink %v, through the socket %v; added per record: native %.2f us, tracelink %.2f us (ratio %.2f; %.2f without loading the plugin at start), through the socket %.2f us (ratio %.2f)",
				w.name, seconds(cpu["baseline"]), seconds(cpu["native"]), seconds(cpu["tracelink"]), seconds(cpu["tracelink-socket"]), nat, tl, tl/nat, (tl-perStart)/nat, sock, sock/nat)
			floor := perRecord("tracelink-floor")
			b.ReportMetric(floor, "floor-us/record")
			b.ReportMetric(floor/nat, "floor-ratio")
			b.Logf("%s: the design's floor (chunks handed back unchanged, not rewritten): CPU per round (s) %v, added per record %.2f us (ratio %.2f; %.2f without loading the plugin at start): the rewrite itself adds %.2f us",
				w.name, seconds(cpu["tracelink-floor"]), floor, floor/nat, (floor-perStart)/nat, tl-floor)
			if w.luaOnly != "" {
				lua := perRecord("native-lua-only")
				b.ReportMetric(lua, "native-lua-only-us/record")
				b.Logf("%s: native with Lua alone (no parser filter): CPU per round (s) %v, added per record %.2f us: tracelink's ratio to it %.2f",
					w.name, seconds(cpu["native-lua-only"]), lua, tl/lua)
			}
		})
	}
}

type benchWorkload struct {
	name string
	line func(i int) string
	// input is the tail input's extra settings; native the filters of the native pipeline
	// (the cheapest correct parser filter, then Lua); luaOnly, when set, a native pipeline
	// with no parser filter (Lua reading the line itself), measured for comparison; format
	// the tracelink Format.
	input, native, luaOnly, format string
}

var benchWorkloads = []benchWorkload{
	{
		name: "ddtrace-py-text",
		line: func(i int) string {
			return fmt.Sprintf(`2021-06-18 10:07:08,786 INFO [__main__] [lt.py:26] [dd.service=Python-App dd.env=Testing dd.version=V1.1 dd.trace_id=%d dd.span_id=%d] - Hello, World! request %d`,
				fbtest.TraceID(i), fbtest.SpanID(i), i)
		},
		native: `
[FILTER]
    Name          parser
    Match         app
    Key_Name      log
    Parser        ddtrace_py
    Reserve_Data  On
    Preserve_Key  On

[FILTER]
    Name    lua
    Match   app
    script  {testdata}/link.lua
    call    link_text
`,
		luaOnly: `
[FILTER]
    Name    lua
    Match   app
    script  {testdata}/link.lua
    call    link_text_only
`,
		format: "stackdriver",
	},
	{
		name: "pino-json-128bit-k8s",
		line: func(i int) string {
			app := fmt.Sprintf(`{"level":30,"time":1764500000000,"pid":1,"hostname":"web-7d9f8c-x2kqp","dd":{"trace_id":"6566e2b700000000%016x","span_id":"%d","service":"web","env":"prod"},"msg":"GET /api/cart/%d 200"}`,
				fbtest.TraceID(i), fbtest.SpanID(i), i)
			rec := map[string]any{
				"time": "2025-11-30T10:53:20.123456789Z", "stream": "stdout", "_p": "F", "log": app,
				"kubernetes": map[string]any{"pod_name": "web-7d9f8c-x2kqp", "namespace_name": "shop",
					"pod_id": "3f1c2b7e-8a9d-4c1e-9b7a-2d5e6f708192", "host": "gke-prod-pool-1-9b7e31aa-x2x9",
					"container_name": "web", "container_image": "us-docker.pkg.dev/shop/web:1.42.0",
					"labels": map[string]any{"app": "web", "pod-template-hash": "7d9f8c"}},
			}
			b, _ := json.Marshal(rec)
			return string(b)
		},
		input: "    Parser          json\n",
		native: `
[FILTER]
    Name          parser
    Match         app
    Key_Name      log
    Parser        json
    Reserve_Data  On

[FILTER]
    Name    lua
    Match   app
    script  {testdata}/link.lua
    call    link_pino
`,
		format: "datadog",
	},
}

const benchParsers = `
[PARSER]
    Name    json
    Format  json

[PARSER]
    Name    ddtrace_py
    Format  regex
    Regex   ^\S+ \S+ (?<level>\w+) .*? dd\.trace_id=(?<trace_id>\d+) dd\.span_id=(?<span_id>\d+)\]
`

// runPipeline runs one pipeline over the input until the null output processed every
// record, and returns the process's CPU time and peak resident memory (until then).
// floorSO is the plugin the tracelink-floor pipeline loads.
func runPipeline(b *testing.B, dir, input string, lines int, w benchWorkload, pipeline, floorSO string) (time.Duration, int64) {
	b.Helper()
	run := filepath.Join(dir, pipeline)
	_ = os.RemoveAll(run)
	if err := os.MkdirAll(run, 0o755); err != nil {
		b.Fatal(err)
	}
	testdata, _ := filepath.Abs("testdata")
	port := freePort(b)
	var middle, nullMatch string
	switch pipeline {
	case "baseline":
		nullMatch = "app"
	case "native":
		middle, nullMatch = w.native, "app"
	case "native-lua-only":
		middle, nullMatch = w.luaOnly, "app"
	case "tracelink", "tracelink-socket", "tracelink-floor":
		inProcess := "on"
		if pipeline == "tracelink-socket" {
			inProcess = "off"
		}
		middle = expand(`
[OUTPUT]
    Name        tracelink
    Match       app
    Format      {format}
    Project_ID  demo-project
    Unix_Path   {run}/fw.sock
    Spool_Path  {run}/spool
    In_Process  {inprocess}

[INPUT]
    Name       forward
    Unix_Path  {run}/fw.sock
`, map[string]string{"format": w.format, "run": run, "inprocess": inProcess})
		nullMatch = "traced.app"
	}
	conf := expand(`
[SERVICE]
    Flush         1
    Log_Level     warn
    Parsers_File  {run}/parsers.conf
    HTTP_Server   On
    HTTP_Listen   127.0.0.1
    HTTP_Port     {port}

[INPUT]
    Name            tail
    Path            {input}
    Read_from_Head  On
    Tag             app
    Mem_Buf_Limit   256MB
{tailextra}
{middle}

[OUTPUT]
    Name   null
    Match  {null}
`, map[string]string{"run": run, "port": strconv.Itoa(port), "input": input, "tailextra": w.input, "middle": middle, "null": nullMatch})
	conf = strings.ReplaceAll(conf, "{testdata}", testdata)
	writeFile(b, filepath.Join(run, "parsers.conf"), benchParsers)
	// The pipelines without tracelink run without the plugin loaded, as their users run
	// them: what the Go runtime costs at start is tracelink's.
	noPlugin := !strings.HasPrefix(pipeline, "tracelink")
	opts := fbtest.Options{NoWait: true, NoPlugin: noPlugin}
	if pipeline == "tracelink-floor" {
		opts.Plugin = floorSO
	}
	fb := fbtest.Start(b, writeFile(b, filepath.Join(run, "fluent-bit.conf"), conf), opts)
	deadline := time.Now().Add(5 * time.Minute)
	for nullRecords(port) < lines {
		if time.Now().After(deadline) || fb.Exited() {
			fb.Kill()
			b.Fatalf("%s/%s: the null output did not get %d records; log:\n%s", w.name, pipeline, lines, fb.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	peak, err := fb.PeakRSS()
	if err != nil {
		b.Fatalf("%s/%s: peak RSS: %v", w.name, pipeline, err)
	}
	fb.Stop(time.Minute)
	return fb.Usage(), peak
}

// pluginLoadCPU is what loading the plugin costs a Fluent Bit start in CPU time (the Go
// runtime's start, registration, the host's version): the median of n runs of
// `fluent-bit -e plugin --dry-run` less the median of n without -e, on a one-input config.
func pluginLoadCPU(b *testing.B, n int) time.Duration {
	b.Helper()
	bin, so := fbtest.Require(b), fbtest.Plugin(b)
	conf := writeFile(b, filepath.Join(b.TempDir(), "dry.conf"), "[INPUT]\n    Name dummy\n\n[OUTPUT]\n    Name null\n    Match *\n")
	run := func(args ...string) time.Duration {
		var d []time.Duration
		for range n {
			cmd := exec.Command(bin, append(args, "-c", conf, "--dry-run")...)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%s %v: %v\n%s", bin, args, err, out)
			}
			d = append(d, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
		}
		return median(d)
	}
	return max(run("-e", so)-run(), 0)
}

// nullRecords asks Fluent Bit's metrics for the records the null output processed.
func nullRecords(port int) int { return metricsRecords(port, "output", "proc_records", "null") }

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func seconds(d []time.Duration) string {
	var parts []string
	for _, x := range d {
		parts = append(parts, fmt.Sprintf("%.2f", x.Seconds()))
	}
	return strings.Join(parts, "/")
}

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive whole number", name, s)
	}
	return n
}
