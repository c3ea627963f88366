package chunk

import (
	"testing"

	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/output/outputtest"
)

// BenchmarkWalk walks 1000 Kubernetes-shaped V2 events (~400 bytes each) with the
// iterative skip the walker uses, side by side with msgp.Skip (recursive) finding the same
// event boundaries.
func BenchmarkWalk(b *testing.B) {
	const perChunk = 1000
	data := outputtest.Chunk(outputtest.V2, 0, perChunk)
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perChunk), "ns/event")
	}
	b.Run("walker", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			w := NewWalker(data)
			var ev Event
			n := 0
			for w.Next(&ev) {
				n++
			}
			if n != perChunk || w.Err() != nil {
				b.Fatal(n, w.Err())
			}
		}
		report(b)
	})
	b.Run("msgp.Skip", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			rest := data
			n := 0
			for len(rest) > 0 {
				var err error
				if rest, err = msgp.Skip(rest); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != perChunk {
				b.Fatal(n)
			}
		}
		report(b)
	})
}
