package parser

import (
	"strings"
	"testing"
)

// The standards to the letter. Each case cites the section of the specification, or the
// tracer's source, it follows.
const (
	w3c      = "W3C Trace Context Level 1, "
	w3cSuite = "w3c/trace-context test/test.py, "
)

const (
	tpTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	tpSpan  = "00f067aa0ba902b7"
	tpOther = "0af7651916cd43dd8448eb211c80319c"
)

func TestW3CTraceparent(t *testing.T) {
	tp := func(ver, tr, sp, fl string) string { return ver + "-" + tr + "-" + sp + "-" + fl }
	good := tp("00", tpTrace, tpSpan, "01")
	other := tp("00", tpOther, "b7ad6b7169203331", "01")
	checkLinks(t, []linkCase{
		{name: "valid", ref: w3c + "3.2.2", line: "traceparent: " + good, trace: tpTrace, span: tpSpan, sampled: true, source: SourceTraceparent},
		{name: "valid, JSON", ref: w3c + "3.2.2", line: `{"traceparent":"` + good + `"}`, trace: tpTrace, span: tpSpan, sampled: true},
		{name: "valid, bare", ref: w3c + "3.2.2", line: "GET /a " + good + " 200", trace: tpTrace, span: tpSpan, sampled: true},
		// 3.2.2.2/3: trace-id and parent-id are 32 and 16 HEXDIGLC (lowercase); 3.2.2: "a
		// vendor MUST ignore the traceparent when [it] is invalid".
		{name: "upper-case trace id", ref: w3c + "3.2.2.3 (HEXDIGLC); " + w3cSuite + "test_traceparent_trace_id_uppercase", line: "traceparent: " + tp("00", "4BF92F3577B34DA6A3CE929D0E0E4736", tpSpan, "01")},
		{name: "upper-case trace id, JSON", ref: w3c + "3.2.2.3", line: `{"traceparent":"` + tp("00", "4BF92F3577B34DA6A3CE929D0E0E4736", tpSpan, "01") + `"}`},
		{name: "upper-case trace id, bare", ref: w3c + "3.2.2.3", line: "GET / " + tp("00", "4BF92F3577B34DA6A3CE929D0E0E4736", tpSpan, "01")},
		{name: "upper-case parent id", ref: w3c + "3.2.2.4; " + w3cSuite + "test_traceparent_parent_id_uppercase", line: "traceparent=" + tp("00", tpTrace, "00F067AA0BA902B7", "01")},
		{name: "upper-case flags", ref: w3c + "3.2.2.5", line: "traceparent=" + tp("00", tpTrace, tpSpan, "0A")},
		{name: "upper-case version", ref: w3c + "3.2.2.1; " + w3cSuite + "test_traceparent_version_0x0A", line: "traceparent=" + tp("0A", tpTrace, tpSpan, "01")},
		{name: "upper-case, traceparent shape under traceId", ref: w3c + "3.2.2.3", line: `{"traceId":"` + tp("00", "4BF92F3577B34DA6A3CE929D0E0E4736", tpSpan, "01") + `"}`},
		// 3.2.2.1: version ff is invalid.
		{name: "version ff", ref: w3c + "3.2.2.1; " + w3cSuite + "test_traceparent_version_0xff", line: "traceparent=" + tp("ff", tpTrace, tpSpan, "01")},
		// 3.2.4: a higher version is parsed as 00 when at least 55 bytes, continuing only after '-'.
		{name: "version cc, 55 bytes", ref: w3c + "3.2.4; " + w3cSuite + "test_traceparent_version_0xcc", line: "traceparent=" + tp("cc", tpTrace, tpSpan, "01"), trace: tpTrace, span: tpSpan, sampled: true},
		{name: "version cc, continued after -", ref: w3c + "3.2.4", line: "traceparent=" + tp("cc", tpTrace, tpSpan, "01") + "-what-the-future-will-be-like", trace: tpTrace, span: tpSpan, sampled: true},
		{name: "version cc, continued without -", ref: w3c + "3.2.4", line: "traceparent=" + tp("cc", tpTrace, tpSpan, "01") + ".what", rec: nil},
		{name: "version cc, continued without -, JSON", ref: w3c + "3.2.4", line: `{"traceparent":"` + tp("cc", tpTrace, tpSpan, "01") + `.what-the-future"}`},
		// Version 00 ends at the flags.
		{name: "version 00, trailing dot", ref: w3c + "3.2.2 (version-format 00: exactly 55 bytes); " + w3cSuite + "test_traceparent_ows_handling", line: `{"traceparent":"` + good + `."}`},
		{name: "version 00, trailing .what", ref: w3c + "3.2.2", line: "traceparent=" + good + ".what"},
		{name: "version 00, bare, trailing dot", ref: w3c + "3.2.2", line: "forwarded " + good + ". done"},
		{name: "version 00, bare, trailing .what", ref: w3c + "3.2.2", line: "forwarded " + good + ".what"},
		{name: "version 00, extra field", ref: w3c + "3.2.2", line: "traceparent=" + good + "-ab"},
		{name: "version 00, bare, extra field", ref: w3c + "3.2.2", line: "forwarded " + good + "-ab"},
		{name: "bare, ended by a quote", ref: w3c + "3.2.2", line: `"GET / HTTP/1.1" 200 "` + good + `"`, trace: tpTrace, span: tpSpan, sampled: true},
		// 3.2.2.3/4: all-zero ids are invalid.
		{name: "zero trace id", ref: w3c + "3.2.2.3; " + w3cSuite + "test_traceparent_trace_id_all_zero", line: "traceparent=" + tp("00", "00000000000000000000000000000000", tpSpan, "01")},
		{name: "zero parent id", ref: w3c + "3.2.2.4; " + w3cSuite + "test_traceparent_parent_id_all_zero", line: "traceparent=" + tp("00", tpTrace, "0000000000000000", "01")},
		{name: "short", ref: w3c + "3.2.2", line: "traceparent=" + tp("00", tpTrace[1:], tpSpan, "01")},
		{name: "non-hex", ref: w3c + "3.2.2", line: "traceparent=" + tp("00", tpTrace[:31]+"g", tpSpan, "01")},
		// Duplicates: the test suite sends two traceparent headers and expects a new trace.
		{name: "two values, JSON array", ref: w3cSuite + "test_traceparent_duplicated", line: `{"headers":{"traceparent":["` + good + `","` + other + `"]}}`},
		{name: "two values, msgpack array", ref: w3cSuite + "test_traceparent_duplicated", rec: []kv{{"traceparent", []any{good, other}}}},
		{name: "two values, header list", ref: w3cSuite + "test_traceparent_duplicated; RFC 9110 5.3", line: "traceparent: " + good + ", " + other},
		{name: "two values, JSON header list", ref: w3cSuite + "test_traceparent_duplicated", line: `{"traceparent":"` + good + `, ` + other + `"}`},
		{name: "two values, bare list", ref: w3cSuite + "test_traceparent_duplicated", line: "hop " + good + "," + other},
		{name: "one value in an array", ref: w3c + "3.2", line: `{"headers":{"traceparent":["` + good + `"]}}`, trace: tpTrace, span: tpSpan, sampled: true},
		// 3.2.2.5: trace-flags is a bit field; bit 0 is sampled, the others are kept.
		{name: "flags 03", ref: w3c + "3.2.2.5 (Level 2: 02 is random)", line: "traceparent=" + tp("00", tpTrace, tpSpan, "03"), trace: tpTrace, span: tpSpan, sampled: true, flags: "03"},
		{name: "flags 02", ref: w3c + "3.2.2.5", line: "traceparent=" + tp("00", tpTrace, tpSpan, "02"), trace: tpTrace, span: tpSpan, sampled: false, flags: "02"},
		{name: "flags ff", ref: w3c + "3.2.2.5; " + w3cSuite + "test_traceparent_trace_flags_illegal_characters (ff is legal hex)", line: "traceparent=" + tp("00", tpTrace, tpSpan, "ff"), trace: tpTrace, span: tpSpan, sampled: true, flags: "ff"},
		{name: "JSON flags number 3", ref: w3c + "3.2.2.5; OTLP/JSON LogRecord.flags", line: `{"trace_id":"` + tpTrace + `","span_id":"` + tpSpan + `","flags":3}`, trace: tpTrace, span: tpSpan, sampled: true, flags: "03"},
		{name: "JSON flags number 2", ref: w3c + "3.2.2.5", line: `{"trace_id":"` + tpTrace + `","span_id":"` + tpSpan + `","trace_flags":2}`, trace: tpTrace, span: tpSpan, sampled: false, flags: "02"},
		{name: "JSON flags string 03", ref: w3c + "3.2.2.5; OTel logs data model TraceFlags", line: `{"trace_id":"` + tpTrace + `","span_id":"` + tpSpan + `","trace_flags":"03"}`, trace: tpTrace, span: tpSpan, sampled: true, flags: "03"},
		{name: "JSON sampled number 3 (flags written under a sampled key)", ref: w3c + "3.2.2.5", line: `{"trace_id":"` + tpTrace + `","span_id":"` + tpSpan + `","sampled":3}`, trace: tpTrace, span: tpSpan, sampled: true},
		{name: "msgpack flags integer 3", ref: w3c + "3.2.2.5", rec: []kv{{"trace_id", tpTrace}, {"span_id", tpSpan}, {"trace_flags", 3}}, trace: tpTrace, span: tpSpan, sampled: true, flags: "03"},
		{name: "text flags 3", ref: w3c + "3.2.2.5", line: "trace_id=" + tpTrace + " span_id=" + tpSpan + " trace_flags=3", trace: tpTrace, span: tpSpan, sampled: true, flags: "03"},
		{name: "record already rewritten keeps its flags", ref: w3c + "3.2.2.5", rec: []kv{{"trace_id", tpTrace}, {"span_id", tpSpan}, {"trace_flags", "03"}}, trace: tpTrace, span: tpSpan, sampled: true, flags: "03"},
	})
}

func TestDatadogEncodings(t *testing.T) {
	const (
		ddFormats = "https://docs.datadoghq.com/tracing/guide/span_and_trace_id_format/"
		ddLogs    = "https://docs.datadoghq.com/tracing/other_telemetry/connect_logs_and_traces/"
	)
	checkLinks(t, []linkCase{
		// A 128-bit id whose low half is zero: dd.trace_id "0" would mean no trace.
		{name: "zero low half from traceparent", ref: ddFormats, line: "traceparent: 00-4bf92f3577b34da60000000000000000-" + tpSpan + "-01", trace: "4bf92f3577b34da60000000000000000", span: tpSpan, sampled: true},
		{name: "zero low half in 128-bit hex dd.trace_id", ref: ddLogs + " (128-bit ids logged as 32 hex)", line: `{"dd.trace_id":"4bf92f3577b34da60000000000000000","dd.span_id":"67667974448284343"}`, trace: "4bf92f3577b34da60000000000000000", span: tpSpan},
		{name: "zero low half, decimal 64-bit id with _dd.p.tid", ref: ddFormats, line: `{"dd.trace_id":"0","_dd.p.tid":"4bf92f3577b34da6","dd.span_id":"67667974448284343"}`},
		{name: "dd.trace_id 0", ref: ddLogs, line: `dd.trace_id=0 dd.span_id=0`},
		// _dd.p.tid: the upper 64 bits, 16 lower-case hex, beside a 64-bit decimal id.
		{name: "_dd.p.tid completes a 64-bit id", ref: ddFormats + " (_dd.p.tid)", line: `{"dd.trace_id":"11803532876627986230","_dd.p.tid":"4bf92f3577b34da6","dd.span_id":"67667974448284343"}`, trace: tpTrace, span: tpSpan},
		{name: "_dd.p.tid malformed is ignored", ref: ddFormats, line: `{"dd.trace_id":"11803532876627986230","_dd.p.tid":"4bf92f3577b34da","dd.span_id":"67667974448284343"}`, trace: "0000000000000000a3ce929d0e0e4736", span: tpSpan},
		{name: "_dd.p.tid beside a 128-bit hex id does not override it", ref: ddFormats, line: `{"dd.trace_id":"` + tpTrace + `","_dd.p.tid":"1111111111111111"}`, trace: tpTrace},
		{name: "_dd.p.tid in x-datadog-tags", ref: "dd-trace-go ddtrace/tracer/textmap.go (x-datadog-tags)", rec: []kv{{"headers", []kv{{"x-datadog-trace-id", "11803532876627986230"}, {"x-datadog-parent-id", "67667974448284343"}, {"x-datadog-sampling-priority", "1"}, {"x-datadog-tags", "_dd.p.dm=-1,_dd.p.tid=4bf92f3577b34da6"}}}}, trace: tpTrace, span: tpSpan, sampled: true},
		// Signed 64-bit decimals: Node.js and Go tracers accept them (two's complement).
		{name: "signed decimal trace id, string", ref: ddFormats + " (Node.js: signed or unsigned)", line: `{"dd.trace_id":"-3932346296519298485","dd.span_id":"67667974448284343"}`, trace: "0000000000000000c96d7fe0b624f24b", span: tpSpan},
		{name: "signed decimal trace id, JSON number", ref: ddFormats, line: `{"dd.trace_id":-3932346296519298485,"dd.span_id":-3932346296519298485}`, trace: "0000000000000000c96d7fe0b624f24b", span: "c96d7fe0b624f24b"},
		{name: "signed decimal trace id, msgpack integer", ref: ddFormats, rec: []kv{{"dd.trace_id", int64(-3932346296519298485)}}, trace: "0000000000000000c96d7fe0b624f24b"},
		{name: "signed decimal in text", ref: ddFormats, line: "dd.trace_id=-3932346296519298485 dd.span_id=67667974448284343", trace: "0000000000000000c96d7fe0b624f24b", span: tpSpan},
		{name: "int64 minimum", ref: ddFormats, line: `{"dd.trace_id":"-9223372036854775808"}`, trace: "00000000000000008000000000000000"},
		{name: "short negative is not an id", ref: ddFormats, line: `{"dd.trace_id":"-5"}`},
		{name: "below int64", ref: ddFormats, line: `{"dd.trace_id":"-9223372036854775809"}`},
		{name: "negative under a generic key is not an id", ref: "OpenTelemetry ids are never signed", line: `{"trace_id":"-3932346296519298485"}`},
		{name: "128-bit decimal", ref: ddLogs, line: `dd.trace_id=100985939111033328018442752961257817910`, trace: tpTrace},
	})
}

func TestB3XRayJaegerEdges(t *testing.T) {
	const (
		b3   = "https://github.com/openzipkin/b3-propagation#"
		xray = "https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader"
		jg   = "https://www.jaegertracing.io/docs/1.76/architecture/propagation-format/ (jaeger-client-go span_context.go)"
	)
	checkLinks(t, []linkCase{
		{name: "b3 single, 64-bit trace", ref: b3 + "traceid (16 or 32 lower-hex)", line: "b3: 48485a3953bb6124-a2fb4a1d1a96d312-1", trace: "000000000000000048485a3953bb6124", span: "a2fb4a1d1a96d312", sampled: true, source: SourceB3},
		{name: "b3 single, debug", ref: b3 + "debug-flag (d implies accept)", line: "b3: " + tpTrace + "-" + tpSpan + "-d", trace: tpTrace, span: tpSpan, sampled: true},
		{name: "b3 single, parent", ref: b3 + "single-header", line: "b3: " + tpTrace + "-" + tpSpan + "-0-e457b5a2e4d86bd1", trace: tpTrace, span: tpSpan, sampled: false},
		{name: "b3 single, deny only", ref: b3 + "single-header (sampling state only)", line: "b3: 0"},
		{name: "b3 single, 20-hex trace", ref: b3 + "traceid", line: "b3: 48485a3953bb612448485-a2fb4a1d1a96d312-1"},
		{name: "b3 single, upper-case trace", ref: b3 + "traceid (lower-hex; Brave's HexCodec and OpenTelemetry's B3 propagator refuse upper case)", line: "b3: 80F198EE56343BA864FE8B2A57D3EFF7-05e3ac9a4f6e3b90-1"},
		{name: "b3 multi, upper-case trace", ref: b3 + "traceid", line: "X-B3-TraceId: 80F198EE56343BA864FE8B2A57D3EFF7, X-B3-SpanId: 05e3ac9a4f6e3b90"},
		{name: "b3 multi, upper-case span dropped", ref: b3 + "spanid", line: "X-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7, X-B3-SpanId: 05E3AC9A4F6E3B90, X-B3-Sampled: 1", trace: "80f198ee56343ba864fe8b2a57d3eff7", sampled: true},
		{name: "sentry-trace, upper-case", ref: "https://develop.sentry.dev/sdk/telemetry/traces/#header-sentry-trace ([0-9a-f]{32})", line: "sentry-trace: 80F198EE56343BA864FE8B2A57D3EFF7-05e3ac9a4f6e3b90-1"},
		{name: "b3 multi, legacy true", ref: b3 + "sampling-state (true/false accepted from old clients)", line: "X-B3-TraceId: " + tpTrace + ", X-B3-SpanId: " + tpSpan + ", X-B3-Sampled: true", trace: tpTrace, span: tpSpan, sampled: true},
		{name: "b3 multi after an unknown key and ':'", ref: b3 + "multiple-headers", line: "2024-05-01T12:00:00.200Z DEBUG zipkin headers: X-B3-TraceId: 48485a3953bb6124, X-B3-SpanId: a2fb4a1d1a96d312, X-B3-Flags: 1", trace: "000000000000000048485a3953bb6124", span: "a2fb4a1d1a96d312", sampled: true},
		{name: "b3 multi, flags 1 is debug", ref: b3 + "debug-flag", line: "X-B3-TraceId: " + tpTrace + ", X-B3-SpanId: " + tpSpan + ", X-B3-Flags: 1", trace: tpTrace, span: tpSpan, sampled: true},
		{name: "xray, Self and Lineage fields", ref: xray, line: "X-Amzn-Trace-Id: Self=1-67891234-12456789abcdef012345678;Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1|68fd508a:5", trace: "5759e988bd862e3fe1be46a994272793", span: "53995c3f42cd8ad8", sampled: true, source: SourceXRay},
		{name: "xray, sampling deferred", ref: xray + " (Sampled=?)", line: "X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?", trace: "5759e988bd862e3fe1be46a994272793"},
		{name: "xray, version 2 refused", ref: xray + " (version 1)", line: "X-Amzn-Trace-Id: Root=2-5759e988-bd862e3fe1be46a994272793"},
		{name: "xray, zero trace refused", ref: xray, line: "X-Amzn-Trace-Id: Root=1-00000000-000000000000000000000000"},
		{name: "xray trace id under traceId", ref: "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html", line: `{"traceId":"1-5759e988-bd862e3fe1be46a994272793","level":"INFO"}`, trace: "5759e988bd862e3fe1be46a994272793", source: SourceXRay},
		{name: "jaeger, ids without leading zeros", ref: jg, line: "uber-trace-id: 1a2b3c:4d5e6f:0:1", trace: "000000000000000000000000001a2b3c", span: "00000000004d5e6f", sampled: true, source: SourceJaeger},
		{name: "jaeger, flags 3 (sampled, debug)", ref: jg, line: "uber-trace-id: 51729f13a64c2ef3:258169797d519815:0:3", trace: "000000000000000051729f13a64c2ef3", span: "258169797d519815", sampled: true},
		{name: "jaeger, flags 2 (debug bit only)", ref: jg, line: "uber-trace-id: 51729f13a64c2ef3:258169797d519815:0:2", trace: "000000000000000051729f13a64c2ef3", span: "258169797d519815", sampled: false},
		{name: "jaeger, 128-bit", ref: jg, line: "uber-trace-id: " + tpTrace + ":" + tpSpan + ":0:1", trace: tpTrace, span: tpSpan, sampled: true},
		{name: "jaeger, zero span", ref: jg, line: "uber-trace-id: 51729f13a64c2ef3:0:0:1"},
		{name: "jaeger, five fields", ref: jg, line: "uber-trace-id: 51729f13a64c2ef3:258169797d519815:0:1:9"},
		{name: "jaeger, 33-hex trace", ref: jg, line: "uber-trace-id: 1" + tpTrace + ":258169797d519815:0:1"},
	})
}

// TestHostileTextStaysLinear: long lines built to make the text finders and shape tests
// rescan (every '/' after 32 hex, every unknown key=hex, traceparent-like runs) are read in
// one pass. There is no timing goal here; a quadratic scan would take minutes on them.
func TestHostileTextStaysLinear(t *testing.T) {
	const n = 1 << 20
	hex32 := "0123456789abcdef0123456789abcdef"
	lines := []string{
		strings.Repeat(hex32+"/", n/33),
		strings.Repeat("a=0", n/3),
		strings.Repeat("k=51729f13a64c2ef3:", n/19),
		strings.Repeat("01-"+hex32+"-0123456789abcdef-01-", n/58),
		strings.Repeat("NR-LINKING|", n/11),
		strings.Repeat("[a,", n/3),
	}
	p := newProc(t)
	for i, l := range lines {
		// The fourth is one valid traceparent of a later version, continued: it links.
		if _, res := p.Process(nil, logLine(t, l)); res.Linked() != (i == 3) {
			t.Errorf("line %d: linked %v", i, res.Linked())
		}
	}
}
