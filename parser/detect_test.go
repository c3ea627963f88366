package parser

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

const (
	w3cTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	w3cSpan  = "00f067aa0ba902b7"
	w3cLine  = "00-" + w3cTrace + "-" + w3cSpan + "-01"
)

// TestStructuredShapes: trace context wherever real logs put it, with no configuration.
func TestStructuredShapes(t *testing.T) {
	cases := []struct {
		name        string
		rec         []kv
		trace, span string
		sampled     any
		source      Source
	}{
		{"dd flat strings", []kv{{"message", "hi"}, {"dd.trace_id", "1234567890123456789"}, {"dd.span_id", "9876543210987654321"}},
			"0000000000000000112210f47de98115", "891087b8e3b70cb1", nil, SourceDatadog},
		{"dd flat msgpack integers", []kv{{"dd.trace_id", uint64(1234567890123456789)}, {"dd.span_id", uint64(9876543210987654321)}},
			"0000000000000000112210f47de98115", "891087b8e3b70cb1", nil, SourceDatadog},
		{"dd nested map", []kv{{"dd", []kv{{"trace_id", "2199711714951426111"}, {"span_id", "2195427521297530161"}, {"service", "web"}}}},
			"00000000000000001e86f22671f1f03f", "1e77b9b2e10e3d31", nil, SourceDatadog},
		{"serilog Properties", []kv{{"Properties", []kv{{"dd_trace_id", "2199711714951426111"}, {"dd_span_id", "2195427521297530161"}}}},
			"00000000000000001e86f22671f1f03f", "1e77b9b2e10e3d31", nil, SourceDatadog},
		{"dd 64-bit with _dd.p.tid", []kv{{"dd.trace_id", "11803532876627986230"}, {"_dd.p.tid", "4bf92f3577b34da6"}, {"dd.span_id", "67667974448284343"}},
			w3cTrace, w3cSpan, nil, SourceDatadog},
		{"header map, any case", []kv{{"request_headers", []kv{{"Traceparent", w3cLine}}}}, w3cTrace, w3cSpan, true, SourceTraceparent},
		{"header map, array value", []kv{{"headers", []kv{{"traceparent", []any{w3cLine, 42}}}}}, w3cTrace, w3cSpan, true, SourceTraceparent},
		{"b3 multi headers", []kv{{"req", []kv{{"x-b3-traceid", "48485a3953bb6124"}, {"X-B3-SpanId", "a2fb4a1d1a96d312"}, {"x-b3-sampled", "0"}}}},
			"000000000000000048485a3953bb6124", "a2fb4a1d1a96d312", false, SourceB3},
		{"x-amzn-trace-id", []kv{{"X-Amzn-Trace-Id", "Sampled=0;Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"}},
			"5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", false, SourceXRay},
		{"jaeger url-encoded", []kv{{"uber-trace-id", "51729f13a64c2ef3%3A258169797d519815%3A0%3A1"}},
			"000000000000000051729f13a64c2ef3", "258169797d519815", true, SourceJaeger},
		{"cloud trace partial", []kv{{"x-cloud-trace-context", "105445aa7843bc8bf206b12000100000;o=0"}},
			"105445aa7843bc8bf206b12000100000", "", false, SourceCloudTrace},
		{"sentry-trace header", []kv{{"request", []kv{{"headers", []kv{{"Sentry-Trace", w3cTrace + "-" + w3cSpan + "-0"}}}}}},
			w3cTrace, w3cSpan, false, SourceSentry},
		{"sentry-trace in a text line", []kv{{"log", "GET /api 200 sentry-trace=" + w3cTrace + "-" + w3cSpan + "-1 took 3ms"}}, w3cTrace, w3cSpan, true, SourceSentry},
		{"sentry-trace without sampled", []kv{{"sentry_trace", w3cTrace + "-" + w3cSpan}}, w3cTrace, w3cSpan, nil, SourceSentry},
		{"traceparent beats sentry-trace", []kv{{"traceparent", w3cLine}, {"sentry-trace", "80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-1"}},
			w3cTrace, w3cSpan, true, SourceTraceparent},
		{"otel python", []kv{{"otelTraceID", w3cTrace}, {"otelSpanID", w3cSpan}, {"otelTraceSampled", "True"}, {"otelServiceName", "svc"}},
			w3cTrace, w3cSpan, true, SourceOTel},
		{"otel data model flags number", []kv{{"trace_id", w3cTrace}, {"span_id", w3cSpan}, {"trace_flags", 1}}, w3cTrace, w3cSpan, true, SourceOTel},
		{"otlp json camelCase", []kv{{"traceId", w3cTrace}, {"spanId", w3cSpan}}, w3cTrace, w3cSpan, nil, SourceOTel},
		{"logtracer local", []kv{{"traceId", "854a7fbec6f0c912f6745b514a2ae6ee"}, {"spanID", "231d2786b123764e"}}, "854a7fbec6f0c912f6745b514a2ae6ee", "231d2786b123764e", nil, SourceOTel},
		{"ecs nested", []kv{{"trace", []kv{{"id", w3cTrace}}}, {"span", []kv{{"id", w3cSpan}}}}, w3cTrace, w3cSpan, nil, SourceECS},
		{"ecs transaction as span", []kv{{"trace.id", w3cTrace}, {"transaction.id", w3cSpan}}, w3cTrace, w3cSpan, nil, SourceECS},
		{"datadog otel exporter", []kv{{"otel.trace_id", w3cTrace}, {"otel.span_id", w3cSpan}}, w3cTrace, w3cSpan, nil, SourceOTel},
		{"log-injection beats header dump", []kv{{"trace_id", "80f198ee56343ba864fe8b2a57d3eff7"}, {"span_id", "05e3ac9a4f6e3b90"}, {"headers", []kv{{"traceparent", w3cLine}}}},
			"80f198ee56343ba864fe8b2a57d3eff7", "05e3ac9a4f6e3b90", nil, SourceOTel},
		{"sampled completed from same trace", []kv{{"trace_id", w3cTrace}, {"span_id", "1111111111111111"}, {"headers", []kv{{"traceparent", w3cLine}}}},
			w3cTrace, "1111111111111111", true, SourceOTel},
		{"64-bit dd id completed by a 128-bit traceparent of the same trace", []kv{{"dd.trace_id", "11803532876627986230"}, {"dd.span_id", "1229782938247303441"}, {"headers", []kv{{"traceparent", w3cLine}}}},
			w3cTrace, "1111111111111111", true, SourceDatadog},
		{"app JSON in log field", []kv{{"log", `{"msg":"x \"q\" \u00e9","dd":{"trace_id":"2199711714951426111","span_id":"2195427521297530161"}}` + "\n"}, {"stream", "stdout"}},
			"00000000000000001e86f22671f1f03f", "1e77b9b2e10e3d31", nil, SourceDatadog},
		{"escaped key in app JSON", []kv{{"log", `{"trace\u005fid":"` + w3cTrace + `"}`}}, w3cTrace, "", nil, SourceOTel},
		{"decimal under a generic key", []kv{{"trace_id", "16108321602917563239"}, {"span_id", "12837828046733169079"}},
			"0000000000000000df8c4126fda6fb67", "b22920973d13d1b7", nil, SourceOTel},
		{"existing bare google trace", []kv{{"logging.googleapis.com/trace", w3cTrace}, {"logging.googleapis.com/spanId", w3cSpan}}, w3cTrace, w3cSpan, nil, SourceGoogle},
		// Shapes real libraries write (each one's source or docs name the keys).
		{"google python-logging keys already at the top, trace_sampled", []kv{{"message", "hi"}, {"logging.googleapis.com/trace", "projects/my-project/traces/" + w3cTrace},
			{"logging.googleapis.com/spanId", w3cSpan}, {"logging.googleapis.com/trace_sampled", true}}, w3cTrace, w3cSpan, true, SourceGoogle},
		{"serilog compact @tr/@sp", []kv{{"log", `{"@t":"2024-01-01T00:00:00.0000000Z","@mt":"hi","@tr":"` + w3cTrace + `","@sp":"` + w3cSpan + `"}`}},
			w3cTrace, w3cSpan, nil, SourceOTel},
		{"MEL JSON console Scopes (dd-trace-dotnet)", []kv{{"log", `{"Message":"hi","Scopes":[{"Message":"HTTP GET"},{"Message":"dd_service:\"svc\"","dd_service":"svc","dd_trace_id":"5816093046233373578","dd_span_id":"8137520698522488402"}]}`}},
			"000000000000000050b6e9cf815c1b8a", "70ee47f5fbd24e52", nil, SourceDatadog},
		{"MEL Scopes as a msgpack array (activity ids)", []kv{{"Message", "hi"}, {"Scopes", []any{"plain", []kv{{"SpanId", w3cSpan}, {"TraceId", w3cTrace}, {"ParentId", "0000000000000000"}}}}},
			w3cTrace, w3cSpan, nil, SourceOTel},
		{"quarkus MDC sampled", []kv{{"log", "10:49:02 INFO  traceId=" + w3cTrace + ", parentId=, spanId=" + w3cSpan + ", sampled=false [io.qu] hello"}},
			w3cTrace, w3cSpan, false, SourceOTel},
		{"OTLP/JSON flags", []kv{{"traceId", w3cTrace}, {"spanId", w3cSpan}, {"flags", 1}}, w3cTrace, w3cSpan, true, SourceOTel},
		{"lambda powertools xray_trace_id", []kv{{"level", "INFO"}, {"message", "Collecting payment"}, {"xray_trace_id", "1-5759e988-bd862e3fe1be46a994272793"}},
			"5759e988bd862e3fe1be46a994272793", "", nil, SourceXRay},
		{"spring boot 3.2 correlation id, dashes", []kv{{"log", "2024-01-01T10:00:00.000Z  INFO 1 --- [checkout] [nio-8080-exec-1] [" + w3cTrace + "-" + w3cSpan + "] c.e.App : hi"}},
			w3cTrace, w3cSpan, nil, SourceSleuth},
		{"spring boot correlation id, bars", []kv{{"log", "INFO [checkout] [" + w3cTrace + "|" + w3cSpan + "] c.e.App : hi"}},
			w3cTrace, w3cSpan, nil, SourceSleuth},
	}
	p := newProc(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, res, _ := process(t, p, record(t, c.rec...))
			if res.Source != c.source {
				t.Errorf("source = %v, want %v", res.Source, c.source)
			}
			if got, want := m["logging.googleapis.com/trace"], "projects/my-project/traces/"+c.trace; got != want {
				t.Errorf("trace = %v, want %v", got, want)
			}
			if got, ok := m["logging.googleapis.com/spanId"]; c.span == "" && ok || c.span != "" && got != c.span {
				t.Errorf("spanId = %v, want %q", got, c.span)
			}
			if got, ok := m["logging.googleapis.com/traceSampled"]; c.sampled == nil && ok || c.sampled != nil && got != c.sampled {
				t.Errorf("traceSampled = %v (present %v), want %v", got, ok, c.sampled)
			}
		})
	}
}

func TestGoogleResourceNameKeepsProject(t *testing.T) {
	p := newProc(t)
	rec := record(t, kv{"message", "m"}, kv{"logging.googleapis.com/trace", "projects/bbc-connected-data/traces/89f78ff01d84e130a43f2461dddb996f"},
		kv{"logging.googleapis.com/spanId", "d259b23ab3d81bdd"})
	m, res, out := process(t, p, rec)
	if m["logging.googleapis.com/trace"] != "projects/bbc-connected-data/traces/89f78ff01d84e130a43f2461dddb996f" {
		t.Errorf("trace = %v", m["logging.googleapis.com/trace"])
	}
	if res.Changed || !bytes.Equal(out, rec) {
		t.Errorf("an already-correct record must come out identical: %+v", res)
	}
}

func TestDatadogRewritesInPlace(t *testing.T) {
	p := newProc(t, "format", "datadog")
	t.Run("nested", func(t *testing.T) {
		rec := record(t, kv{"dd", []kv{{"trace_id", w3cTrace}, {"service", "web"}}}, kv{"traceparent", w3cLine})
		m, _, out := process(t, p, rec)
		dd := m["dd"].(map[string]any)
		if dd["trace_id"] != "11803532876627986230" || dd["span_id"] != "67667974448284343" || dd["service"] != "web" {
			t.Errorf("nested dd = %v", dd)
		}
		if _, dup := m["dd.trace_id"]; dup {
			t.Errorf("flat dd.trace_id added beside the nested one: %v", m)
		}
		if got := keysInOrder(t, out); len(got) != 2 || got[0] != "dd" {
			t.Errorf("keys = %v", got)
		}
	})
	t.Run("flat", func(t *testing.T) {
		rec := record(t, kv{"dd.trace_id", w3cTrace}, kv{"msg", "x"}, kv{"dd.span_id", uint64(67667974448284343)})
		m, _, out := process(t, p, rec)
		if m["dd.trace_id"] != "11803532876627986230" || m["dd.span_id"] != "67667974448284343" {
			t.Errorf("flat dd = %v", m)
		}
		if got := keysInOrder(t, out); len(got) != 3 || got[0] != "dd.trace_id" || got[2] != "dd.span_id" {
			t.Errorf("keys must keep their places: %v", got)
		}
	})
}

// TestUntouchedFieldsKeepTypes: every field the rewrite does not own keeps its bytes.
func TestUntouchedFieldsKeepTypes(t *testing.T) {
	rec := record(t,
		kv{"big", uint64(math.MaxUint64)}, kv{"neg", -3}, kv{"bin", []byte{0, 0xff, 1}}, kv{"nil", nil},
		kv{"f", 1.5}, kv{"ext", &msgp.RawExtension{Type: 7, Data: []byte{1, 2}}},
		kv{"bad utf8", string([]byte{0xff, 0xfe})}, kv{"arr", []any{1, "a", nil}},
		kv{"traceparent", w3cLine})
	p := newProc(t)
	out, res := p.Process(nil, rec)
	if !res.Linked() {
		t.Fatal("not linked")
	}
	for _, k := range []string{"big", "neg", "bin", "nil", "f", "ext", "bad utf8", "arr", "traceparent"} {
		if !bytes.Equal(rawEntry(t, out, k), rawEntry(t, rec, k)) {
			t.Errorf("field %q changed", k)
		}
	}
	keys := keysInOrder(t, out)
	if keys[len(keys)-3] != "logging.googleapis.com/trace" {
		t.Errorf("new keys must be appended after the original ones: %v", keys)
	}
}

func TestExplicitKeys(t *testing.T) {
	p := newProc(t, "trace_key", "req.ctx.trace", "span_key", "my_span", "sampled_key", "keep")
	rec := record(t, kv{"req", []kv{{"ctx", []kv{{"trace", w3cTrace}}}}}, kv{"my_span", w3cSpan}, kv{"keep", true},
		kv{"dd.trace_id", "1"})
	m, res, _ := process(t, p, rec)
	if res.Source != SourceKeys || m["logging.googleapis.com/trace"] != "projects/my-project/traces/"+w3cTrace ||
		m["logging.googleapis.com/spanId"] != w3cSpan || m["logging.googleapis.com/traceSampled"] != true {
		t.Errorf("got %v %+v", m, res)
	}
	// A flat key with dots is matched as one key too.
	p = newProc(t, "trace_key", "x.trace")
	m, _, _ = process(t, p, record(t, kv{"x.trace", w3cTrace}))
	if m["logging.googleapis.com/trace"] != "projects/my-project/traces/"+w3cTrace {
		t.Errorf("flat dotted key: %v", m)
	}
}

func TestOutputKeys(t *testing.T) {
	p := newProc(t, "output_sampled_key", "logging.googleapis.com/trace_sampled", "output_severity_key", "severity",
		"output_trace_key", "trace", "output_span_key", "span")
	m, _, _ := process(t, p, record(t, kv{"level", "warn"}, kv{"traceparent", w3cLine}))
	if m["logging.googleapis.com/trace_sampled"] != true || m["severity"] != "WARNING" || m["trace"] != "projects/my-project/traces/"+w3cTrace || m["span"] != w3cSpan {
		t.Errorf("got %v", m)
	}
	if _, ok := m["logging.googleapis.com/traceSampled"]; ok {
		t.Error("default sampled key written too")
	}
}

func TestMessageKeyAndMergeLog(t *testing.T) {
	line := `{"level":"error","dd.trace_id":"1234","msg":"boom","n":12345678901234567890}`
	p := newProc(t, "message_key", "payload")
	m, res, _ := process(t, p, record(t, kv{"log", `dd.trace_id=99`}, kv{"payload", line}))
	if res.Source != SourceDatadog || m["logging.googleapis.com/trace"] != "projects/my-project/traces/000000000000000000000000000004d2" {
		t.Errorf("Message_Key: %v", m)
	}
	p = newProc(t, "merge_log", "on")
	m, _, out := process(t, p, record(t, kv{"log", line}, kv{"stream", "stderr"}, kv{"msg", "record wins"}))
	if _, ok := m["log"]; ok {
		t.Errorf("log must be removed when merged: %v", m)
	}
	if m["level"] != "error" || m["msg"] != "record wins" || m["n"] != uint64(12345678901234567890) || m["logging.googleapis.com/severity"] != "ERROR" {
		t.Errorf("merged: %v", m)
	}
	again, _ := p.Process(nil, out)
	if !bytes.Equal(again, out) {
		t.Errorf("merge not idempotent:\n%v\n%v", decode(t, again), m)
	}
}

// TestMergeLogKeepsTextAfterJSON: a JSON line followed by text (New Relic's NR-LINKING
// decoration) links, and Merge_Log leaves its message field whole rather than drop the text.
func TestMergeLogKeepsTextAfterJSON(t *testing.T) {
	line := `{"level":"info","message":"hello"} NR-LINKING|MTIzNDU2|web-1|` + w3cTrace + `|` + w3cSpan + `|checkout|`
	m, res, _ := process(t, newProc(t, "merge_log", "on"), logLine(t, line))
	if res.Source != SourceNewRelic || m["log"] != line || m["logging.googleapis.com/spanId"] != w3cSpan {
		t.Errorf("got %+v: %v", res, m)
	}
}

func TestMalformedRecordUnchanged(t *testing.T) {
	p := newProc(t)
	good := record(t, kv{"traceparent", w3cLine})
	for _, in := range [][]byte{nil, {0xc1}, good[:len(good)-3], append(append([]byte{}, good...), 0x01), msgp.AppendString(nil, w3cLine)} {
		out, res := p.Process([]byte("prefix"), in)
		if !bytes.Equal(out, append([]byte("prefix"), in...)) || res.Linked() || res.Changed {
			t.Errorf("malformed %x: got %x %+v", in, out, res)
		}
	}
}

func TestIdempotent(t *testing.T) {
	var recs [][]byte
	for _, v := range referenceVectors {
		recs = append(recs, logLine(t, v.line))
	}
	recs = append(recs, record(t, kv{"dd", []kv{{"trace_id", "2199711714951426111"}}}, kv{"level", 30}, kv{"traceparent", w3cLine}),
		record(t, kv{"caller", "main.go:42"}, kv{"otelTraceID", w3cTrace}, kv{"severity_number", 17}))
	for _, format := range []string{"stackdriver", "datadog", "otel"} {
		p := newProc(t, "format", format)
		for _, rec := range recs {
			once, _ := p.Process(nil, rec)
			twice, res := p.Process(nil, once)
			if !bytes.Equal(once, twice) || res.Changed {
				t.Errorf("%s: second pass changed %v\n-> %v", format, decode(t, once), decode(t, twice))
			}
		}
	}
}

// TestValidatedShortcut: a Scratch marked Validated gives the same output for valid records.
func TestValidatedShortcut(t *testing.T) {
	p := newProc(t)
	for _, line := range []string{appJSONLine, seedDDTraceLine, "no trace here", w3cLine} {
		rec := k8sRecord(line)
		want, wantRes := p.Process(nil, rec)
		s := Scratch{Validated: true}
		got, gotRes := p.ProcessWith(&s, nil, rec)
		if !bytes.Equal(got, want) || gotRes != wantRes {
			t.Errorf("%q: validated shortcut differs", line)
		}
	}
}

// parseSentryTrace: Sentry's TRACEID-SPANID[-SAMPLED], and what it must refuse.
func TestParseSentryTrace(t *testing.T) {
	for _, tc := range []struct {
		in      string
		ok      bool
		sampled tri
	}{
		{w3cTrace + "-" + w3cSpan + "-1", true, triTrue},
		{w3cTrace + "-" + w3cSpan + "-0", true, triFalse},
		{" " + w3cTrace + "-" + w3cSpan + " ", true, triUnknown},
		{w3cTrace + "-" + w3cSpan + "-2", false, 0},                      // sampled is 1 or 0
		{w3cTrace + "-" + w3cSpan + "-1-x", false, 0},                    // no fourth field
		{w3cTrace[16:] + "-" + w3cSpan, false, 0},                        // Sentry trace ids are 32 hex
		{w3cTrace + "-" + w3cSpan[1:], false, 0},                         // span ids are 16 hex
		{"00000000000000000000000000000000-" + w3cSpan + "-1", false, 0}, // all-zero trace
		{w3cTrace + "-0000000000000000-1", false, 0},                     // all-zero span
		{strings.Replace(w3cTrace, "4", "g", 1) + "-" + w3cSpan, false, 0},
		{w3cTrace, false, 0},
	} {
		c, ok := parseSentryTrace([]byte(tc.in))
		if ok != tc.ok || ok && (c.sampled != tc.sampled || appendTraceHex(nil, c.trace) == nil || string(appendHex64(nil, c.span)) != w3cSpan) {
			t.Errorf("parseSentryTrace(%q) = %+v, %v; want ok %v, sampled %v", tc.in, c, ok, tc.ok, tc.sampled)
		}
	}
}
