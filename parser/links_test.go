package parser

import (
	"strconv"
	"testing"
)

// linkCase is one log line (or record) and the link it must get at every backend. The
// standards and survey tables are lists of them.
type linkCase struct {
	name string
	ref  string // the spec section, tracer source or docs page the case follows
	line string // the container's "log" field (JSON lines are the app's JSON)
	rec  []kv   // the record instead of a log line, when set
	// trace is the 32-hex trace id; "" means the line must not link (and go out unchanged).
	trace, span string
	sampled     any    // true, false, or nil: unknown (not written)
	flags       string // the otel trace_flags written; "" means 01/00 from sampled
	source      Source // SourceNone: not checked
}

// checkLinks runs every case through the stackdriver, datadog and otel backends.
func checkLinks(t *testing.T, cases []linkCase) {
	t.Helper()
	sd, dd, ot := newProc(t), newProc(t, "format", "datadog"), newProc(t, "format", "otel")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := c.rec
			var in []byte
			if rec != nil {
				in = record(t, rec...)
			} else {
				in = logLine(t, c.line)
			}
			m, res, out := process(t, sd, in)
			if c.trace == "" {
				if res.Linked() || string(out) != string(in) {
					t.Fatalf("must not link (%s): %+v -> %v", c.ref, res, m)
				}
				return
			}
			if !res.Linked() {
				t.Fatalf("no link (%s): %+v", c.ref, res)
			}
			if c.source != SourceNone && res.Source != c.source {
				t.Errorf("source = %v, want %v", res.Source, c.source)
			}
			if got, want := m[keyGoogleTrace], "projects/my-project/traces/"+c.trace; got != want {
				t.Errorf("stackdriver trace = %v, want %v (%s)", got, want, c.ref)
			}
			if got, _ := m[keyGoogleSpan].(string); got != c.span {
				t.Errorf("stackdriver spanId = %q, want %q", got, c.span)
			}
			if got := m[keyGoogleSampled]; got != c.sampled {
				t.Errorf("stackdriver traceSampled = %v, want %v", got, c.sampled)
			}

			m, _, _ = process(t, dd, in)
			hi, _ := strconv.ParseUint(c.trace[:16], 16, 64)
			lo, _ := strconv.ParseUint(c.trace[16:], 16, 64)
			wantDD := strconv.FormatUint(lo, 10)
			if lo == 0 {
				wantDD = c.trace
			}
			_ = hi
			if got := m["dd.trace_id"]; got != wantDD {
				t.Errorf("dd.trace_id = %v, want %v", got, wantDD)
			}
			if c.span != "" {
				sp, _ := strconv.ParseUint(c.span, 16, 64)
				if got := m["dd.span_id"]; got != strconv.FormatUint(sp, 10) {
					t.Errorf("dd.span_id = %v, want %d", got, sp)
				}
			}

			m, _, _ = process(t, ot, in)
			if got := m["trace_id"]; got != c.trace {
				t.Errorf("otel trace_id = %v, want %v", got, c.trace)
			}
			if c.span != "" && m["span_id"] != c.span {
				t.Errorf("otel span_id = %v, want %v", m["span_id"], c.span)
			}
			wantFlags := c.flags
			if wantFlags == "" && c.sampled != nil {
				wantFlags = map[bool]string{true: "01", false: "00"}[c.sampled.(bool)]
			}
			if got, ok := m["trace_flags"]; wantFlags == "" && ok || wantFlags != "" && got != wantFlags {
				t.Errorf("otel trace_flags = %v (present %v), want %q", got, ok, wantFlags)
			}
		})
	}
}
