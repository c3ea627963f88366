package parser

import "testing"

// referenceVectors are the test vectors of shared/reference/trace-context-in-logs.md
// (conversions computed twice, by two programs other than this one).
var referenceVectors = []struct {
	name, line  string
	trace, span string // normal form; span "" when none
	sampled     any    // true, false or nil (unknown)
	ddTrace     string // dd.trace_id, lower 64 bits in decimal
	ddSpan      string // "" when none
	source      Source
}{
	{"w3c", `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true, "11803532876627986230", "67667974448284343", SourceTraceparent},
	{"b3-single", `b3: 80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-1-e457b5a2e4d86bd1`, "80f198ee56343ba864fe8b2a57d3eff7", "05e3ac9a4f6e3b90", true, "7277407061855694839", "424372568660523920", SourceB3},
	{"b3-multi", "X-B3-TraceId: 48485a3953bb6124, X-B3-SpanId: a2fb4a1d1a96d312, X-B3-Flags: 1", "000000000000000048485a3953bb6124", "a2fb4a1d1a96d312", true, "5208512171318403364", "11744061942159299346", SourceB3},
	{"xray", `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`, "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", true, "16266516598257821587", "6023947403358210776", SourceXRay},
	{"jaeger", `uber-trace-id: 51729f13a64c2ef3:258169797d519815:51729f13a64c2ef3:1`, "000000000000000051729f13a64c2ef3", "258169797d519815", true, "5868928171160383219", "2702557221913466901", SourceJaeger},
	{"cloud-trace", `X-Cloud-Trace-Context: 000000000000007b00000000000001c8/789;o=1`, "000000000000007b00000000000001c8", "0000000000000315", true, "456", "789", SourceCloudTrace},
	{"dd-text-1", `dd.trace_id=8545847825299552251 dd.span_id=3711755234730770098`, "00000000000000007698f351bb8637fb", "3382cdb86352feb2", nil, "8545847825299552251", "3711755234730770098", SourceDatadog},
	{"dd-text-2", `dd.trace_id=3371139772690049666 dd.span_id=13006875827893840236`, "00000000000000002ec8b1c31f61aa82", "b481b4a6ef3a296c", nil, "3371139772690049666", "13006875827893840236", SourceDatadog},
	{"dd-nested-json", `{"dd":{"trace_id":"2199711714951426111","span_id":"2195427521297530161"}}`, "00000000000000001e86f22671f1f03f", "1e77b9b2e10e3d31", nil, "2199711714951426111", "2195427521297530161", SourceDatadog},
	{"dd-128-hex", `dd.trace_id="6660b8e000000000a3ce929d0e0e4736" dd.span_id="67667974448284343"`, "6660b8e000000000a3ce929d0e0e4736", "00f067aa0ba902b7", nil, "11803532876627986230", "67667974448284343", SourceDatadog},
	{"ecs", `{"trace.id":"4bf92f3577b34da6a3ce929d0e0e4736","span.id":"3ff9a8981b7ccd5a"}`, "4bf92f3577b34da6a3ce929d0e0e4736", "3ff9a8981b7ccd5a", nil, "11803532876627986230", "4609901064840072538", SourceECS},
	{"dd-128-decimal", `dd.trace_id=100985939111033328018442752961257817910`, "4bf92f3577b34da6a3ce929d0e0e4736", "", nil, "11803532876627986230", "", SourceDatadog},
}

func TestReferenceVectors(t *testing.T) {
	sd, dd, ot := newProc(t), newProc(t, "format", "datadog"), newProc(t, "format", "otel")
	for _, v := range referenceVectors {
		t.Run(v.name, func(t *testing.T) {
			rec := logLine(t, v.line)

			m, res, _ := process(t, sd, rec)
			if res.Source != v.source || !res.Changed || res.Invalid {
				t.Errorf("stackdriver result = %+v, want source %v, changed, valid", res, v.source)
			}
			if got, want := m["logging.googleapis.com/trace"], "projects/my-project/traces/"+v.trace; got != want {
				t.Errorf("trace = %v, want %v", got, want)
			}
			if got, ok := m["logging.googleapis.com/spanId"]; v.span == "" && ok || v.span != "" && got != v.span {
				t.Errorf("spanId = %v (present %v), want %q", got, ok, v.span)
			}
			if got, ok := m["logging.googleapis.com/traceSampled"]; v.sampled == nil && ok || v.sampled != nil && got != v.sampled {
				t.Errorf("traceSampled = %v (present %v), want %v", got, ok, v.sampled)
			}
			if m["log"] != v.line {
				t.Errorf("log field changed: %v", m["log"])
			}

			m, _, _ = process(t, dd, rec)
			if m["dd.trace_id"] != v.ddTrace {
				t.Errorf("dd.trace_id = %v, want %v", m["dd.trace_id"], v.ddTrace)
			}
			if got, ok := m["dd.span_id"]; v.ddSpan == "" && ok || v.ddSpan != "" && got != v.ddSpan {
				t.Errorf("dd.span_id = %v (present %v), want %q", got, ok, v.ddSpan)
			}

			m, _, _ = process(t, ot, rec)
			if m["trace_id"] != v.trace {
				t.Errorf("otel trace_id = %v, want %v", m["trace_id"], v.trace)
			}
			if v.span != "" && m["span_id"] != v.span {
				t.Errorf("otel span_id = %v, want %v", m["span_id"], v.span)
			}
			wantFlags := map[any]any{true: "01", false: "00"}[v.sampled]
			if got, ok := m["trace_flags"]; v.sampled == nil && ok || v.sampled != nil && got != wantFlags {
				t.Errorf("trace_flags = %v (present %v), want %v", got, ok, wantFlags)
			}
		})
	}
}

func TestDatadogHexOutput(t *testing.T) {
	p := newProc(t, "format", "datadog", "datadog_trace_id", "hex")
	m, _, _ := process(t, p, logLine(t, referenceVectors[0].line))
	if m["dd.trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || m["dd.span_id"] != "67667974448284343" {
		t.Errorf("got dd.trace_id=%v dd.span_id=%v", m["dd.trace_id"], m["dd.span_id"])
	}
}

// TestNoLink: lines that must yield no trace go out byte-identical; refused ids are flagged.
func TestNoLink(t *testing.T) {
	cases := []struct {
		name, line string
		invalid    bool
	}{
		{"traceparent version ff", `traceparent=ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`, true},
		{"bare traceparent version ff", `ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`, true},
		{"traceparent zero trace", `traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01`, true},
		{"traceparent zero span", `traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01`, true},
		{"traceparent v00 extra field", `traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-ab`, true},
		{"dd zero", `dd.trace_id=0 dd.span_id=0`, false},
		{"otel zero", `trace_id=0 span_id=0`, false},
		{"otel all zeros", `trace_id=00000000000000000000000000000000 span_id=0000000000000000`, false},
		{"17 hex", `trace_id=4bf92f3577b34da6a span_id=00f067aa0ba902b7`, true},
		{"31 hex", `trace.id=4bf92f3577b34da6a3ce929d0e0e473`, true},
		{"b3 short span", `b3: 80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b9-1`, true},
		{"b3 bad sampling", `b3: 80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-x`, true},
		{"xray bad root", `X-Amzn-Trace-Id: Root=1-5759e98-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8`, true},
		{"jaeger zero", `uber-trace-id: 0:258169797d519815:0:1`, true},
		{"cloud trace short", `X-Cloud-Trace-Context: 7b00000000000001c8/789;o=1`, true},
		{"cloud trace hex span", `X-Cloud-Trace-Context: 000000000000007b00000000000001c8/00f067aa0ba902b7;o=1`, true},
		{"float damaged number", `{"dd.trace_id": 7660829067201367040, "dd.span_id": 1}`, true},
		{"float exponent", `{"dd.trace_id": 7.660829067201367e18}`, true},
		// JSON.stringify(7660829067201366963) and Go's encoding/json print the double's shortest digits.
		{"float shortest digits", `{"dd.trace_id": 7660829067201367000, "dd.span_id": 1234567890123456800}`, true},
		{"float shortest digits, msgpack", `{"msg": "hi", "trace_id": 7660829067201367000}`, true},
		{"negative", `{"dd.trace_id": -5}`, true},
		{"dd non digits", `dd.trace_id=12ab34`, true},
		{"no trace at all", `GET /healthz 200 1.2ms`, false},
		{"spring boot correlation id, blank", `INFO 1 --- [main] [                                                 ] c.e.App : started`, false},
		{"spring boot correlation id, zeros", `INFO [00000000000000000000000000000000-0000000000000000] c.e.App : started`, false},
		{"ids only in an array of maps that is not Scopes (span links)", `{"msg":"batch","links":[{"trace_id":"` + w3cTrace + `","span_id":"` + w3cSpan + `"}]}`, false},
		{"prose", `connection id: 42 retried = yes`, false},
		{"short number under a generic key", `{"traceId": 42, "spanId": 7}`, true},
		{"short decimal string under a generic key", `trace_id=12345 span_id=678`, true},
	}
	p := newProc(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := logLine(t, c.line)
			out, res := p.Process(nil, rec)
			m := decode(t, out)
			if res.Linked() || res.Changed || string(out) != string(rec) {
				t.Errorf("must not link: %+v -> %v", res, m)
			}
			if res.Invalid != c.invalid {
				t.Errorf("Invalid = %v, want %v", res.Invalid, c.invalid)
			}
		})
	}
}
