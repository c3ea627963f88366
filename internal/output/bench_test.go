package output

import (
	"testing"

	"github.com/tracelink/tracelink/internal/forward/forwardtest"
	"github.com/tracelink/tracelink/internal/output/outputtest"
)

// BenchmarkFlush measures the flush path, chunk bytes in -> Forward bytes out, on 1000
// Kubernetes-shaped records (~400 bytes, the app's JSON line with Datadog ids in `log`),
// to a discard sink and to an in-test forward receiver on a unix socket (which decodes
// every message, so it shares the CPU with the flush). cpu-ns/record is the process's
// CPU time per record: records/s per core is 1e9 / cpu-ns/record for the discard case.
func BenchmarkFlush(b *testing.B) {
	const perChunk = 1000
	data := outputtest.Chunk(outputtest.V2, 0, perChunk)
	props := map[string]string{"Format": "datadog", "Stats_Interval": "0"}
	run := func(b *testing.B, in *Instance) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		cpu0, cpuOK := processCPU()
		for b.Loop() {
			if got := in.Flush("kube.app", data); got != FlushOK {
				b.Fatalf("Flush = %d", got)
			}
		}
		records := float64(b.N * perChunk)
		b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
		if cpu1, ok := processCPU(); ok && cpuOK {
			// CPU time of the whole process (flush, GC, and for forwardtest-unix the receiver).
			b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/records, "cpu-ns/record")
		}
	}
	b.Run("discard", func(b *testing.B) {
		in, _ := newTestInstance(b, "tracelink.0", props, withSender(discardSender{}))
		run(b, in)
	})
	b.Run("forwardtest-unix", func(b *testing.B) {
		srv := forwardtest.NewUnix(b, forwardtest.WithoutRecording())
		p := map[string]string{"Unix_Path": srv.Addr()}
		for k, v := range props {
			p[k] = v
		}
		in, _ := newTestInstance(b, "tracelink.0", p)
		run(b, in)
	})
}
