package output

import (
	"context"
	"time"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/spool"
)

// sender delivers PackedForward entries; *forward.Client in production.
type sender interface {
	Send(ctx context.Context, tag string, entries []byte, count int) error
	Close() error
}

// Timings are the sender's waits. A zero field keeps its default (DefaultTimings).
type Timings struct {
	// MinBackoff and MaxBackoff bound the wait between two attempts at an undelivered
	// batch: it starts at MinBackoff and doubles up to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// QuietFailures is how long a sender's attempts may keep failing before it warns: a
	// shutdown or a hot reload pauses the forward input for about a second before it stops
	// the instance, and the batches in flight then are simply sent at the next start.
	QuietFailures time.Duration
}

// DefaultTimings are the sender's waits unless WithTimings changes them.
var DefaultTimings = Timings{MinBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second, QuietFailures: 3 * time.Second}

// withDefaults fills t's zero fields from DefaultTimings.
func (t Timings) withDefaults() Timings {
	if t.MinBackoff <= 0 {
		t.MinBackoff = DefaultTimings.MinBackoff
	}
	if t.MaxBackoff <= 0 {
		t.MaxBackoff = max(DefaultTimings.MaxBackoff, t.MinBackoff)
	}
	if t.QuietFailures <= 0 {
		t.QuietFailures = DefaultTimings.QuietFailures
	}
	return t
}

// sendLoop delivers spooled batches, oldest first, until Close. A batch that could not
// be delivered goes back to the front of the queue and is tried again after a pause that
// doubles up to Timings.MaxBackoff; it is removed only once every part of it was acknowledged.
func (in *Instance) sendLoop() {
	defer in.senders.Done()
	var buf []byte
	backoff := time.Duration(0)
	var failingSince time.Time // start of the current run of failed attempts
	for {
		b, err := in.spool.Next(in.ctx.Done())
		if b == nil || err != nil {
			return
		}
		entries, err := in.spool.Read(b, &buf)
		if err == nil {
			err = in.sendBatch(b, entries)
		}
		if err != nil {
			closing := in.ctx.Err() != nil
			if !closing {
				in.count(Stats{SendRetries: 1})
				if failingSince.IsZero() {
					failingSince = time.Now()
				}
				// A shutdown or hot reload pauses the forward input before it stops this
				// instance: failures shorter than that are not worth a warning.
				if time.Since(failingSince) >= in.timings.QuietFailures && in.logEvery(&in.lastSendLog, warnEvery) {
					in.log.Logf(LevelWarn, "could not deliver %d events (tag %q) to %s:%s, retrying (%d attempts failed so far): %v",
						b.Count, b.Tag, in.cfg.network, in.cfg.address, in.counters.sendRetries.Load(), err)
				}
			}
			in.spool.Requeue(b) // another sender may take b from here on
			if closing {
				return // the batch stays spooled for the next instance
			}
			backoff = min(max(2*backoff, in.timings.MinBackoff), in.timings.MaxBackoff)
			select {
			case <-time.After(backoff):
			case <-in.ctx.Done():
				return
			}
			continue
		}
		backoff, failingSince = 0, time.Time{}
		if err := in.spool.Done(b); err != nil {
			in.log.Logf(LevelError, "%v", err)
		}
		in.count(Stats{Acked: uint64(b.Count)})
	}
}

// maxMessageBytes bounds one Forward message. in_forward re-reads a message from its
// first byte each time more of it arrives, so its cost grows with the message's size;
// it also refuses, without an ack, a message above its buffer_max_size (6,144,000 bytes
// by default). A larger batch is sent as several messages, split at event boundaries.
const maxMessageBytes = 256 << 10

// sendBatch sends b's entries from b.Sent on, one message per part (messages of at most
// maxMessageBytes; an event larger than that goes alone). Each acknowledged message moves
// b.Sent, so a retry resumes after what was delivered.
func (in *Instance) sendBatch(b *spool.Batch, entries []byte) error {
	parts := b.Parts
	if parts == nil {
		parts = walkParts(entries, b.Count)
	}
	for _, p := range parts {
		if p.End <= b.Sent {
			continue
		}
		ctx, cancel := context.WithTimeout(in.ctx, in.cfg.connectTimeout+2*in.cfg.ackTimeout)
		err := in.send.Send(ctx, b.Tag, entries[b.Sent:p.End], p.Count)
		cancel()
		if err != nil {
			return err
		}
		b.Sent = p.End
	}
	return nil
}

// cutParts appends to dst the messages that entries of length end are sent as: events
// (starting at starts) are added to a message while it stays within maxMessageBytes. count
// is the number of events.
func cutParts(dst []spool.Part, starts []int, end, count int) []spool.Part {
	msgStart, n := 0, 0
	for i, s := range starts {
		e := end
		if i+1 < len(starts) {
			e = starts[i+1]
		}
		if n > 0 && e-msgStart > maxMessageBytes {
			dst = append(dst, spool.Part{End: s, Count: n})
			msgStart, n = s, 0
		}
		n++
	}
	if end > msgStart || len(dst) == 0 {
		dst = append(dst, spool.Part{End: end, Count: count - countParts(dst)})
	}
	return dst
}

func countParts(parts []spool.Part) int {
	n := 0
	for _, p := range parts {
		n += p.Count
	}
	return n
}

// walkParts cuts a batch whose event starts are not known (one an earlier process left,
// or a chunk passed on as it came): a malformed tail goes with the last message.
func walkParts(entries []byte, count int) []spool.Part {
	if len(entries) <= maxMessageBytes {
		return []spool.Part{{End: len(entries), Count: count}}
	}
	var starts []int
	w := chunk.NewWalker(entries)
	var ev chunk.Event
	for w.Next(&ev) {
		starts = append(starts, ev.Offset)
	}
	return cutParts(nil, starts, len(entries), count)
}
