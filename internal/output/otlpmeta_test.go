package output

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/output/outputtest"
	"github.com/tracelink/tracelink/parser"
)

func TestAppendOTLPMetadata(t *testing.T) {
	link := parser.Link{TraceHi: 0x4bf92f3577b34da6, TraceLo: 0xa3ce929d0e0e4736, Span: 0x00f067aa0ba902b7,
		Sampled: true, SampledKnown: true, Severity: 17, SeverityText: "ERROR"}
	mk := func(v map[string]any) []byte {
		b, err := msgp.AppendIntf(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := map[string]any{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7",
		"trace_flags": uint64(1), "severity_number": uint64(17), "severity_text": "ERROR"}
	tests := []struct {
		name   string
		old    []byte
		link   parser.Link
		legacy bool // the host reads flags from $TraceFlags only (Fluent Bit v3.2 to v5.0.4)
		want   map[string]any
	}{
		{"V1 event (no metadata)", nil, link, false, map[string]any{"otlp": want}},
		{"empty metadata", mk(map[string]any{}), link, false, map[string]any{"otlp": want}},
		{"other metadata kept", mk(map[string]any{"k": "v"}), link, false, map[string]any{"k": "v", "otlp": want}},
		{"otlp entries of others kept, ours replaced",
			mk(map[string]any{"otlp": map[string]any{"observed_timestamp": uint64(5), "trace_id": "00"}}), link, false,
			map[string]any{"otlp": merge(want, map[string]any{"observed_timestamp": uint64(5)})}},
		{"64-bit trace padded, no span, unsampled, no level", nil, parser.Link{TraceLo: 0xdf8c4126fda6fb67, SampledKnown: true}, false,
			map[string]any{"otlp": map[string]any{"trace_id": "0000000000000000df8c4126fda6fb67", "trace_flags": uint64(0)}}},
		{"flags byte kept as written (sampled + random, W3C trace-context level 2)", nil,
			parser.Link{TraceLo: 1, Sampled: true, SampledKnown: true, Flags: 0x03}, false,
			map[string]any{"otlp": map[string]any{"trace_id": "00000000000000000000000000000001", "trace_flags": uint64(3)}}},
		{"legacy host: flags also under TraceFlags", mk(map[string]any{"k": "v"}), link, true,
			map[string]any{"k": "v", "TraceFlags": uint64(1), "otlp": want}},
		{"legacy host: a TraceFlags already there is replaced, not doubled", mk(map[string]any{"TraceFlags": uint64(0)}), link, true,
			map[string]any{"TraceFlags": uint64(1), "otlp": want}},
		{"legacy host, sampled flag unknown: no TraceFlags", mk(map[string]any{"TraceFlags": uint64(0)}), parser.Link{TraceLo: 1}, true,
			map[string]any{"TraceFlags": uint64(0), "otlp": map[string]any{"trace_id": "00000000000000000000000000000001"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := appendOTLPMetadata(nil, tt.old, &tt.link, tt.legacy)
			got, rest, err := msgp.ReadIntfBytes(b)
			if err != nil || len(rest) != 0 {
				t.Fatalf("not one msgpack map: %v, %d bytes left", err, len(rest))
			}
			if !reflect.DeepEqual(normalize(got), normalize(tt.want)) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// normalize makes msgp's decoded integers comparable (it decodes positive ints as int64).
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case int64:
		return uint64(x)
	}
	return v
}

// Format otel: every linked event leaves as a V2 event whose metadata carries the link.
func TestFlushOTelWritesEventMetadata(t *testing.T) {
	cs := &captureSender{}
	in, _ := newTestInstance(t, "tracelink.0", map[string]string{"Format": "otel", "Stats_Interval": "0"}, withSender(cs))
	for _, shape := range []outputtest.Shape{outputtest.V1, outputtest.V2} {
		if got := in.Flush("app", outputtest.Chunk(shape, 0, 3)); got != FlushOK {
			t.Fatalf("Flush = %d", got)
		}
	}
	drain(t, in)
	n := 0
	for _, m := range cs.messages() {
		w := chunk.NewWalker(m.entries)
		var ev chunk.Event
		for w.Next(&ev) {
			n++
			if ev.Shape != chunk.ShapeV2 {
				t.Fatalf("event %d is not V2", n)
			}
			md, _, err := msgp.ReadMapStrIntfBytes(ev.Metadata, nil)
			if err != nil {
				t.Fatal(err)
			}
			otlp, _ := md["otlp"].(map[string]any)
			seq, _ := outputtest.Seq(ev.Record)
			if otlp["trace_id"] != fmtHex32(outputtest.TraceID(seq)) || otlp["span_id"] != fmtHex16(outputtest.SpanID(seq)) {
				t.Errorf("record %d: metadata %v", seq, md)
			}
			if otlp["severity_text"] != "INFO" || normalize(otlp["severity_number"]) != uint64(9) {
				t.Errorf("record %d: severity in metadata %v", seq, otlp)
			}
		}
		if w.Err() != nil {
			t.Fatal(w.Err())
		}
	}
	if n != 6 {
		t.Errorf("%d events sent, want 6", n)
	}
}

func fmtHex32(v uint64) string { return fmt.Sprintf("%032x", v) }
func fmtHex16(v uint64) string { return fmt.Sprintf("%016x", v) }
