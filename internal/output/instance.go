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
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	timings  Timings // the sender's waits
	// legacyOTLP: the host reads the flags only from the TraceFlags metadata key.
	legacyOTLP bool
	// chunkDebug: log each chunk's summary and first unlinked reasons at debug level.
	chunkDebug bool

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

	buffers  bufferPool
	counters counters

	lastLoopLog atomic.Int64 // unix nanoseconds of the last loop guard log line
	panicLogged atomic.Bool

	stopStats chan struct{}
	statsDone chan struct{}
	closeOnce sync.Once
	closeErr  error
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
		chunkDebug: o.chunkDebug,
		timings:    o.timings.withDefaults(),
		ctx:        ctx,
		cancel:     cancel,
	}

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
