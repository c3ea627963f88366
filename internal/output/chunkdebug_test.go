package output

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/tinylib/msgp/msgp"
	"github.com/tracelink/tracelink/internal/output/outputtest"
)

type capLog struct {
	mu    sync.Mutex
	lines []string
}

func (c *capLog) Logf(l Level, f string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l == LevelDebug {
		c.lines = append(c.lines, fmt.Sprintf(f, a...))
	}
}

func TestChunkDebug(t *testing.T) {
	lg := &capLog{}
	in, err := New("tracelink.0", getter(map[string]string{"Format": "otel", "Emit": "stdout"}), io.Discard, WithChunkDebug(), WithLogger(lg), WithStdout(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var chunk []byte
	for _, l := range []string{`{"trace_id":"12345"}`, "plain", "traceparent=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"} {
		chunk = append(chunk, 0x92)
		chunk = outputtest.AppendEventTime(chunk, 1, 0)
		chunk = msgp.AppendMapHeader(chunk, 1)
		chunk = msgp.AppendString(chunk, "log")
		chunk = msgp.AppendString(chunk, l)
	}
	in.Flush("app", chunk)
	if len(lg.lines) != 1 || !strings.Contains(lg.lines[0], `unlinked 1: not linked; refused key log (JSON).trace_id "12345"`) {
		t.Errorf("%q", lg.lines)
	}
}
