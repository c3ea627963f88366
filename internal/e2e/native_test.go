package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
	"github.com/tracelink/tracelink/internal/property"
	"github.com/tracelink/tracelink/parser"
)

// nativeConf is the usual pipeline with the HTTP server on httpPort and the records going
// to a forward receiver on sinkPort.
func nativeConf(t *testing.T, dir string, sinkPort, httpPort int, service, tracelink string) string {
	t.Helper()
	return pipeline{
		service:   fmt.Sprintf("    HTTP_Server  On\n    HTTP_Listen  127.0.0.1\n    HTTP_Port    %d\n", httpPort) + service,
		tracelink: tracelink,
		next:      forwardTo(sinkPort),
	}.write(t, dir)
}

// Where the host has a config map for Go plugins (support table: v5.1.1), Fluent Bit refuses
// a misspelled property with its standard message, naming it. Elsewhere it cannot see the
// plugin's properties: it starts, and tracelink's start line says there is no config map.
func TestFluentBitRefusesUnknownProperty(t *testing.T) {
	caps := fbtest.Caps(t)
	dir := shortDir(t)
	writeFile(t, filepath.Join(dir, "app.log"), "")
	if !caps.ConfigMap {
		conf := nativeConf(t, dir, freePort(t), freePort(t), "", "    Format   datadog\n    Formatt  datadog\n")
		fb := fbtest.Start(t, conf, fbtest.Options{})
		fb.Stop(30 * time.Second)
		if log := fb.Log(); !strings.Contains(log, "no config map") {
			t.Errorf("Fluent Bit %s: the start line does not say there is no config map; log:\n%s", caps.Version, log)
		}
		return
	}
	conf := nativeConf(t, dir, freePort(t), freePort(t), "", "    Formatt  datadog\n")
	fb := fbtest.Start(t, conf, fbtest.Options{NoWait: true})
	if !fb.Wait(20 * time.Second) {
		t.Fatalf("Fluent Bit started with the typo Formatt; log:\n%s", fb.Log())
	}
	log := fb.Log()
	if !strings.Contains(log, "unknown configuration property 'formatt'") || !strings.Contains(log, "-o tracelink -h") {
		t.Errorf("the typo is not refused with Fluent Bit's message; log:\n%s", log)
	}
}

// `fluent-bit -e out_tracelink.so -o tracelink -h` lists every property where the host has a
// config map for Go plugins (v5.1.1), and exits cleanly everywhere.
func TestFluentBitHelpListsProperties(t *testing.T) {
	bin := fbtest.Require(t)
	caps := fbtest.Caps(t)
	cmd := exec.Command(bin, "-e", fbtest.Plugin(t), "-o", "tracelink", "-h")
	out, _ := cmd.CombinedOutput()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("-o tracelink -h ended by %v:\n%s", ws.Signal(), out)
	}
	if !caps.ConfigMap {
		return // nothing to list: the proxy definition has no config map (support table)
	}
	help := strings.ToLower(string(out))
	for _, p := range append(parser.Properties(), property.Sink()...) {
		if !strings.Contains(help, strings.ToLower(p.Name)) {
			t.Errorf("-o tracelink -h does not list %s:\n%s", p.Name, out)
		}
	}
	if !strings.Contains(help, "grok_pattern_") {
		t.Errorf("-o tracelink -h does not list Grok_Pattern_N:\n%s", out)
	}
}

// tracelink logs through Fluent Bit's logger: log_level warn hides its info lines, and
// log_file receives its lines.
func TestLogsThroughFluentBit(t *testing.T) {
	fbtest.Require(t)
	dir := shortDir(t)
	writeFile(t, filepath.Join(dir, "app.log"), "")
	logFile := filepath.Join(dir, "fb.log")
	sink := fbtest.NewSink(t, "dd.trace_id", false)

	conf := nativeConf(t, dir, sink.Port(), freePort(t), "    Log_Level    warn\n", "    Format  datadog\n")
	fb := fbtest.Start(t, conf, fbtest.Options{NoWait: true})
	time.Sleep(2 * time.Second)
	fb.Stop(20 * time.Second)
	if n := fb.CountLog("[output:tracelink:tracelink.0]"); n != 0 {
		t.Errorf("log_level warn: %d tracelink lines printed, want none (its lines are info):\n%s", n, fb.Log())
	}

	conf = nativeConf(t, dir, sink.Port(), freePort(t), "    Log_Level    info\n    Log_File     "+logFile+"\n", "    Format  datadog\n")
	fb = fbtest.Start(t, conf, fbtest.Options{NoWait: true})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(readFileString(logFile), "tracelink.0] started: format datadog") {
		time.Sleep(50 * time.Millisecond)
	}
	fb.Stop(20 * time.Second)
	got := readFileString(logFile)
	if !regexp.MustCompile(`\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)?\] \[ info\] \[output:tracelink:tracelink\.0\] started: format datadog`).MatchString(got) {
		t.Errorf("log_file lacks tracelink's start line in Fluent Bit's format:\n%s", got)
	}
	if strings.Contains(fb.Log(), "tracelink.0] started") {
		t.Errorf("tracelink's lines went to stderr although log_file is set:\n%s", fb.Log())
	}
}

func readFileString(path string) string {
	b, _ := os.ReadFile(path) // "" until Fluent Bit creates it
	return string(b)
}

// After N records, the Prometheus endpoint shows tracelink's counts per result and per format.
func TestPrometheusMetrics(t *testing.T) {
	fbtest.Require(t)
	dir := shortDir(t)
	sink := fbtest.NewSink(t, "dd.trace_id", false)
	const n = 300 // 200 linked (datadog), 100 without a trace
	writeApp(t, dir, n, func(seq int) string {
		if seq%3 == 2 {
			return fmt.Sprintf(`{"level":"info","msg":"no trace","seq":%d}`, seq)
		}
		return fbtest.AppLine(seq)
	})
	port := freePort(t)
	conf := nativeConf(t, dir, sink.Port(), port, "", "    Format  datadog\n")
	fb := fbtest.Start(t, conf, fbtest.Options{})
	sink.WaitAll(n, 30*time.Second)
	want := []string{
		`fluentbit_tracelink_records_total{name="tracelink.0",result="linked"} 200`,
		`fluentbit_tracelink_records_total{name="tracelink.0",result="unchanged"} 100`,
		`fluentbit_tracelink_links_total{name="tracelink.0",source="datadog"} 200`,
	}
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		body = prometheus(t, port)
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(body, w)
		}
		if ok {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/api/v2/metrics/prometheus lacks %s", w)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", grepLines(body, "tracelink"))
	}
	fb.Stop(20 * time.Second)
}

func prometheus(t *testing.T, port int) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/api/v2/metrics/prometheus", port), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
