package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// BenchmarkMemory measures what tracelink adds to Fluent Bit's resident memory: the shipped
// pipeline (fluent-bit.conf: tail -> kubernetes -> tracelink in process -> forward input ->
// stackdriver) and its native equivalent (the same file with a json parser filter and a Lua
// filter linking the records instead of tracelink and the forward input), side by side,
// each offered the same CRI lines (pino JSON with Datadog ids) at a steady
// TRACELINK_MEMORY_RATE lines/s (default 40,000) for TRACELINK_MEMORY_SECONDS (default 40).
// It reports the peak RSS of each and the difference; the goal (at most 25 MiB added) is
// printed, not asserted. `make bench-fluent-bit` runs it.
func BenchmarkMemory(b *testing.B) {
	fbtest.Require(b)
	rate := envInt(b, "TRACELINK_MEMORY_RATE", 40000)
	seconds := envInt(b, "TRACELINK_MEMORY_SECONDS", 40)
	text := repoFile(b, "fluent-bit.conf")
	peak := map[string]int64{}
	for b.Loop() {
		for _, p := range []string{"native", "tracelink"} {
			conf := text
			if p == "native" {
				conf = nativeShipped(b, conf)
			}
			r := runSteady(b, conf, rate, seconds, p == "native")
			peak[p] = max(peak[p], r.peakRSS)
			b.Logf("%s: %d lines at %d/s: %d delivered (%d linked) after %.1f s; RSS every 5 s (MiB): %s; peak %.1f MiB; CPU %.1f s",
				p, r.lines, rate, r.delivered, r.linked, r.took.Seconds(), mib(r.rss), float64(r.peakRSS)/(1<<20), r.cpu.Seconds())
		}
	}
	added := float64(peak["tracelink"]-peak["native"]) / (1 << 20)
	b.ReportMetric(float64(peak["native"])/(1<<20), "native-peak-RSS-MiB")
	b.ReportMetric(float64(peak["tracelink"])/(1<<20), "tracelink-peak-RSS-MiB")
	b.ReportMetric(added, "added-MiB")
	b.Logf("peak RSS: native %.1f MiB, tracelink %.1f MiB: tracelink adds %.1f MiB (goal: at most 25)", float64(peak["native"])/(1<<20), float64(peak["tracelink"])/(1<<20), added)
}

// steadyRun is what one run of runSteady measured.
type steadyRun struct {
	lines, delivered, linked int
	took                     time.Duration // from the first line written to the last entry delivered
	rss                      []int64       // sampled every 5 s
	peakRSS                  int64
	cpu                      time.Duration
}

// runSteady runs the classic config conf (without the plugin loaded for noPlugin: the native
// pipeline as its users run it, with no Go runtime in the process) (a shipped pipeline, adapted here) while an
// application writes rate lines/s for seconds, until Cloud Logging's stand-in got every
// line or two minutes passed.
func runSteady(b *testing.B, conf string, rate, seconds int, noPlugin bool) steadyRun {
	b.Helper()
	dir, err := os.MkdirTemp("", "tlmem")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(dir) })
	gcp := newCountingStackdriver(b)
	kube := fbtest.NewKubeAPI(b)
	logFile := filepath.Join(dir, "containers", fbtest.ContainerLog("orders-7d9f8b6c5d-x2k4q", "shop", "orders"))
	writeFile(b, logFile, "")
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		b.Fatal(err)
	}
	port := strconv.Itoa(freePort(b))
	conf = fbtest.Adapt(conf,
		map[string]string{
			"/var/log/containers/":            dir + "/containers/",
			"/var/lib/tracelink/":             dir + "/lib/",
			"/var/run/tracelink/forward.sock": dir + "/fw.sock",
			"HTTP_Listen   0.0.0.0":           "HTTP_Listen   127.0.0.1",
			"HTTP_Port     2020":              "HTTP_Port     " + port,
		},
		map[string][][2]string{
			"kubernetes": {{"kube_url", kube.URL}, {"kube_token_file", writeFile(b, filepath.Join(dir, "kube-token"), "test-token\n")}},
			"stackdriver": {
				{"metadata_server", gcp.metadata.URL}, {"cloud_logging_base_url", gcp.logging.URL},
				{"tls", "on"}, {"tls.verify", "off"},
			},
		})
	conf = strings.ReplaceAll(conf, "{testdata}", testdataDir(b))
	fb := fbtest.Start(b, writeFile(b, filepath.Join(dir, "fluent-bit.conf"), conf), fbtest.Options{Env: []string{
		"PROJECT_ID=", "GCE_METADATA_HOST=" + gcp.metadata.Listener.Addr().String(),
		"CLUSTER_NAME=test-cluster", "CLUSTER_LOCATION=us-central1",
	}, NoPlugin: noPlugin})
	n := rate * seconds
	w := &fbtest.Writer{Path: logFile, Rate: rate, N: n, Line: func(seq int) string { return fbtest.CRI(fbtest.AppLine(seq)) }}
	start := time.Now()
	w.Start()
	r := steadyRun{lines: n}
	deadline := start.Add(time.Duration(seconds)*time.Second + 2*time.Minute)
	next := start
	for gcp.entries.Load() < int64(n) && time.Now().Before(deadline) && !fb.Exited() {
		if time.Now().After(next) {
			if m, err := fb.RSS(); err == nil {
				r.rss = append(r.rss, m)
			}
			next = next.Add(5 * time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.took = time.Since(start)
	w.Stop()
	r.delivered, r.linked = int(gcp.entries.Load()), int(gcp.linked.Load())
	if r.peakRSS, err = fb.PeakRSS(); err != nil {
		b.Errorf("peak RSS: %v", err)
	}
	fb.Stop(30 * time.Second)
	r.cpu = fb.Usage()
	if r.delivered < n {
		b.Errorf("only %d of %d lines delivered; log:\n%s", r.delivered, n, fb.Log())
	}
	return r
}

// nativeShipped turns the shipped fluent-bit.conf into its native equivalent: the tracelink
// output and the forward input go; a parser filter lifts the application's JSON line (as
// tracelink's Merge_Log does) and a Lua filter writes the link fields; stackdriver takes
// the kube.* records directly.
func nativeShipped(b *testing.B, conf string) string {
	b.Helper()
	var out []string
	for _, sec := range splitSections(conf) {
		name := sectionName(sec)
		switch {
		case name == "tracelink" || name == "forward":
			continue
		case name == "stackdriver":
			sec = strings.Replace(sec, "traced.*", "kube.*", 1)
			sec = strings.Replace(sec, "traced.kube.var.log.containers.", "kube.var.log.containers.", 1)
		}
		out = append(out, sec)
		if name == "kubernetes" {
			out = append(out, `[FILTER]
    Name          parser
    Match         kube.*
    Key_Name      log
    Parser        json
    Reserve_Data  On

[FILTER]
    Name    lua
    Match   kube.*
    script  {testdata}/link_shipped.lua
    call    link_shipped

`)
		}
	}
	conf = strings.Join(out, "")
	// The parser filter needs the json parser: the shipped config names no Parsers_File.
	return strings.Replace(conf, "[SERVICE]\n", "[SERVICE]\n    Parsers_File  {testdata}/parsers_json.conf\n", 1)
}

// splitSections cuts a classic config before each line that opens a section ("[NAME]").
func splitSections(conf string) []string {
	var secs []string
	cur := ""
	for _, l := range strings.SplitAfter(conf, "\n") {
		if strings.HasPrefix(l, "[") && cur != "" {
			secs = append(secs, cur)
			cur = ""
		}
		cur += l
	}
	return append(secs, cur)
}

// sectionName is the Name property of a classic config section, lower case ("" for none).
func sectionName(sec string) string {
	for _, l := range strings.Split(sec, "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && strings.EqualFold(f[0], "name") {
			return strings.ToLower(f[1])
		}
	}
	return ""
}

func testdataDir(tb testing.TB) string {
	d, err := filepath.Abs("testdata")
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// countingStackdriver stands in for Google Cloud as fbtest.Stackdriver does, but only counts
// the entries it receives (and those with a trace), so that it keeps up with tens of
// thousands of entries a second without holding them.
type countingStackdriver struct {
	metadata, logging *httptest.Server
	entries, linked   atomic.Int64
}

func newCountingStackdriver(tb testing.TB) *countingStackdriver {
	s := &countingStackdriver{}
	s.metadata = httptest.NewServer(fbtest.MetadataHandler())
	s.logging = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		data, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// linked first: the benchmark stops waiting once entries reaches the count, and
		// must then read this body's links too.
		s.linked.Add(int64(bytes.Count(data, []byte(`"trace":"projects/`))))
		s.entries.Add(int64(bytes.Count(data, []byte(`"jsonPayload"`))))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "{}")
	}))
	tb.Cleanup(s.metadata.Close)
	tb.Cleanup(s.logging.Close)
	return s
}
