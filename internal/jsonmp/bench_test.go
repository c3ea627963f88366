package jsonmp

import (
	"encoding/json"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

var benchRecord = []byte(`{"timestamp":"2024-05-01T12:00:00.123Z","level":"info","logger.name":"com.example.Checkout",` +
	`"message":"payment accepted for order 1234","dd.trace_id":"8545847825299552251","dd.span_id":3711755234730770098,` +
	`"http":{"method":"POST","status_code":201,"url":"/api/v1/orders/1234/pay","duration_ms":12.5},"tags":["a","b\n"]}`)

// BenchmarkToMsgpack compares AppendMsgpack with the generic route (encoding/json into
// interface values, then msgp.AppendIntf).
func BenchmarkToMsgpack(b *testing.B) {
	b.Run("jsonmp", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchRecord)))
		var buf []byte
		for b.Loop() {
			var err error
			if buf, _, err = AppendMsgpack(buf[:0], benchRecord); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json+AppendIntf", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchRecord)))
		var buf []byte
		for b.Loop() {
			var v any
			if err := json.Unmarshal(benchRecord, &v); err != nil {
				b.Fatal(err)
			}
			var err error
			if buf, err = msgp.AppendIntf(buf[:0], v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkToJSON compares AppendJSON with msgp.ReadIntfBytes followed by json.Marshal.
func BenchmarkToJSON(b *testing.B) {
	rec, _, err := AppendMsgpack(nil, benchRecord)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("jsonmp", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(rec)))
		var buf []byte
		for b.Loop() {
			var err error
			if buf, _, err = AppendJSON(buf[:0], rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReadIntfBytes+encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(rec)))
		for b.Loop() {
			v, _, err := msgp.ReadIntfBytes(rec)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
