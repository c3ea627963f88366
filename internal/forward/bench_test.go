package forward

import (
	"context"
	"testing"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/forward/forwardtest"
)

// benchEvents is the batch size of one Send: a typical Fluent Bit chunk slice.
const benchEvents = 1000

// BenchmarkSend sends a 1000-event batch of ~400-byte records over a unix
// socket to forwardtest (which decodes, checks and acks every message) and
// waits for the ack:
//   - forward.Client: one PackedForward message per batch (what tracelink does);
//   - fluent-logger-golang: the alternative we did not take, one Message-mode
//     message per event with RequestAck (it cannot send pre-encoded entries),
//     records pre-decoded to maps outside the timer.
//
// MB/s counts the entries bytes; events/s counts events.
func BenchmarkSend(b *testing.B) {
	entries := makeEntries(benchEvents, 400)

	for _, withCancel := range []bool{false, true} {
		name := "forward.Client/PackedForward/ctx=Background"
		if withCancel {
			name = "forward.Client/PackedForward/ctx=WithCancel"
		}
		b.Run(name, func(b *testing.B) { benchmarkClient(b, entries, withCancel) })
	}

	b.Run("fluent-logger-golang/Message+ack-per-event", func(b *testing.B) {
		s := forwardtest.NewUnix(b, forwardtest.WithoutRecording())
		type event struct {
			tm     time.Time
			record map[string]any
		}
		var events []event
		for _, e := range splitEntries(b, entries) {
			_, rest, _ := msgp.ReadArrayHeaderBytes(e)
			tm := time.Unix(1700000000, 0)
			if msgp.NextType(rest) == msgp.ArrayType {
				_, rest, _ = msgp.ReadArrayHeaderBytes(rest)
				rest, _ = msgp.Skip(rest)
			}
			rest, _ = msgp.Skip(rest)
			rec, _, err := msgp.ReadMapStrIntfBytes(rest, nil)
			if err != nil {
				b.Fatal(err)
			}
			events = append(events, event{tm, rec})
		}
		logger, err := fluent.New(fluent.Config{
			FluentNetwork: "unix", FluentSocketPath: s.Addr(),
			RequestAck: true, SubSecondPrecision: true, MaxRetry: 1,
			Timeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		})
		if err != nil {
			b.Fatal(err)
		}
		defer logger.Close()
		b.SetBytes(int64(len(entries)))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			for _, e := range events {
				if err := logger.PostWithTime("bench", e.tm, e.record); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N)*benchEvents/b.Elapsed().Seconds(), "events/s")
	})
}

// benchmarkClient measures Send on an open connection; a cancellable context
// adds the cost of watching it (context.AfterFunc).
func benchmarkClient(b *testing.B, entries []byte, withCancel bool) {
	s := forwardtest.NewUnix(b, forwardtest.WithoutRecording())
	c := newClient(b, s, func(cfg *Config) { cfg.AckTimeout = 10 * time.Second })
	ctx := context.Background()
	if withCancel {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
	}
	if err := c.Send(ctx, "bench", entries, benchEvents); err != nil { // dial outside the timer
		b.Fatal(err)
	}
	b.SetBytes(int64(len(entries)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := c.Send(ctx, "bench", entries, benchEvents); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*benchEvents/b.Elapsed().Seconds(), "events/s")
}
