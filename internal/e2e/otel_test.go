package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// Format otel through Fluent Bit's own opentelemetry output, with nothing set on it but
// the endpoint: every LogRecord reaches the OTLP backend with its trace_id, span_id,
// flags, severity and time.
func TestOTelLinksAtTheBackend(t *testing.T) {
	fbtest.Require(t)
	dir := shortDir(t)
	otlp := fbtest.NewOTLP(t)
	host, port := otlp.HostPort()
	const n = 500
	// pino with dd-trace-js, and an OpenTelemetry-instrumented line with a sampled traceparent.
	writeApp(t, dir, n, func(seq int) string {
		if seq%2 == 0 {
			return fbtest.AppLine(seq)
		}
		return `{"level":"error","time":"2025-11-21T10:00:00.250Z","msg":"boom","seq":` + strconv.Itoa(seq) +
			`,"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}`
	})
	conf := pipeline{tracelink: "    Format  otel\n", next: expand(`[OUTPUT]
    Name   opentelemetry
    Match  traced.*
    Host   {host}
    Port   {port}
`, map[string]string{"host": host, "port": port})}.write(t, dir)
	fb := fbtest.Start(t, conf, fbtest.Options{})
	r := otlp.Counter.WaitAll(n, 30*time.Second)
	fb.Stop(20 * time.Second)
	if r.Missing != 0 || r.Duplicates != 0 || r.Unlinked != 0 {
		t.Errorf("at the OTLP backend: %s", r)
	}
	for _, seq := range []int{0, 1, 2, 3} {
		lr := otlp.RecordBySeq(seq)
		if lr == nil {
			t.Errorf("record %d: none", seq)
			continue
		}
		if seq%2 == 0 {
			if !fbtest.Equal16(lr.GetTraceId(), 0, fbtest.TraceID(seq)) || !fbtest.Equal16(append(make([]byte, 8), lr.GetSpanId()...), 0, fbtest.SpanID(seq)) {
				t.Errorf("record %d: trace_id %s span_id %s, want %032x %016x", seq, fbtest.HexID(lr.GetTraceId()), fbtest.HexID(lr.GetSpanId()), fbtest.TraceID(seq), fbtest.SpanID(seq))
			}
			if lr.GetSeverityNumber() != 9 || lr.GetSeverityText() != "INFO" {
				t.Errorf("record %d: severity %v %q, want 9 INFO (pino level 30)", seq, lr.GetSeverityNumber(), lr.GetSeverityText())
			}
			continue
		}
		if fbtest.HexID(lr.GetTraceId()) != "4bf92f3577b34da6a3ce929d0e0e4736" || fbtest.HexID(lr.GetSpanId()) != "00f067aa0ba902b7" || lr.GetFlags() != 1 {
			t.Errorf("record %d: trace_id %s span_id %s flags %d", seq, fbtest.HexID(lr.GetTraceId()), fbtest.HexID(lr.GetSpanId()), lr.GetFlags())
		}
		if lr.GetSeverityNumber() != 17 || lr.GetSeverityText() != "ERROR" {
			t.Errorf("record %d: severity %v %q, want 17 ERROR", seq, lr.GetSeverityNumber(), lr.GetSeverityText())
		}
		if want := uint64(time.Date(2025, 11, 21, 10, 0, 0, 250e6, time.UTC).UnixNano()); lr.GetTimeUnixNano() != want {
			t.Errorf("record %d: time_unix_nano %d, want the log's own %d", seq, lr.GetTimeUnixNano(), want)
		}
	}
	checkNoProblems(t, fb.Log())
}
