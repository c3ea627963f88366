package output

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/output/outputtest"
)

// FuzzFlush feeds arbitrary chunks to Flush: it must answer FLB_OK without a recovered
// panic, send a chunk that walks to as many events as the input when the input walks,
// and send the input unchanged when it does not.
func FuzzFlush(f *testing.F) {
	f.Add(outputtest.Chunk(outputtest.V1, 0, 2))
	f.Add(groupChunk(0))
	f.Add([]byte{0x92, 0x05, 0x81, 0xa3, 'l', 'o', 'g', 0xa5, '{', '"', 'a', '"', '}'})
	f.Add([]byte{0x92, 0xa1, 'x', 0x80})
	cs := &captureSender{}
	in, _ := newTestInstance(f, "tracelink.0", map[string]string{"Format": "stackdriver", "Project_ID": "my-project-123", "Stats_Interval": "0", "Merge_Log": "on"}, withSender(cs))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs.mu.Lock()
		cs.sent = cs.sent[:0]
		cs.mu.Unlock()
		if got := in.Flush("app", data); got != FlushOK {
			t.Fatalf("Flush = %d", got)
		}
		drain(t, in)
		if st := in.Stats(); st.Panics != 0 {
			t.Fatalf("processing panicked on %x", data)
		}
		msgs := cs.messages()
		if len(data) == 0 {
			return
		}
		if len(msgs) != 1 {
			t.Fatalf("sent %d messages", len(msgs))
		}
		sent := msgs[0].entries
		w := chunk.NewWalker(data)
		var ev chunk.Event
		n := 0
		for w.Next(&ev) {
			n++
		}
		if w.Err() != nil {
			if !bytes.Equal(sent, data) {
				t.Fatalf("malformed chunk not sent unchanged")
			}
			return
		}
		w2 := chunk.NewWalker(sent)
		m := 0
		for w2.Next(&ev) {
			m++
		}
		if w2.Err() != nil || m != n {
			t.Fatalf("sent chunk walks to %d events (%v), input had %d", m, w2.Err(), n)
		}
	})
}

func TestStatsIntervalLogsSummaries(t *testing.T) {
	in, logs := newTestInstance(t, "tracelink.0", map[string]string{"Format": "datadog", "Stats_Interval": "10ms"}, withSender(discardSender{}))
	in.Flush("app", outputtest.Chunk(outputtest.V1, 0, 3))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "stats: records=3 ") {
		if time.Now().After(deadline) {
			t.Fatalf("no periodic summary logged:\n%s", logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	after := strings.Count(logs.String(), "stats: ")
	time.Sleep(30 * time.Millisecond)
	if n := strings.Count(logs.String(), "stats: "); n != after {
		t.Errorf("summaries still logged after Close (%d, then %d)", after, n)
	}
}
