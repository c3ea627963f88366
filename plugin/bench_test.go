//go:build cgo

package main

import (
	"testing"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/output/outputtest"
	"github.com/tracelink/tracelink/parser"
)

// BenchmarkGetRecord compares, on the same chunk of 1000 Kubernetes-shaped records
// (~400 bytes, V2), fluent-bit-go's decoder (output.NewDecoder + GetRecord into
// map[interface{}]interface{}) with tracelink's zero-copy walk, alone and followed by the
// rewrite (parser.ProcessWith, datadog format, as the flush path calls it). It lives here
// because fluent-bit-go's output package imports "C".
func BenchmarkGetRecord(b *testing.B) {
	const perChunk = 1000
	data := outputtest.Chunk(outputtest.V2, 0, perChunk)
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perChunk), "ns/record")
	}
	b.Run("fluent-bit-go-GetRecord", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			dec := output.NewDecoder(unsafe.Pointer(&data[0]), len(data))
			n := 0
			for {
				ret, _, rec := output.GetRecord(dec)
				if ret != 0 {
					break
				}
				n += len(rec)
			}
			if n != perChunk*4 {
				b.Fatalf("decoded %d fields, want %d", n, perChunk*4)
			}
		}
		report(b)
	})
	b.Run("chunk-walker", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			w := chunk.NewWalker(data)
			var ev chunk.Event
			n := 0
			for w.Next(&ev) {
				n++
			}
			if w.Err() != nil || n != perChunk {
				b.Fatalf("walked %d events: %v", n, w.Err())
			}
		}
		report(b)
	})
	b.Run("chunk-walker+parser", func(b *testing.B) {
		proc, err := parser.New(map[string]string{"Format": "datadog"})
		if err != nil {
			b.Fatal(err)
		}
		var out []byte
		// As the plugin does: one Scratch per flush, records already checked by the walker.
		scratch := parser.Scratch{Validated: true}
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			w := chunk.NewWalker(data)
			var ev chunk.Event
			linked := 0
			for w.Next(&ev) {
				var res parser.Result
				out, res = proc.ProcessWith(&scratch, out[:0], ev.Record)
				if res.Linked() {
					linked++
				}
			}
			if linked != perChunk {
				b.Fatalf("linked %d of %d", linked, perChunk)
			}
		}
		report(b)
	})
}
