// Package outputtest builds Fluent Bit chunks for tests and benchmarks of the output
// plugin: Kubernetes-shaped records of about 400 bytes whose `log` field holds an
// application JSON line carrying Datadog trace ids.
package outputtest

import (
	"encoding/binary"
	"strconv"

	"github.com/tinylib/msgp/msgp"
)

// BaseTime is the EventTime seconds of the first event of a chunk.
const BaseTime = 1763719200 // 2025-11-21T10:00:00Z

// Shape selects the event layout of a generated chunk.
type Shape int

// The layouts.
const (
	// V1 events are [EventTime, record].
	V1 Shape = 1
	// V2 events are [[EventTime, {}], record].
	V2 Shape = 2
)

// TraceID returns the decimal Datadog trace id of record i (never 0).
func TraceID(i int) uint64 { return 1234567890123456789 + uint64(i)*7919 }

// SpanID returns the decimal Datadog span id of record i (never 0).
func SpanID(i int) uint64 { return 987654321098765 + uint64(i)*104729 }

// AppLine returns the application's JSON log line of record i, as a container runtime
// writes it into `log` (with the trailing newline).
func AppLine(i int) string {
	return `{"level":"info","msg":"GET /api/v1/orders/` + strconv.Itoa(i) + ` 200","dd.trace_id":"` +
		strconv.FormatUint(TraceID(i), 10) + `","dd.span_id":"` + strconv.FormatUint(SpanID(i), 10) +
		`","dd.service":"orders","ts":"2025-11-21T10:00:00.123Z"}` + "\n"
}

// AppendRecord appends the msgpack record map of record i: log, stream, seq and a
// kubernetes map with pod_name, namespace_name, container_name, host and labels.
func AppendRecord(dst []byte, i int) []byte {
	dst = msgp.AppendMapHeader(dst, 4)
	dst = msgp.AppendString(dst, "log")
	dst = msgp.AppendString(dst, AppLine(i))
	dst = msgp.AppendString(dst, "stream")
	dst = msgp.AppendString(dst, "stdout")
	dst = msgp.AppendString(dst, "seq")
	dst = msgp.AppendInt(dst, i)
	dst = msgp.AppendString(dst, "kubernetes")
	dst = msgp.AppendMapHeader(dst, 5)
	dst = msgp.AppendString(dst, "pod_name")
	dst = msgp.AppendString(dst, "orders-7d9f8b6c5d-x2k4q")
	dst = msgp.AppendString(dst, "namespace_name")
	dst = msgp.AppendString(dst, "shop")
	dst = msgp.AppendString(dst, "container_name")
	dst = msgp.AppendString(dst, "orders")
	dst = msgp.AppendString(dst, "host")
	dst = msgp.AppendString(dst, "gke-prod-pool-1-abcd")
	dst = msgp.AppendString(dst, "labels")
	dst = msgp.AppendMapHeader(dst, 2)
	dst = msgp.AppendString(dst, "app")
	dst = msgp.AppendString(dst, "orders")
	dst = msgp.AppendString(dst, "pod-template-hash")
	return msgp.AppendString(dst, "7d9f8b6c5d")
}

// AppendEventTime appends a msgpack EventTime (ext 0, 8 bytes).
func AppendEventTime(dst []byte, sec, nsec uint32) []byte {
	dst = append(dst, 0xd7, 0x00)
	dst = binary.BigEndian.AppendUint32(dst, sec)
	return binary.BigEndian.AppendUint32(dst, nsec)
}

// AppendEvent appends event i (records from = first record number) in the given shape.
func AppendEvent(dst []byte, shape Shape, i int) []byte {
	dst = append(dst, 0x92)
	if shape == V2 {
		dst = append(dst, 0x92)
	}
	dst = AppendEventTime(dst, uint32(BaseTime+i), uint32(i%1000)*1000)
	if shape == V2 {
		dst = append(dst, 0x80) // empty metadata
	}
	return AppendRecord(dst, i)
}

// Chunk returns a chunk of n events numbered from first.
func Chunk(shape Shape, first, n int) []byte {
	var out []byte
	for i := first; i < first+n; i++ {
		out = AppendEvent(out, shape, i)
	}
	return out
}

// Seq returns the "seq" value of a record map built by AppendRecord (or rewritten from
// one), and false if the record has no integer seq.
func Seq(record []byte) (int, bool) {
	n, b, err := msgp.ReadMapHeaderBytes(record)
	if err != nil {
		return 0, false
	}
	for ; n > 0; n-- {
		var k []byte
		k, b, err = msgp.ReadStringZC(b)
		if err != nil {
			return 0, false
		}
		if string(k) == "seq" {
			v, _, err := msgp.ReadIntBytes(b)
			return v, err == nil
		}
		if b, err = msgp.Skip(b); err != nil {
			return 0, false
		}
	}
	return 0, false
}
