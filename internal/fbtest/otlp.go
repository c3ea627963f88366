package fbtest

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/proto"
)

// OTLP stands in for an OpenTelemetry backend's OTLP/HTTP logs endpoint (POST /v1/logs,
// protobuf ExportLogsServiceRequest), decoded with the official OTLP protos. Every
// LogRecord received is kept.
type OTLP struct {
	Server *httptest.Server
	// Counter counts LogRecords by seq; linked means a 16-byte trace_id.
	Counter *Counter

	mu      sync.Mutex
	records []*logspb.LogRecord
}

// NewOTLP starts the receiver; t.Cleanup stops it.
func NewOTLP(tb testing.TB) *OTLP {
	o := &OTLP{Counter: NewCounter()}
	o.Server = httptest.NewServer(http.HandlerFunc(o.export))
	tb.Cleanup(o.Server.Close)
	return o
}

func (o *OTLP) export(w http.ResponseWriter, r *http.Request) {
	b, ok := postBody(w, r, "/v1/logs")
	if !ok {
		return
	}
	// ExportLogsServiceRequest and LogsData are the same message on the wire (field 1,
	// repeated ResourceLogs); LogsData spares this test helper the gRPC service package.
	var req logspb.LogsData
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, rl := range req.GetResourceLogs() {
		for _, sl := range rl.GetScopeLogs() {
			for _, lr := range sl.GetLogRecords() {
				o.mu.Lock()
				o.records = append(o.records, lr)
				o.mu.Unlock()
				if seq, ok := seqInBody(lr); ok {
					o.Counter.Add(seq, len(lr.GetTraceId()) == 16)
				} else {
					o.Counter.AddNoSeq()
				}
			}
		}
	}
	// An empty ExportLogsServiceResponse: every record accepted.
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// seqInBody finds a body key or attribute seq (an integer), or `"seq":N` in the body's
// string values.
func seqInBody(lr *logspb.LogRecord) (int, bool) {
	var texts []string
	if s := lr.GetBody().GetStringValue(); s != "" {
		texts = append(texts, s)
	}
	for _, kv := range append(lr.GetBody().GetKvlistValue().GetValues(), lr.GetAttributes()...) {
		if kv.GetKey() == "seq" {
			if v, ok := kv.GetValue().GetValue().(*commonpb.AnyValue_IntValue); ok {
				return int(v.IntValue), true
			}
		}
		if s := kv.GetValue().GetStringValue(); s != "" {
			texts = append(texts, s)
		}
	}
	for _, s := range texts {
		if m := seqRE.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n, true
		}
	}
	return 0, false
}

// Records returns the LogRecords received so far.
func (o *OTLP) Records() []*logspb.LogRecord {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*logspb.LogRecord(nil), o.records...)
}

// RecordBySeq returns the last LogRecord received for seq.
func (o *OTLP) RecordBySeq(seq int) *logspb.LogRecord {
	var found *logspb.LogRecord
	for _, lr := range o.Records() {
		if s, ok := seqInBody(lr); ok && s == seq {
			found = lr
		}
	}
	return found
}

// HostPort returns the receiver's host and port, for the opentelemetry output.
func (o *OTLP) HostPort() (string, string) { return hostPort(o.Server.URL) }

// HexID formats an id as lowercase hex.
func HexID(b []byte) string { return hex.EncodeToString(b) }

// Equal16 reports whether b is the 16-byte id hi:lo.
func Equal16(b []byte, hi, lo uint64) bool {
	var want [16]byte
	for i := range 8 {
		want[i] = byte(hi >> (56 - 8*i))
		want[8+i] = byte(lo >> (56 - 8*i))
	}
	return bytes.Equal(b, want[:])
}
