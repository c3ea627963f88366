package output

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/explain"
	"github.com/tracelink/tracelink/internal/spool"
	"github.com/tracelink/tracelink/parser"
)

// loopLogEvery bounds how often the loop guard logs, per instance.
const loopLogEvery = time.Minute

// maxPooledBuffer is the largest flush buffer kept for reuse.
const maxPooledBuffer = 16 << 20

// maxFreeBuffers bounds the flush buffers an instance keeps between flushes: one per
// flush running at once (one on the engine thread; up to Workers on worker threads).
const maxFreeBuffers = 4

// bufferPool keeps an instance's flush buffers between flushes. Unlike a sync.Pool, a GC
// does not empty it: a buffer keeps the size the chunks made it grow to, so a flush
// neither allocates nor touches fresh pages. With a sync.Pool, the out buffer regrown
// every few flushes (fresh pages, page faults, and the GC and scavenger work its garbage
// made) cost more CPU inside Fluent Bit than the rewrite itself on text lines.
type bufferPool struct {
	mu   sync.Mutex
	free []*flushBuffer
}

// get returns a free buffer, or a new one.
func (p *bufferPool) get() *flushBuffer {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		fb := p.free[n-1]
		p.free = p.free[:n-1]
		return fb
	}
	return new(flushBuffer)
}

// put keeps fb for a later flush, unless it grew too large or enough are kept.
func (p *bufferPool) put(fb *flushBuffer) {
	if cap(fb.out) > maxPooledBuffer || cap(fb.rec) > maxPooledBuffer {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < maxFreeBuffers {
		p.free = append(p.free, fb)
	}
}

// flushBuffer is one flush's scratch space, reused through the instance's bufferPool.
type flushBuffer struct {
	out []byte // the rewritten chunk
	// growth is len(out)/len(data) of the last chunk rewritten here, in 1/64ths: the next
	// chunk's out is sized for it at once instead of growing by doubling (copies).
	growth  int
	rec     []byte // the record being rewritten
	meta    []byte // the event metadata being written (Format otel)
	starts  []int  // where each event of out starts
	scratch parser.Scratch
	// WithChunkDebug: the first unlinked records' explanations, and the explainer.
	reasons   []string
	explainer *explain.Explainer
}

// maxChunkReasons is how many unlinked records per chunk WithChunkDebug explains.
const maxChunkReasons = 3

// Flush processes one chunk flushed by Fluent Bit for tag and takes it. It returns
// FlushOK once the rewritten chunk is in the forward input (in process) or in the spool
// (or, for Emit stdout, once the lines are written), FlushRetry when the spool is full or
// cannot be written. It never waits for the forward input. data is only read during the
// call.
func (in *Instance) Flush(tag string, data []byte) int {
	if in.cfg.emit == emitStdout {
		return in.flushStdout(tag, data)
	}
	if strings.HasPrefix(tag, in.cfg.tagPrefix) {
		return in.loopDrop(tag)
	}
	if in.ctx.Err() != nil {
		return FlushRetry
	}
	fb := in.buffers.get()
	defer in.buffers.put(fb)

	var fc flushCounts
	var entries []byte
	var count int
	if handBackUnchanged {
		entries, count = data, in.passThroughCounts(data, &fc)
	} else {
		entries, count = in.rewrite(fb, data, &fc)
	}
	if in.chunkDebug {
		in.logChunk(tag, &fc, fb.reasons)
	}
	if count == 0 {
		return FlushOK // nothing to deliver
	}
	outTag := in.cfg.tagPrefix + tag
	if in.direct != nil && in.appendDirect(outTag, entries, count, &fc) {
		return FlushOK
	}
	var parts []spool.Part // nil for a chunk passed on as it came: the sender cuts it
	if len(fb.starts) == count {
		parts = cutParts(nil, fb.starts, len(entries), count) // the spool keeps it
	}
	if err := in.spool.Put(outTag, count, entries, parts); err != nil {
		in.count(Stats{Retries: 1})
		if errors.Is(err, spool.ErrFull) {
			if in.logEvery(&in.lastFullLog, warnEvery) {
				st := in.spool.Stats()
				in.log.Logf(LevelWarn, "spool full (%d bytes in %d batches, Spool_Limit %d): the forward input at %s:%s is not keeping up or not acknowledging; Fluent Bit will retry the chunk (%d retries so far)",
					st.Bytes, st.Queued+st.InFlight, in.cfg.spoolLimit, in.cfg.network, in.cfg.address, in.counters.retries.Load())
			}
			return FlushRetry
		}
		in.log.Logf(LevelError, "could not spool %d events (tag %q), Fluent Bit will retry the chunk: %v", count, tag, err)
		return FlushRetry
	}
	in.count(fc.delta())
	return FlushOK
}

// loopDrop refuses a chunk whose tag already carries Tag_Prefix: those records were
// rewritten and sent once already, and came back because Match also covers the prefixed
// tags. Sending them again would loop forever, so the chunk is acknowledged (FlushOK).
func (in *Instance) loopDrop(tag string) int {
	in.count(Stats{LoopDrops: 1})
	if in.logEvery(&in.lastLoopLog, loopLogEvery) {
		in.log.Logf(LevelError, "loop: got a chunk tagged %q, which already starts with Tag_Prefix %q: this output's Match also covers the records it sends back; the chunk is dropped (already delivered once). Narrow Match (e.g. Match kube.*) or change Tag_Prefix (%d chunks dropped so far)",
			tag, in.cfg.tagPrefix, in.counters.loopDrops.Load())
	}
	return FlushOK
}

// rewrite walks data and appends every event, rewritten, to fb.out. It returns the entries
// to send and their number. A malformed chunk, or a panic while processing, makes it
// return data itself, unchanged: records are never lost to a bug or a bad chunk.
func (in *Instance) rewrite(fb *flushBuffer, data []byte, fc *flushCounts) (entries []byte, count int) {
	defer func() {
		if r := recover(); r != nil {
			in.logPanic(r)
			*fc = flushCounts{panicked: true}
			fb.starts = fb.starts[:0] // they were offsets in the rewritten chunk
			entries, count = data, in.passThroughCounts(data, fc)
		}
	}()
	out := fb.reserve(len(data))
	fb.starts = fb.starts[:0]
	fb.scratch.Validated = true // every record comes from chunk.Walker, which checked it
	fb.reasons = fb.reasons[:0]
	w := chunk.NewWalker(data)
	var ev chunk.Event
	for w.Next(&ev) {
		count++
		fb.starts = append(fb.starts, len(out))
		if ev.IsGroup() {
			out = chunk.AppendEvent(out, &ev, ev.Record)
			continue
		}
		if in.hook != nil {
			in.hook()
		}
		var res parser.Result
		fb.rec, res = in.proc.ProcessWith(&fb.scratch, fb.rec[:0], ev.Record)
		if res.Dropped {
			count-- // sampled out: not sent
			fb.starts = fb.starts[:len(fb.starts)-1]
			fc.sampledOut++
			continue
		}
		fc.records++
		if res.Linked() {
			fc.linked[res.Source]++
		} else if in.chunkDebug && len(fb.reasons) < maxChunkReasons {
			if fb.explainer == nil {
				fb.explainer = explain.New(in.proc)
			}
			fb.reasons = append(fb.reasons, fb.explainer.Record(ev.Record))
		}
		if res.Invalid {
			fc.invalid++
		}
		if in.otlpMeta && res.Linked() {
			// Fluent Bit's opentelemetry output reads the link from the event's metadata.
			fb.meta = appendOTLPMetadata(fb.meta[:0], ev.Metadata, &res.Link, in.legacyOTLP)
			var t *chunk.Time
			if res.HasTime {
				t = &chunk.Time{Sec: res.Time.Sec, Nsec: res.Time.Nsec}
			}
			if o, err := chunk.AppendEventMetadata(out, &ev, t, fb.meta, fb.rec); err == nil {
				out = o
				continue
			}
			if o, err := chunk.AppendEventMetadata(out, &ev, nil, fb.meta, fb.rec); err == nil {
				out = o
				continue
			}
		}
		if !res.Changed && !res.HasTime {
			fc.unchanged++
			out = chunk.AppendEvent(out, &ev, ev.Record)
			continue
		}
		if res.HasTime {
			t := chunk.Time{Sec: res.Time.Sec, Nsec: res.Time.Nsec}
			if o, err := chunk.AppendEventTime(out, &ev, t, fb.rec); err == nil {
				out = o
				continue
			}
		}
		out = chunk.AppendEvent(out, &ev, fb.rec)
	}
	fb.out = out
	fb.noteGrowth(len(data), len(out))
	if err := w.Err(); err != nil {
		in.log.Logf(LevelError, "malformed chunk of %d bytes, passed on unchanged: %v", len(data), err)
		*fc = flushCounts{malformed: true}
		fb.starts = fb.starts[:0] // they were offsets in the rewritten chunk
		return data, in.passThroughCounts(data, fc)
	}
	return out, count
}

// passThroughCounts counts the events of a chunk sent on unchanged (as far as it walks).
func (in *Instance) passThroughCounts(data []byte, fc *flushCounts) int {
	w := chunk.NewWalker(data)
	var ev chunk.Event
	n := 0
	for w.Next(&ev) {
		n++
		if !ev.IsGroup() {
			fc.records++
			fc.unchanged++
		}
	}
	if w.Err() != nil {
		n++ // at least one more event, malformed
	}
	return n
}

// logPanic logs a recovered panic; the stack only for the first one of the instance.
func (in *Instance) logPanic(r any) {
	if in.panicLogged.CompareAndSwap(false, true) {
		in.log.Logf(LevelError, "panic while rewriting a chunk, passed on unchanged (please report): %v\n%s", r, debug.Stack())
		return
	}
	in.log.Logf(LevelError, "panic while rewriting a chunk, passed on unchanged: %v", r)
}

// reserve returns fb.out emptied, with room for the rewrite of an n-byte chunk at the
// growth of the last one (a tenth more, and 4 KiB).
func (fb *flushBuffer) reserve(n int) []byte {
	g := fb.growth
	if g == 0 {
		g = 2 * 64 // a first chunk: room for twice its size
	}
	want := n*g/64 + n/10 + 4096
	if cap(fb.out) < want && want <= maxPooledBuffer {
		fb.out = make([]byte, 0, want)
	}
	return fb.out[:0]
}

// noteGrowth records the size of a rewritten chunk (out bytes from n) for reserve.
func (fb *flushBuffer) noteGrowth(n, out int) {
	if n > 0 {
		fb.growth = (out*64 + n - 1) / n
	}
}

// logChunk logs a chunk's summary and the reasons its first unlinked records did not link.
func (in *Instance) logChunk(tag string, fc *flushCounts, reasons []string) {
	var linked uint64
	for _, n := range fc.linked {
		linked += n
	}
	var b strings.Builder
	fmt.Fprintf(&b, "chunk %q: %d records, %d linked, %d not linked, %d sampled out", tag, fc.records, linked, fc.records-linked, fc.sampledOut)
	for i, r := range reasons {
		fmt.Fprintf(&b, "; unlinked %d: %s", i+1, r)
	}
	in.log.Logf(LevelDebug, "%s", b.String())
}
