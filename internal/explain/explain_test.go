package explain

import (
	"strings"
	"testing"

	"github.com/tracelink/tracelink/internal/jsonmp"
	"github.com/tracelink/tracelink/parser"
)

func record(t *testing.T, json string) []byte {
	t.Helper()
	m, _, err := jsonmp.AppendMsgpack(nil, []byte(json))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRecord(t *testing.T) {
	p, err := parser.New(map[string]string{"format": "otel"})
	if err != nil {
		t.Fatal(err)
	}
	ex := New(p)
	tests := []struct{ rec, want string }{
		{`{"trace_id":"12345"}`, `not linked; refused key trace_id "12345": 5 decimal digits`},
		{`{"req":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}`, `linked by w3c from key req.traceparent "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"; wrote trace_id="4bf92f3577b34da6a3ce929d0e0e4736"`},
		{`{"log":"a b dd.trace_id=16108321602917563239 dd.span_id=12837828046733169079 c"}`, `linked by datadog from token in log "dd.trace_id=16108321602917563239"`},
		{`{"log":"nothing here","level":"info"}`, `not linked: no trace context`},
		{`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"zz"}`, `refused key span_id "zz": not an id`},
		{`{"trace_id":"4bf92f3577b34da6a3ce929d0e","x":1}`, `26 hex digits: a trace id is 32 hex digits`},
		{`{"log":"GET X-Cloud-Trace-Context: 00000000000000000000000000000000/0;o=1"}`, `an all-zero trace id is invalid (X-Cloud-Trace-Context`},
		{`{"dd.trace_id":7660829067201367040}`, `it has most likely been through a float`},
		{`{"log":"dd.trace_id= dd.span_id= x"}`, `token in log "dd.trace_id=", token in log "dd.span_id=": an empty or all-zero id`},
		{`{"log":"dd.trace_id=0 dd.span_id=0 x"}`, `an empty or all-zero id says there is no trace (not an error)`},
		{`{"log":"b3: 4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-1"}`, `not linked; refused token in log "4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-1": the trace id (first dash-separated part) has 31 hex digits`},
		{`{"trace_id":"999999999999999999999999999999999999999999"}`, `42 decimal digits: does not fit in 128 bits`},
		{`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"99999999999999999999999"}`, `23 decimal digits: does not fit in 64 bits`},
	}
	for _, tt := range tests {
		if got := ex.Record(record(t, tt.rec)); !strings.Contains(got, tt.want) {
			t.Errorf("Record(%s) = %q, want it to contain %q", tt.rec, got, tt.want)
		}
	}
}

func TestHolds(t *testing.T) {
	entry := []step{{entry: 0, token: -1}}
	token := []step{{entry: 0, token: 3}}
	member := []step{{entry: 0, token: -1}, {entry: 2, token: -1}}
	other := []step{{entry: 1, token: -1}}
	if !holds(entry, token) || !holds(entry, member) || holds(token, entry) || holds(entry, other) || holds(member, entry) {
		t.Error("holds: a key must hold its tokens and members, and nothing else")
	}
	got := deepest([]target{{path: entry}, {path: token}, {path: other}})
	if len(got) != 2 || got[0].path[0].token != 3 {
		t.Errorf("deepest kept %+v", got)
	}
}

// TestApplyRoundTrip: removing nothing that exists fails, removing a key drops exactly it.
func TestApply(t *testing.T) {
	rec := record(t, `{"a":1,"b":{"c":2,"d":"x y"}}`)
	out, ok := apply(rec, []step{{entry: 1, token: -1}, {entry: 1, token: 0}})
	if !ok {
		t.Fatal("apply failed")
	}
	j, _, err := jsonmp.AppendJSON(nil, out)
	if err != nil || string(j) != `{"a":1,"b":{"c":2,"d":" y"}}` {
		t.Errorf("apply = %s, %v", j, err)
	}
	if _, ok := apply(rec, []step{{entry: 0, token: -1}, {entry: 0, token: -1}}); ok {
		t.Error("apply descended into a number")
	}
}
