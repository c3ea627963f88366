package parser

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// Rules for shapes real libraries write that earlier versions missed. Each case checks
// the link the stackdriver format writes: trace (32 hex), spanId, traceSampled, and
// whether the record counts as holding an invalid id.
func TestLinkRules(t *testing.T) {
	const (
		tr = "4bf92f3577b34da6a3ce929d0e0e4736"
		sp = "00f067aa0ba902b7"
	)
	cases := []struct {
		name, line  string
		trace, span string
		sampled     any // nil: not written
		invalid     bool
	}{
		// A valid trace next to an invalid span: the trace links, the span is dropped and
		// counted as invalid.
		{"dd span in hex (decimal expected)", `dd.trace_id=1234 dd.span_id=00f067aa0ba902b7`, "000000000000000000000000000004d2", "", nil, true},
		{"span over 64 bits", `dd.trace_id=1234 dd.span_id=18446744073709551616`, "000000000000000000000000000004d2", "", nil, true},
		{"17-hex span", `trace_id=` + tr + ` span_id=00f067aa0ba902b71`, tr, "", nil, true},
		{"JSON: malformed spanId", `{"traceId":"` + tr + `","spanId":"xyz"}`, tr, "", nil, true},
		{"bad span, good span of the same trace elsewhere", `{"trace_id":"` + tr + `","span_id":"nope","traceparent":"00-` + tr + `-` + sp + `-01"}`, tr, sp, true, true},

		// A W3C traceparent-shaped value under a trace-id key (.NET Activity.Id as traceId).
		{"Activity.Id as traceId", `{"traceId":"00-` + tr + `-` + sp + `-01","message":"Not Found"}`, tr, sp, true, false},
		{"traceparent shape under trace_id, own span key wins", `{"trace_id":"00-` + tr + `-` + sp + `-00","span_id":"1111111111111111"}`, tr, "1111111111111111", false, false},
		{"traceparent shape under trace.id (ECS)", `{"trace.id":"00-` + tr + `-` + sp + `-01"}`, tr, sp, true, false},
		{"traceparent shape, all-zero trace", `{"traceId":"00-00000000000000000000000000000000-` + sp + `-01"}`, "", "", nil, true},

		// A decimal span under logging.googleapis.com/spanId (Google's Node.js library copies
		// the X-Cloud-Trace-Context span as it came).
		{"decimal Google spanId", `{"logging.googleapis.com/trace":"projects/p/traces/` + tr + `","logging.googleapis.com/spanId":"789"}`, tr, "0000000000000315", nil, false},
		{"20-digit decimal Google spanId", `{"logging.googleapis.com/trace":"projects/p/traces/` + tr + `","logging.googleapis.com/spanId":"18446744073709551615"}`, tr, "ffffffffffffffff", nil, false},
		{"16 digits are hex, as the field says", `{"logging.googleapis.com/trace":"projects/p/traces/` + tr + `","logging.googleapis.com/spanId":"1234567890123456"}`, tr, "1234567890123456", nil, false},
		{"Google spanId beyond 64 bits", `{"logging.googleapis.com/trace":"projects/p/traces/` + tr + `","logging.googleapis.com/spanId":"18446744073709551616"}`, tr, "", nil, true},
	}
	p := newProc(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, res, _ := process(t, p, logLine(t, c.line))
			if res.Invalid != c.invalid {
				t.Errorf("Invalid = %v, want %v", res.Invalid, c.invalid)
			}
			if c.trace == "" {
				if res.Linked() {
					t.Errorf("linked: %v", m)
				}
				return
			}
			project := "my-project"
			if got, want := m["logging.googleapis.com/trace"], "projects/p/traces/"+c.trace; got != want && got != "projects/"+project+"/traces/"+c.trace {
				t.Errorf("trace = %v, want %s", got, c.trace)
			}
			if got, _ := m["logging.googleapis.com/spanId"].(string); got != c.span {
				t.Errorf("spanId = %q, want %q", got, c.span)
			}
			if got := m["logging.googleapis.com/traceSampled"]; got != c.sampled {
				t.Errorf("traceSampled = %v, want %v", got, c.sampled)
			}
		})
	}
}

// An OTLP/JSON logs batch, as the OpenTelemetry Collector's file exporter writes one per
// line: with exactly one LogRecord, the line links to it; with several, it stays unchanged.
func TestOTLPBatchLines(t *testing.T) {
	one := `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeLogs":[{"scope":{"name":"app"},"logRecords":[{"body":{"stringValue":"slow query"},"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","flags":1}]}]}]}`
	two := `{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"},{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331"}]}]}]}`
	twoResources := `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"5b8efff798038103d269b633813fc60c"}]}]},{"scopeLogs":[{"logRecords":[{"traceId":"0af7651916cd43dd8448eb211c80319c"}]}]}]}`
	protoNames := `{"resource_logs":[{"scope_logs":[{"log_records":[{"trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174"}]}]}]}`
	p := newProc(t)
	for _, c := range []struct {
		name, json string
		link       bool
	}{
		{"one LogRecord", one, true},
		{"two LogRecords", two, false},
		{"two ResourceLogs", twoResources, false},
		{"proto field names", protoNames, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, rec := range [][]byte{logLine(t, c.json), jsonRecord(t, c.json)} {
				m, res, out := process(t, p, rec)
				if res.Linked() != c.link || res.Invalid {
					t.Fatalf("linked %v invalid %v, want linked %v: %v", res.Linked(), res.Invalid, c.link, m)
				}
				if !c.link && string(out) != string(rec) {
					t.Errorf("a batch of several logs was changed: %v", m)
				}
				if c.link && m["logging.googleapis.com/trace"] != "projects/my-project/traces/5b8efff798038103d269b633813fc60c" {
					t.Errorf("trace %v", m["logging.googleapis.com/trace"])
				}
			}
		})
	}
}

// jsonRecord converts a JSON object to the msgpack record Fluent Bit's json parser makes.
func jsonRecord(t *testing.T, s string) []byte {
	t.Helper()
	var v map[string]any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	b, err := msgp.AppendIntf(nil, toMsgp(v))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// toMsgp turns json.Number into int64 or float64, which msgp can encode.
func toMsgp(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = toMsgp(e)
		}
	case []any:
		for i, e := range x {
			x[i] = toMsgp(e)
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// Merge_Log lifts every JSON line, linked or not, so that a stream's records share one shape.
func TestMergeLogWithoutLink(t *testing.T) {
	p := newProc(t, "merge_log", "on")
	m, res, _ := process(t, p, record(t, kv{"log", `{"level":"info","msg":"no trace here","n":1}`}, kv{"stream", "stdout"}))
	if res.Linked() || !res.Changed {
		t.Fatalf("linked %v changed %v, want an unlinked, merged record", res.Linked(), res.Changed)
	}
	if m["msg"] != "no trace here" || m["stream"] != "stdout" || m["log"] != nil {
		t.Errorf("record %v, want the line's members lifted and log removed", m)
	}
	// A text line stays as it was.
	rec := logLine(t, "plain text, no trace")
	out, res := p.Process(nil, rec)
	if res.Changed || string(out) != string(rec) {
		t.Errorf("a text line was changed: %v", decode(t, out))
	}
}
