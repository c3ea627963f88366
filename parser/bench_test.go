package parser

import (
	"testing"

	"github.com/tinylib/msgp/msgp"
	vgrok "github.com/vjeantet/grok"

	"github.com/tracelink/tracelink/internal/chunk"
)

// Benchmarks run side by side with the alternative in one run: `make bench`.

// The seed's ddtrace-py line and DataKit pattern (shared/seeds/datakit-python-log-trace.txt).
const (
	seedDDTraceLine = `2021-06-18 10:07:08,786 INFO [__main__] [lt.py:26] [dd.service.name=Python-App dd.env=Testing dd.version=V1.1 dd.trace_id=16108321602917563239 dd.span_id=12837828046733169079] - Hello, World!`
	seedGrok1       = `%{TIMESTAMP_ISO8601:time}%{SPACE}%{WORD:level}%{SPACE}%{NOTSPACE}%{SPACE}%{NOTSPACE}%{SPACE}\[%{GREEDYDATA:trace}\]%{SPACE}-%{SPACE}%{GREEDYDATA:message}`
	seedGrok2       = `%{EMAILLOCALPART}=%{EMAILLOCALPART:service}?%{SPACE}%{EMAILLOCALPART}=%{EMAILLOCALPART:env}?%{SPACE}%{EMAILLOCALPART}=%{EMAILLOCALPART:version}?%{SPACE}%{EMAILLOCALPART}=%{NUMBER:trace_id}?%{SPACE}%{EMAILLOCALPART}=%{NUMBER:span_id}?`
	appJSONLine     = `{"timestamp":"2025-09-10T16:30:45.123Z","levelname":"INFO","name":"bot","function":"on_participant_joined","line":205,"message":"Participant joined the room","dd.trace_id":"1234567890123456789","dd.span_id":"987654321098765432"}` + "\n"
	userGrokLine    = `2025-09-10T16:30:45.123Z WARN checkout-7d9f trace=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7 payment declined for order 8812`
	userGrok        = `%{TIMESTAMP_ISO8601:time} %{LOGLEVEL:level} %{NOTSPACE:pod} trace=%{WORD:trace_id} span=%{WORD:span_id} %{GREEDYDATA:message}`
)

// k8sRecord builds a Kubernetes-shaped record (~400 bytes) around a log line, the way
// tail + CRI parser + kubernetes filter hand it to an output.
func k8sRecord(line string) []byte {
	b := msgp.AppendMapHeader(nil, 3)
	b = msgp.AppendString(b, "log")
	b = msgp.AppendString(b, line)
	b = msgp.AppendString(b, "stream")
	b = msgp.AppendString(b, "stdout")
	b = msgp.AppendString(b, "kubernetes")
	b = msgp.AppendMapHeader(b, 7)
	for _, kv := range [][2]string{
		{"pod_name", "checkout-7d9f8b6c5-x2x9q"}, {"namespace_name", "shop"},
		{"pod_id", "6f0c4a2e-1b7d-4a55-9a8e-2f1c0d9b7e31"}, {"host", "gke-prod-pool-1-9b7e31aa-x2x9"},
		{"container_name", "checkout"}, {"container_image", "us-docker.pkg.dev/shop/checkout:1.42.0"},
	} {
		b = msgp.AppendString(msgp.AppendString(b, kv[0]), kv[1])
	}
	b = msgp.AppendString(b, "labels")
	b = msgp.AppendMapHeader(b, 2)
	b = msgp.AppendString(msgp.AppendString(b, "app"), "checkout")
	b = msgp.AppendString(msgp.AppendString(b, "pod-template-hash"), "7d9f8b6c5")
	return b
}

func mustProcessor(tb testing.TB, props map[string]string) *Processor {
	tb.Helper()
	p, err := New(props)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// k8sChunk builds a Fluent Bit chunk (V2 events) of n records like k8sRecord(line).
func k8sChunk(line string, n int) []byte {
	rec := k8sRecord(line)
	var data []byte
	for i := 0; i < n; i++ {
		data = append(data, 0x92, 0x92) // [[time, metadata], record]
		data = chunk.AppendEventTimeValue(data, chunk.Time{Sec: 1763719200 + int64(i)})
		data = append(data, 0x80) // empty metadata
		data = append(data, rec...)
	}
	return data
}

// benchChunk runs what the plugin runs per record: the chunk walk, then ProcessWith on the
// record the walker already checked (Scratch.Validated). It reports ns/record.
func benchChunk(b *testing.B, p *Processor, line string) {
	b.Helper()
	const perChunk = 1000
	data := k8sChunk(line, perChunk)
	s := Scratch{Validated: true}
	dst := make([]byte, 0, 4096)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w := chunk.NewWalker(data)
		var ev chunk.Event
		linked := 0
		for w.Next(&ev) {
			var res Result
			if dst, res = p.ProcessWith(&s, dst[:0], ev.Record); res.Linked() {
				linked++
			}
		}
		if w.Err() != nil || linked != perChunk {
			b.Fatalf("linked %d of %d: %v", linked, perChunk, w.Err())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perChunk), "ns/record")
}

func benchProcess(b *testing.B, p *Processor, rec []byte) {
	b.Helper()
	dst := make([]byte, 0, 4096)
	if _, res := p.Process(dst, rec); !res.Linked() {
		b.Fatal("benchmark record did not link")
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	var s Scratch
	for i := 0; i < b.N; i++ {
		dst, _ = p.ProcessWith(&s, dst[:0], rec)
	}
}

// BenchmarkTextLine: the seed's ddtrace-py text line through built-in detection, against
// vjeantet/grok running the seed's DataKit pattern on the same line (what users run today).
func BenchmarkTextLine(b *testing.B) {
	rec := k8sRecord(seedDDTraceLine)
	b.Run("tracelink-detect", func(b *testing.B) {
		benchProcess(b, mustProcessor(b, map[string]string{"project_id": "my-project"}), rec)
	})
	b.Run("tracelink-detect-in-chunk", func(b *testing.B) {
		benchChunk(b, mustProcessor(b, map[string]string{"project_id": "my-project"}), seedDDTraceLine)
	})
	b.Run("vjeantet-grok", func(b *testing.B) {
		g, err := vgrok.NewWithConfig(&vgrok.Config{NamedCapturesOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		if m, _ := g.Parse(seedGrok1, seedDDTraceLine); m["trace"] == "" {
			b.Fatal("seed pattern did not match")
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			m, _ := g.Parse(seedGrok1, seedDDTraceLine)
			_, _ = g.Parse(seedGrok2, m["trace"])
		}
	})
}

// BenchmarkJSONLine: a container record whose log field holds the app's JSON line with dd ids.
// The GetRecord comparison (fluent-bit-go's decode) needs cgo: see bench_cgo_test.go.
func BenchmarkJSONLine(b *testing.B) {
	rec := k8sRecord(appJSONLine)
	for _, format := range []string{"stackdriver", "datadog", "otel"} {
		b.Run("tracelink-"+format, func(b *testing.B) {
			benchProcess(b, mustProcessor(b, map[string]string{"format": format, "project_id": "my-project"}), rec)
		})
		b.Run("tracelink-"+format+"-in-chunk", func(b *testing.B) {
			benchChunk(b, mustProcessor(b, map[string]string{"format": format, "project_id": "my-project"}), appJSONLine)
		})
	}
}

// BenchmarkUserGrok: a user Grok_Pattern through Process, against vjeantet/grok's Parse of the
// same pattern and line.
func BenchmarkUserGrok(b *testing.B) {
	rec := k8sRecord(userGrokLine)
	b.Run("tracelink", func(b *testing.B) {
		benchProcess(b, mustProcessor(b, map[string]string{"project_id": "my-project", "grok_pattern": userGrok}), rec)
	})
	b.Run("tracelink-in-chunk", func(b *testing.B) {
		benchChunk(b, mustProcessor(b, map[string]string{"project_id": "my-project", "grok_pattern": userGrok}), userGrokLine)
	})
	b.Run("vjeantet-grok", func(b *testing.B) {
		g, err := vgrok.NewWithConfig(&vgrok.Config{NamedCapturesOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		if m, _ := g.Parse(userGrok, userGrokLine); m["trace_id"] == "" {
			b.Fatal("user pattern did not match")
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_, _ = g.Parse(userGrok, userGrokLine)
		}
	})
}

// BenchmarkSampling measures what Sample_Rate adds per record: the same lines with
// sampling off and at 0.25 with a threshold that keeps them (so both append the same
// record). The ddtrace-py text line's trace id keeps at 0.25; the JSON line needs its
// level read, which sampling does even when Severity would not.
func BenchmarkSampling(b *testing.B) {
	for _, tc := range []struct {
		name string
		line string
	}{
		{"text", seedDDTraceLine},
		{"json", appJSONLine},
	} {
		for _, rate := range []string{"1", "0.25"} {
			b.Run(tc.name+"/rate="+rate, func(b *testing.B) {
				p := mustProcessor(b, map[string]string{"format": "datadog", "sample_rate": rate, "sample_keep_level": "info"})
				rec := k8sRecord(tc.line)
				s := new(Scratch)
				dst := make([]byte, 0, 4096)
				b.ReportAllocs()
				for b.Loop() {
					dst, _ = p.ProcessWith(s, dst[:0], rec)
				}
			})
		}
	}
}

// BenchmarkSampleDecision measures the decision alone, which is all that sampling adds to
// a record whose level the Severity output reads anyway: a traced record (compare the
// trace id with the threshold) and an untraced one (one random number).
func BenchmarkSampleDecision(b *testing.B) {
	s, err := newSampler("0.25", "warning")
	if err != nil {
		b.Fatal(err)
	}
	ctx := spanCtx{trace: traceID{hi: 0x4bf92f3577b34da6, lo: 0xa3ce929d0e0e4736}}
	var rng uint64
	for _, linked := range []bool{true, false} {
		b.Run(map[bool]string{true: "traced", false: "untraced"}[linked], func(b *testing.B) {
			kept := 0
			for i := 0; b.Loop(); i++ {
				ctx.trace.lo += 0x9e3779b97f4a7c15
				if s.keep(lvInfo, linked, &ctx, &rng) {
					kept++
				}
			}
			if kept == 0 {
				b.Fatal("nothing kept")
			}
		})
	}
}
