package fbtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/forward/forwardtest"
)

// AppLine is the line an application instrumented with dd-trace-js (pino) writes for
// request seq: 128-bit trace ids logged as decimal lower halves plus a traceparent.
func AppLine(seq int) string {
	return fmt.Sprintf(`{"level":30,"time":1764500000000,"msg":"GET /orders/%d 200","seq":%d,"dd":{"trace_id":"%d","span_id":"%d","service":"orders","env":"test"}}`,
		seq, seq, TraceID(seq), SpanID(seq))
}

// TraceID is the Datadog trace id AppLine writes for seq: random-looking 64 bits, as a
// tracer's are (never 0).
func TraceID(seq int) uint64 { return mix64(uint64(seq)*2+1) | 1 }

// SpanID is the span id AppLine writes for seq (never 0).
func SpanID(seq int) uint64 { return mix64(uint64(seq)*2+2) | 1 }

// mix64 is SplitMix64's finalizer: a bijection that spreads consecutive inputs.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// CRITime is the time CRI writes on every line: the time AppLine's own "time" says
// (1764500000000 ms), so that a backend's timestamp can be told from the ingestion time.
const CRITime = "2025-11-30T10:53:20.000000000Z"

// CRI wraps a line the way containerd writes it to /var/log/containers.
func CRI(line string) string { return CRITime + " stdout F " + line }

// Writer appends lines to a file at a steady rate, like an application logging, until
// it wrote N lines or Stop.
type Writer struct {
	// Path is the file appended to (created if missing).
	Path string
	// Rate is lines per second.
	Rate int
	// N is how many lines to write (seq 0 to N-1).
	N int
	// Line renders line seq (without the newline); default AppLine.
	Line func(seq int) string

	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	written int
	err     error
}

// Start starts writing in the background.
func (w *Writer) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.done = make(chan struct{})
	go w.run(ctx)
}

func (w *Writer) run(ctx context.Context) {
	defer close(w.done)
	f, err := os.OpenFile(w.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		w.setErr(err)
		return
	}
	defer f.Close()
	line := w.Line
	if line == nil {
		line = AppLine
	}
	const tick = 10 * time.Millisecond
	perTick := max(1, w.Rate/int(time.Second/tick))
	t := time.NewTicker(tick)
	defer t.Stop()
	bw := bufio.NewWriterSize(f, 1<<16)
	seq := 0
	start := time.Now()
	for seq < w.N {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Catch up to the rate by the clock, so ticks lost to scheduling do not slow it.
		due := min(w.N, int(time.Since(start).Seconds()*float64(w.Rate))+perTick)
		for ; seq < due; seq++ {
			bw.WriteString(line(seq))
			bw.WriteByte('\n')
		}
		if err := bw.Flush(); err != nil {
			w.setErr(err)
			return
		}
		w.mu.Lock()
		w.written = seq
		w.mu.Unlock()
	}
}

func (w *Writer) setErr(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

// Written is how many lines were written so far.
func (w *Writer) Written() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// Wait waits until every line was written (or Stop), and returns the write error if any.
func (w *Writer) Wait() error {
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Stop stops writing and waits for the writer.
func (w *Writer) Stop() {
	w.cancel()
	<-w.done
}

// Sink is a forward receiver standing in for the next hop of the pipeline (Fluent Bit's
// `forward` output points at it). It counts the events it receives by the `"seq":N`
// their log line carries, and whether each was linked (carried a given top-level key).
type Sink struct {
	*Counter
	srv       *forwardtest.Server
	linkedKey []byte // msgpack str header + key

	mu      sync.Mutex
	tags    map[string]int
	records [][]byte
	keep    bool
}

// NewSink starts a sink on 127.0.0.1; linkedKey is the top-level key whose presence
// counts a record as linked (dd.trace_id, logging.googleapis.com/trace...). With keep the
// records' msgpack bytes are kept too (Records).
func NewSink(tb testing.TB, linkedKey string, keep bool) *Sink {
	s := &Sink{Counter: NewCounter(), tags: map[string]int{}, keep: keep}
	if len(linkedKey) < 32 {
		s.linkedKey = append([]byte{0xa0 | byte(len(linkedKey))}, linkedKey...)
	} else {
		s.linkedKey = append([]byte{0xd9, byte(len(linkedKey))}, linkedKey...)
	}
	s.srv = forwardtest.NewTCP(tb, forwardtest.WithoutRecording(), forwardtest.WithHandler(s.handle))
	return s
}

// Restart closes the sink's listener and every connection (a receiver killed mid-stream)
// and listens again on the same port after down.
func (s *Sink) Restart(tb testing.TB, down time.Duration) {
	addr := s.srv.Addr()
	s.srv.Close()
	time.Sleep(down)
	s.srv = forwardtest.NewTCPAt(tb, addr, forwardtest.WithoutRecording(), forwardtest.WithHandler(s.handle))
}

// Port is the sink's TCP port.
func (s *Sink) Port() int {
	addr := s.srv.Addr()
	n, _ := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
	return n
}

var seqMarker = []byte(`"seq":`)

func (s *Sink) handle(m forwardtest.Message) {
	for _, e := range m.Entries {
		w := chunk.NewWalker(e)
		var ev chunk.Event
		if !w.Next(&ev) || ev.IsGroup() {
			continue
		}
		s.mu.Lock()
		s.tags[m.Tag]++
		if s.keep {
			s.records = append(s.records, ev.Record)
		}
		s.mu.Unlock()
		i := bytes.Index(ev.Record, seqMarker)
		if i < 0 {
			s.AddNoSeq()
			continue
		}
		j := i + len(seqMarker)
		n := 0
		for j < len(ev.Record) && ev.Record[j] >= '0' && ev.Record[j] <= '9' {
			n = n*10 + int(ev.Record[j]-'0')
			j++
		}
		s.Add(n, bytes.Contains(ev.Record, s.linkedKey))
	}
}

// Tags returns how many events arrived per tag.
func (s *Sink) Tags() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.tags))
	for k, v := range s.tags {
		out[k] = v
	}
	return out
}

// Records returns the records kept (NewSink with keep).
func (s *Sink) Records() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.records...)
}

// Result summarizes what arrived of seq 0 to n-1.
type Result struct {
	Distinct, Missing, Duplicates, Unlinked, Extra, NoSeq int
	FirstMissing                                          []int
}

func (r Result) String() string {
	return fmt.Sprintf("%d distinct, %d missing (first %v), %d duplicates, %d unlinked, %d outside 0..n-1, %d without seq",
		r.Distinct, r.Missing, r.FirstMissing, r.Duplicates, r.Unlinked, r.Extra, r.NoSeq)
}
