package output

import (
	"context"
	"io"
	"sync"

	"github.com/tracelink/tracelink/internal/forward"
	"github.com/tracelink/tracelink/parser"
)

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
	timings       Timings
	legacyOTLP    bool // also write the flags under TraceFlags (WithLegacyOTLPFlags)
	chunkDebug    bool // log a summary of each chunk at debug level (WithChunkDebug)
}

// WithChunkDebug makes the instance log, at debug level, a summary of each chunk with the
// reasons the first few unlinked records did not link (internal/explain). Each explained
// record is linked once more per key and text token: give it only when the instance's
// log level is debug.
func WithChunkDebug() Option { return func(o *options) { o.chunkDebug = true } }

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

// WithTimings sets the sender's waits between attempts at an undelivered batch and before
// it warns about failing ones (tests shorten them); zero fields keep DefaultTimings.
func WithTimings(t Timings) Option { return func(o *options) { o.timings = t } }
