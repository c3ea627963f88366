// Package output is everything the tracelink Fluent Bit output plugin does, in pure Go:
// it validates an instance's properties, walks each chunk Fluent Bit flushes, rewrites
// every record with the parser core, and hands the result back to Fluent Bit's forward
// input: in process when the host lets it (an Appender, see WithInProcess), else through
// the spool and the input's socket (PackedForward with acks, sent by background senders).
// Emit stdout writes JSON lines instead.
//
// A flush never waits for the forward input: Fluent Bit may run it on the engine thread
// that also serves that input, and pauses the input before draining outputs on shutdown
// and hot reload (see internal/spool). It returns once the rewritten chunk is in the
// input (in process) or in the spool; a batch is removed from the spool only once the
// forward input acked all of it.
//
// The cgo shim in plugin/ only converts arguments and calls New, Flush and Close.
package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/forward"
	"github.com/tracelink/tracelink/internal/gcpproject"
	"github.com/tracelink/tracelink/internal/property"
	"github.com/tracelink/tracelink/internal/spool"
	"github.com/tracelink/tracelink/parser"
)

// The values Flush returns, as Fluent Bit reads them.
const (
	// FlushError makes Fluent Bit drop the chunk. Flush never returns it: data is not dropped.
	FlushError = 0
	// FlushOK means the chunk was taken: in the forward input, spooled for it, or written.
	FlushOK = 1
	// FlushRetry makes Fluent Bit deliver the same chunk again later.
	FlushRetry = 2
)

// loopLogEvery bounds how often the loop guard logs, per instance.
const loopLogEvery = time.Minute

// maxPooledBuffer is the largest flush buffer kept for reuse.
const maxPooledBuffer = 16 << 20

// sender delivers PackedForward entries; *forward.Client in production.
type sender interface {
	Send(ctx context.Context, tag string, entries []byte, count int) error
	Close() error
}

// Option adjusts how New builds an Instance.
type Option func(*options)

type options struct {
	stdout        io.Writer
	parserOpts    []parser.Option
	projectLookup func(context.Context) (string, error)
	newSender     func(forward.Config) (sender, error)
	processHook   func() // called before each record is processed (tests inject panics)
	logger        Logger
	metrics       Metrics
	findInput     func(unixPath string) (Appender, string)
	legacyOTLP    bool // also write the flags under TraceFlags (WithLegacyOTLPFlags)
}

// Metrics receives an instance's counts as they change (each call a delta since the
// last), for the host's metrics (Fluent Bit's cmetrics, in the plugin).
type Metrics interface {
	Add(delta Stats)
}

// WithLegacyOTLPFlags makes Format otel also write the trace flags under the TraceFlags
// metadata key, the only place the opentelemetry output of Fluent Bit v3.2 to v5.0.4 reads
// them from (later versions read otlp.trace_flags first).
func WithLegacyOTLPFlags() Option { return func(o *options) { o.legacyOTLP = true } }

// WithMetrics makes the instance report its counts to m as they change.
func WithMetrics(m Metrics) Option { return func(o *options) { o.metrics = m } }

// WithStdout sets where Emit stdout writes (default os.Stdout). Each chunk's lines are
// written in one Write call; to keep instances that share a writer from interleaving,
// give them the same *SyncWriter.
func WithStdout(w io.Writer) Option { return func(o *options) { o.stdout = w } }

// WithParserOptions passes options through to parser.New.
func WithParserOptions(opts ...parser.Option) Option {
	return func(o *options) { o.parserOpts = append(o.parserOpts, opts...) }
}

// WithProjectLookup replaces the GCE metadata server lookup (gcpproject.Lookup) used when
// Format is stackdriver and neither Project_ID nor GOOGLE_CLOUD_PROJECT is set.
func WithProjectLookup(f func(context.Context) (string, error)) Option {
	return func(o *options) { o.projectLookup = f }
}

// SyncWriter serializes Write calls to W; share one between instances writing to the same stream.
type SyncWriter struct {
	mu sync.Mutex
	W  io.Writer
}

// Write writes p to W under the mutex.
func (s *SyncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.W.Write(p)
}

// Instance is one configured tracelink output. Flush is safe for concurrent use.
type Instance struct {
	name string
	cfg  sinkConfig
	proc *parser.Processor
	log  Logger
	// metrics gets the counts as they change (nil: none).
	metrics Metrics
	hook    func()
	// otlpMeta: Format otel, whose link also goes into each event's metadata (otlp map).
	otlpMeta bool
	// legacyOTLP: the host reads the flags only from the TraceFlags metadata key.
	legacyOTLP bool

	send    sender       // Emit forward
	direct  Appender     // Emit forward, In_Process: the forward input, in process (nil: none)
	spool   *spool.Spool // Emit forward: batches waiting for the forward input's ack
	senders sync.WaitGroup
	stdout  io.Writer // Emit stdout

	ctx    context.Context // cancelled by Close: in-flight sends give up
	cancel context.CancelFunc

	lastSendLog atomic.Int64 // unix nanoseconds of the last failed-send log line
	lastFullLog atomic.Int64 // unix nanoseconds of the last spool-full log line
	lastBusyLog atomic.Int64 // unix nanoseconds of the last in-process refusal log line
	workerNoted atomic.Bool  // a flush fell back to the socket off the engine thread

	buffers  sync.Pool // *flushBuffer
	counters counters

	lastLoopLog atomic.Int64 // unix nanoseconds of the last loop guard log line
	panicLogged atomic.Bool

	stopStats chan struct{}
	statsDone chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// flushBuffer is one flush's scratch space, reused through a sync.Pool.
type flushBuffer struct {
	out     []byte // the rewritten chunk
	rec     []byte // the record being rewritten
	meta    []byte // the event metadata being written (Format otel)
	starts  []int  // where each event of out starts
	scratch parser.Scratch
}

// New validates the properties of instance name and starts it. get returns a property's
// value by name, case-insensitively, "" when unset (output.FLBPluginConfigKey in the
// plugin). Log lines go to logw, which must accept concurrent Write calls (os.Stderr does).
// A bad property fails with an error naming the property, the value and what is accepted;
// the error is logged too.
func New(name string, get func(key string) string, logw io.Writer, opts ...Option) (*Instance, error) {
	if name == "" {
		return nil, errEmptyName
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	log := o.logger
	if log == nil {
		log = newLogger(logw, name)
	}
	in, err := newInstance(name, get, log, o)
	if err != nil {
		log.Logf(LevelError, "configuration error: %v", err)
		return nil, err
	}
	return in, nil
}

func newInstance(name string, get func(string) string, log Logger, o options) (*Instance, error) {
	cfg, err := parseSink(get)
	if err != nil {
		return nil, err
	}
	match, matchRegex := strings.TrimSpace(get("Match")), strings.TrimSpace(get("Match_Regex"))
	if cfg.emit == emitForward {
		if err := property.CheckMatch(match, matchRegex, cfg.tagPrefix); err != nil {
			return nil, err
		}
	}

	lookup := o.projectLookup
	if lookup == nil {
		lookup = gcpproject.Lookup
	}
	popts := append([]parser.Option{parser.WithProjectLookup(lookup)}, o.parserOpts...)
	proc, err := parser.New(coreProperties(get), popts...)
	if err != nil {
		return nil, fmt.Errorf("rewrite properties: %w", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	in := &Instance{
		name:       name,
		cfg:        cfg,
		proc:       proc,
		log:        log,
		metrics:    o.metrics,
		hook:       o.processHook,
		otlpMeta:   proc.Format().EventMetadata(),
		legacyOTLP: o.legacyOTLP,
		ctx:        ctx,
		cancel:     cancel,
	}
	in.buffers.New = func() any { return new(flushBuffer) }

	var where string
	switch cfg.emit {
	case emitForward:
		newSender := o.newSender
		if newSender == nil {
			newSender = func(c forward.Config) (sender, error) { return forward.New(c) }
		}
		s, err := newSender(forward.Config{
			Network:      cfg.network,
			Address:      cfg.address,
			SharedKey:    cfg.sharedKey,
			SelfHostname: cfg.selfHostname,
			DialTimeout:  cfg.connectTimeout,
			AckTimeout:   cfg.ackTimeout,
			MaxConns:     cfg.maxConns,
		})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("forward client for %s:%s: %w", cfg.network, cfg.address, err)
		}
		in.send = s
		sp, rec, err := spool.Open(cfg.spoolDir(name), spool.Options{Limit: cfg.spoolLimit, Memory: cfg.spoolMemory})
		if err != nil {
			cancel()
			_ = s.Close()
			return nil, fmt.Errorf("property Spool_Path %q: %w", cfg.spoolPath, err)
		}
		in.spool = sp
		for _, bad := range rec.Bad {
			log.Logf(LevelError, "spool: a batch file failed its check and was set aside, not sent: %s", bad)
		}
		if rec.Batches > 0 {
			log.Logf(LevelInfo, "spool: %d batches (%d bytes) left by the previous run are sent first", rec.Batches, rec.Bytes)
		}
		where = fmt.Sprintf("forward to %s:%s (tag prefix %q, spool %s up to %d bytes, %d of them in memory, ack timeout %v, %d connections)",
			cfg.network, cfg.address, cfg.tagPrefix, sp.Dir(), cfg.spoolLimit, cfg.spoolMemory, cfg.ackTimeout, cfg.maxConns)
		if cfg.inProcess && cfg.network == "unix" && o.findInput != nil {
			var why string
			if in.direct, why = o.findInput(cfg.address); in.direct != nil {
				where = fmt.Sprintf("in process into input %s (the forward input on %s; tag prefix %q); the socket and spool (%s) serve flushes on worker threads, chunks the input refuses while paused, and batches left by a previous run",
					in.direct, cfg.address, cfg.tagPrefix, sp.Dir())
			} else {
				log.Logf(LevelInfo, "records go through the socket, not in process: %s", why)
			}
		}
	case emitStdout:
		in.stdout = o.stdout
		if in.stdout == nil {
			in.stdout = &SyncWriter{W: os.Stdout}
		}
		where = "JSON lines to standard output"
	}

	project := ""
	if p := proc.Project(); p != "" {
		project = ", project " + p
	}
	log.Logf(LevelInfo, "started: format %s%s, emit %s", proc.Format(), project, where)
	if cfg.emit == emitForward && match == "" && matchRegex == "" {
		log.Logf(LevelInfo, "loop guard: chunks whose tag starts with %q are dropped as already processed (Match is not visible to Go plugins); make sure Match does not cover them", cfg.tagPrefix)
	}

	if in.spool != nil {
		for range cfg.maxConns {
			in.senders.Add(1)
			go in.sendLoop()
		}
	}
	if cfg.statsInterval > 0 {
		in.stopStats = make(chan struct{})
		in.statsDone = make(chan struct{})
		go in.statsLoop(cfg.statsInterval)
	}
	return in, nil
}

// coreProperties asks get for every property of the parser core and returns the set ones.
func coreProperties(get func(string) string) map[string]string {
	props := make(map[string]string)
	add := func(name string) {
		if v := get(name); v != "" {
			props[name] = v
		}
	}
	for _, p := range parser.Properties() {
		add(p.Name)
	}
	for i := 1; i < parser.MaxGrokPatterns; i++ {
		add(parser.GrokPatternProperty(i))
	}
	return props
}

// Name is the instance's name (tracelink.0, ...).
func (in *Instance) Name() string { return in.name }

// Stats returns a snapshot of the instance's counters.
func (in *Instance) Stats() Stats { return in.counters.snapshot() }

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
	fb := in.buffers.Get().(*flushBuffer)
	defer in.putBuffer(fb)

	var fc flushCounts
	entries, count := in.rewrite(fb, data, &fc)
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

// appendDirect puts a rewritten chunk (tagged outTag) into the forward input in process. It reports
// false when it did not: the flush runs where it cannot (an output worker thread), or the
// input refused the events (paused at its buffer limit). The caller then spools them for
// the socket, whose senders deliver once the input reads again: a refusal is backpressure,
// not a reason for Fluent Bit to retry the chunk (and drop it after Retry_Limit).
func (in *Instance) appendDirect(outTag string, entries []byte, count int, fc *flushCounts) bool {
	ok, err := in.direct.Append(outTag, count, entries)
	switch {
	case !ok:
		if !in.workerNoted.Swap(true) {
			in.log.Logf(LevelInfo, "flushes run on output worker threads (Workers): records go to input %s through its socket, not in process", in.direct)
		}
		return false
	case err != nil:
		in.count(Stats{Refused: 1})
		if in.logEvery(&in.lastBusyLog, warnEvery) {
			in.log.Logf(LevelInfo, "%v; spooled for its socket instead (%d chunks so far)", err, in.counters.refused.Load())
		}
		return false
	}
	d := fc.delta()
	d.Acked = uint64(count)
	in.count(d)
	return true
}

// count adds d to the instance's counters and hands it to the host's metrics, if any.
func (in *Instance) count(d Stats) {
	in.counters.add(d)
	if in.metrics != nil {
		in.metrics.Add(d)
	}
}

// warnEvery bounds how often the spool-full and send-failure lines are logged.
const warnEvery = 30 * time.Second

// logEvery reports whether a rate-limited line (the last one logged at *last, unix
// nanoseconds) may be logged now, and notes it.
func (in *Instance) logEvery(last *atomic.Int64, every time.Duration) bool {
	now := time.Now().UnixNano()
	l := last.Load()
	return now-l >= int64(every) && last.CompareAndSwap(l, now)
}

// quietFailures is how long a sender's attempts may keep failing before it warns: a
// shutdown or a hot reload pauses the forward input for about a second before it stops
// the instance, and the batches in flight then are simply sent at the next start.
const quietFailures = 3 * time.Second

// Bounds of the sender's wait between two attempts at an undelivered batch.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// sendLoop delivers spooled batches, oldest first, until Close. A batch that could not
// be delivered goes back to the front of the queue and is tried again after a pause that
// doubles up to maxBackoff; it is removed only once every part of it was acknowledged.
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
				if time.Since(failingSince) >= quietFailures && in.logEvery(&in.lastSendLog, warnEvery) {
					in.log.Logf(LevelWarn, "could not deliver %d events (tag %q) to %s:%s, retrying (%d attempts failed so far): %v",
						b.Count, b.Tag, in.cfg.network, in.cfg.address, in.counters.sendRetries.Load(), err)
				}
			}
			in.spool.Requeue(b) // another sender may take b from here on
			if closing {
				return // the batch stays spooled for the next instance
			}
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
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

func (in *Instance) putBuffer(fb *flushBuffer) {
	if cap(fb.out) > maxPooledBuffer || cap(fb.rec) > maxPooledBuffer {
		return
	}
	in.buffers.Put(fb)
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
	out := fb.out[:0]
	fb.starts = fb.starts[:0]
	fb.scratch.Validated = true // every record comes from chunk.Walker, which checked it
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

// statsLoop logs the summary every interval until Close.
func (in *Instance) statsLoop(interval time.Duration) {
	defer close(in.statsDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			in.log.Logf(LevelInfo, "stats: %s", in.Stats())
		case <-in.stopStats:
			return
		}
	}
}

// Close stops the instance without waiting for the forward input: in-flight sends are
// abandoned, and what they carried stays in the spool for the next instance that opens it
// (after a hot reload or a restart). The connections are closed and a final summary is
// logged. Later flushes return FlushRetry. Close is idempotent.
func (in *Instance) Close() error {
	in.closeOnce.Do(func() {
		in.cancel()
		if in.stopStats != nil {
			close(in.stopStats)
			<-in.statsDone
		}
		var left spool.Stats
		if in.spool != nil {
			in.senders.Wait()
			left = in.spool.Stats()
			if err := in.spool.Close(); err != nil {
				in.closeErr = fmt.Errorf("output %s: %w", in.name, err)
			}
		}
		if in.send != nil {
			if err := in.send.Close(); err != nil && !errors.Is(err, forward.ErrClosed) {
				in.closeErr = fmt.Errorf("output %s: closing the forward client: %w", in.name, err)
			}
		}
		if left.Queued+left.InFlight > 0 {
			in.log.Logf(LevelInfo, "spool: %d batches (%d bytes) not yet acknowledged stay in %s for the next start", left.Queued+left.InFlight, left.Bytes, in.spool.Dir())
		}
		in.log.Logf(LevelInfo, "exit: %s", in.Stats())
	})
	return in.closeErr
}
