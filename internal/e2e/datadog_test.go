package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// Format datadog through Fluent Bit's own datadog output, with nothing set on it but the
// endpoint and a key: each log reaches the intake with dd.trace_id (decimal lower 64 bits),
// dd.span_id and status.
func TestDatadogLinksAtTheIntake(t *testing.T) {
	fbtest.Require(t)
	dir := shortDir(t)
	dd := fbtest.NewDatadog(t)
	host, port := dd.HostPort()
	const n = 500
	writeApp(t, dir, n, nil)
	conf := pipeline{tracelink: "    Format  datadog\n", next: expand(`[OUTPUT]
    Name            datadog
    Match           traced.*
    Host            {host}
    Port            {port}
    TLS             off
    apikey          test-key
    dd_message_key  log
`, map[string]string{"host": host, "port": port})}.write(t, dir)
	fb := fbtest.Start(t, conf, fbtest.Options{})
	r := dd.Counter.WaitAll(n, 30*time.Second)
	fb.Stop(20 * time.Second)
	if r.Missing != 0 || r.Duplicates != 0 || r.Unlinked != 0 {
		t.Errorf("at the Datadog intake: %s", r)
	}
	for _, l := range dd.Logs()[:min(5, len(dd.Logs()))] {
		msg, _ := l["message"].(string)
		var seq int
		if _, err := fmt.Sscanf(msg[len(`{"level":30,"time":1764500000000,"msg":"GET /orders/`):], "%d", &seq); err != nil {
			t.Fatalf("log %v: no seq in message", l)
		}
		if l["dd.trace_id"] != fmt.Sprint(fbtest.TraceID(seq)) || l["dd.span_id"] != fmt.Sprint(fbtest.SpanID(seq)) {
			t.Errorf("log %d: dd.trace_id %v dd.span_id %v, want %d %d", seq, l["dd.trace_id"], l["dd.span_id"], fbtest.TraceID(seq), fbtest.SpanID(seq))
		}
		if l["status"] != "info" {
			t.Errorf("log %d: status %v, want info (pino level 30)", seq, l["status"])
		}
	}
	checkNoProblems(t, fb.Log())
}
