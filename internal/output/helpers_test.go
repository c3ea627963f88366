package output

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/forward"
	"github.com/tracelink/tracelink/parser"
)

// getter is a property getter over m, case-insensitive like Fluent Bit's.
func getter(m map[string]string) func(string) string {
	return func(key string) string {
		for k, v := range m {
			if strings.EqualFold(k, key) {
				return v
			}
		}
		return ""
	}
}

// lockedBuffer is a log writer safe for concurrent Write calls.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// noLookup keeps tests away from the GCE metadata server.
func noLookup(context.Context) (string, error) {
	return "", errors.New("test: no metadata server")
}

// testTimings keep tests from waiting on the sender's production pauses: retries within
// milliseconds, and a failing send logged at once.
var testTimings = Timings{MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, QuietFailures: time.Nanosecond}

// newTestInstance builds an instance, failing the test on error; Close runs at cleanup.
func newTestInstance(t testing.TB, name string, props map[string]string, opts ...Option) (*Instance, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	if props == nil {
		props = map[string]string{}
	}
	if getter(props)("Spool_Path") == "" {
		props["Spool_Path"] = t.TempDir()
	}
	opts = append([]Option{WithProjectLookup(noLookup), WithParserOptions(parser.WithGetenv(func(string) string { return "" })), WithTimings(testTimings)}, opts...)
	in, err := New(name, getter(props), logs, opts...)
	if err != nil {
		t.Fatalf("New(%v): %v", props, err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in, logs
}

// drain waits until the instance's spool holds nothing: every batch acknowledged.
func drain(t testing.TB, in *Instance) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := in.spool.Stats()
		if st.Queued+st.InFlight == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spool still holds %+v after 20s: %s", st, in.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// eventually polls cond until it holds, failing the test after 20s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// expectedEntries is what Flush must send for data: every event rewritten by a Processor
// built from the same properties, group markers untouched, the parser's time as EventTime.
func expectedEntries(t testing.TB, props map[string]string, data []byte) [][]byte {
	t.Helper()
	core := map[string]string{}
	for k, v := range props {
		if parser.IsProperty(k) {
			core[k] = v
		}
	}
	proc, err := parser.New(core, parser.WithProjectLookup(noLookup), parser.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	w := chunk.NewWalker(data)
	var ev chunk.Event
	for w.Next(&ev) {
		if ev.IsGroup() {
			out = append(out, append([]byte(nil), ev.Raw...))
			continue
		}
		rec, res := proc.Process(nil, ev.Record)
		var e []byte
		if res.HasTime {
			e, err = chunk.AppendEventTime(nil, &ev, chunk.Time{Sec: res.Time.Sec, Nsec: res.Time.Nsec}, rec)
			if err != nil {
				e = chunk.AppendEvent(nil, &ev, rec)
			}
		} else {
			e = chunk.AppendEvent(nil, &ev, rec)
		}
		out = append(out, e)
	}
	if w.Err() != nil {
		t.Fatalf("test chunk is malformed: %v", w.Err())
	}
	return out
}

// captureSender records what it is asked to send; fail makes Send fail.
type captureSender struct {
	mu   sync.Mutex
	sent []sentMessage
	fail error
}

type sentMessage struct {
	tag     string
	entries []byte
	count   int
}

func (c *captureSender) Send(_ context.Context, tag string, entries []byte, count int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.sent = append(c.sent, sentMessage{tag, append([]byte(nil), entries...), count})
	return nil
}

func (c *captureSender) Close() error { return nil }

func (c *captureSender) messages() []sentMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sentMessage(nil), c.sent...)
}

// withSender makes the instance send through s instead of a forward client.
func withSender(s sender) Option {
	return func(o *options) {
		o.newSender = func(forward.Config) (sender, error) { return s, nil }
	}
}

// withProcessHook calls f before each record is processed.
func withProcessHook(f func()) Option { return func(o *options) { o.processHook = f } }

// discardSender accepts everything (benchmarks).
type discardSender struct{}

func (discardSender) Send(context.Context, string, []byte, int) error { return nil }
func (discardSender) Close() error                                    { return nil }
