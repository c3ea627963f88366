package output

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/forward/forwardtest"
	"github.com/tracelink/tracelink/internal/output/outputtest"
)

func TestFindForwardInput(t *testing.T) {
	inputs := []HostInput{
		{Name: "tail.0"},
		{Name: "tail.1", UnixPath: "/run/fw.sock"}, // another plugin's property of that name
		{Name: "forward.2", UnixPath: "/run/other.sock"},
		{Name: "forward.3", UnixPath: "/run/fw.sock"},
		{Name: "back", UnixPath: "/run/aliased.sock"},
		{Name: "forward.x", UnixPath: "/run/dotted.sock"},
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/run/fw.sock", 3},
		{"/run//fw.sock", 3}, // the same path, spelled differently
		{"/run/other.sock", 2},
		{"/run/aliased.sock", 4}, // an alias hides the plugin: the path decides
		{"/run/dotted.sock", 5},  // "forward.x" is an alias too
		{"/run/none.sock", -1},
		{"", -1},
	} {
		if got := FindForwardInput(tc.path, inputs); got != tc.want {
			t.Errorf("FindForwardInput(%q) = %d, want %d", tc.path, got, tc.want)
		}
	}
}

func TestHostInputTag(t *testing.T) {
	if got := (HostInput{}).Tag("traced.app"); got != "traced.app" {
		t.Errorf("Tag = %q, want traced.app", got)
	}
	if got := (HostInput{TagPrefix: "fw."}).Tag("traced.app"); got != "fw.traced.app" {
		t.Errorf("Tag = %q, want the input's tag_prefix first (fw.traced.app)", got)
	}
}

// fakeInput is an Appender recording what it is handed; onThread false plays a flush on
// an output worker thread, refuse an input paused at its limit.
type fakeInput struct {
	mu       sync.Mutex
	onThread bool
	refuse   bool
	tags     []string
	events   [][]byte
	counts   []int
}

func (f *fakeInput) Append(tag string, count int, events []byte) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.onThread {
		return false, nil
	}
	if f.refuse {
		return true, errors.New("input forward.0 refused them")
	}
	f.tags = append(f.tags, tag)
	f.events = append(f.events, append([]byte(nil), events...))
	f.counts = append(f.counts, count)
	return true, nil
}

func (f *fakeInput) String() string { return "forward.0" }

func withInput(f *fakeInput, asked *string) Option {
	return WithInProcess(func(path string) (Appender, string) {
		*asked = path
		return f, ""
	})
}

func TestInProcessAppendsInsteadOfSending(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	props := unixProps(srv)
	f := &fakeInput{onThread: true}
	var asked string
	in, logs := newTestInstance(t, "tracelink.0", props, withInput(f, &asked))
	if asked != srv.Addr() {
		t.Fatalf("asked for the input on %q, want %q", asked, srv.Addr())
	}
	data := outputtest.Chunk(outputtest.V2, 0, 40)
	if got := in.Flush("kube.app", data); got != FlushOK {
		t.Fatalf("Flush = %d, want FLB_OK", got)
	}
	if len(f.tags) != 1 || f.tags[0] != "traced.kube.app" || f.counts[0] != 40 {
		t.Fatalf("input got tags %q counts %v, want one append of 40 under traced.kube.app", f.tags, f.counts)
	}
	var got [][]byte
	w := chunk.NewWalker(f.events[0])
	var ev chunk.Event
	for w.Next(&ev) {
		got = append(got, append([]byte(nil), ev.Raw...))
	}
	sameEntries(t, got, expectedEntries(t, props, data))
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the socket got %d messages, want none", n)
	}
	if st := in.Stats(); st.Records != 40 || st.Acked != 40 || st.Chunks != 1 {
		t.Errorf("stats %s, want records=40 acked=40 chunks=1", st)
	}
	if !strings.Contains(logs.String(), "in process into input forward.0") {
		t.Errorf("start line does not say in process:\n%s", logs)
	}
}

func TestInProcessOffTheEngineThreadUsesTheSocket(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	f := &fakeInput{onThread: false}
	var asked string
	in, logs := newTestInstance(t, "tracelink.0", unixProps(srv), withInput(f, &asked))
	for i := range 2 {
		if got := in.Flush("kube.app", outputtest.Chunk(outputtest.V1, i*10, 10)); got != FlushOK {
			t.Fatalf("Flush = %d, want FLB_OK", got)
		}
	}
	drain(t, in)
	if n := len(receivedEntries(t, srv, "traced.kube.app")); n != 20 {
		t.Errorf("the socket got %d events, want 20", n)
	}
	if c := strings.Count(logs.String(), "output worker threads"); c != 1 {
		t.Errorf("the worker-thread line was logged %d times, want once:\n%s", c, logs)
	}
}

// An input paused at its buffer limit refuses the events: they are spooled for the socket
// (delivered once the input reads again), not answered with a retry that Fluent Bit would
// give up on after Retry_Limit.
func TestInProcessRefusedSpools(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	f := &fakeInput{onThread: true, refuse: true}
	var asked string
	in, logs := newTestInstance(t, "tracelink.0", unixProps(srv), withInput(f, &asked))
	if got := in.Flush("kube.app", outputtest.Chunk(outputtest.V1, 0, 10)); got != FlushOK {
		t.Fatalf("Flush = %d, want FLB_OK", got)
	}
	drain(t, in)
	if n := len(receivedEntries(t, srv, "traced.kube.app")); n != 10 {
		t.Errorf("the socket got %d events, want the 10 refused in process", n)
	}
	if st := in.Stats(); st.Refused != 1 || st.Retries != 0 || st.Records != 10 || st.Acked != 10 {
		t.Errorf("stats %s, want refused=1 retries=0 records=10 acked=10", st)
	}
	if !strings.Contains(logs.String(), "refused them; spooled for its socket") {
		t.Errorf("no line naming the refusal:\n%s", logs)
	}
	f.refuse = false
	if got := in.Flush("kube.app", outputtest.Chunk(outputtest.V1, 10, 10)); got != FlushOK {
		t.Fatalf("Flush = %d, want FLB_OK", got)
	}
	if len(f.counts) != 1 || f.counts[0] != 10 {
		t.Errorf("input got %v, want the next 10 events in process", f.counts)
	}
}

func TestInProcessNotAsked(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	for _, tc := range []struct {
		name  string
		props map[string]string
	}{
		{"In_Process off", unixProps(srv, "In_Process", "off")},
		{"TCP", map[string]string{"Format": "datadog", "Forward_Port": "24224", "Stats_Interval": "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked := "(not asked)"
			newTestInstance(t, "tracelink.0", tc.props, withInput(&fakeInput{onThread: true}, &asked))
			if asked != "(not asked)" {
				t.Errorf("asked for an input on %q", asked)
			}
		})
	}
}

func TestInProcessNoInputUsesTheSocket(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	in, logs := newTestInstance(t, "tracelink.0", unixProps(srv), WithInProcess(func(string) (Appender, string) {
		return nil, "no input of this Fluent Bit has unix_path " + srv.Addr()
	}))
	if got := in.Flush("kube.app", outputtest.Chunk(outputtest.V1, 0, 5)); got != FlushOK {
		t.Fatalf("Flush = %d", got)
	}
	drain(t, in)
	if n := len(receivedEntries(t, srv, "traced.kube.app")); n != 5 {
		t.Errorf("the socket got %d events, want 5", n)
	}
	if !strings.Contains(logs.String(), "not in process: no input") {
		t.Errorf("no line saying why not in process:\n%s", logs)
	}
}

// pieceInput is an Appender that records each append whole; once it took `takes` appends
// (takes >= 0), it refuses the rest.
type pieceInput struct {
	appends [][]byte
	counts  []int
	takes   int
}

func (p *pieceInput) Append(_ string, count int, events []byte) (bool, error) {
	if p.takes >= 0 && len(p.appends) >= p.takes {
		return true, errors.New("input forward.0 is paused")
	}
	p.appends = append(p.appends, append([]byte(nil), events...))
	p.counts = append(p.counts, count)
	return true, nil
}

func (p *pieceInput) String() string { return "forward.0" }

// events splits appended (or sent) entries into their events.
func splitEvents(t *testing.T, batches ...[]byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, b := range batches {
		w := chunk.NewWalker(b)
		var ev chunk.Event
		for w.Next(&ev) {
			out = append(out, append([]byte(nil), ev.Raw...))
		}
		if w.Err() != nil {
			t.Fatalf("appended events are malformed: %v", w.Err())
		}
	}
	return out
}

// bigGroupedChunk is n records, then a group of two records, then n more: larger than
// several pieces, with a group where a cut could fall.
func bigGroupedChunk(n int) []byte {
	data := outputtest.Chunk(outputtest.V2, 0, n)
	data = append(data, groupChunk(n)...)
	return append(data, outputtest.Chunk(outputtest.V2, n+2, n)...)
}

// A chunk rewritten in process goes to the input a piece at a time, so the flush buffer
// stays small: every event once, in order, no piece much larger than pieceBytes, no group
// cut in two.
func TestInProcessAppendsInPieces(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	props := unixProps(srv)
	p := &pieceInput{takes: -1}
	in, _ := newTestInstance(t, "tracelink.0", props, WithInProcess(func(string) (Appender, string) { return p, "" }))
	data := bigGroupedChunk(1500)
	if len(data) < 3*pieceBytes {
		t.Fatalf("test chunk of %d bytes is too small for pieces of %d", len(data), pieceBytes)
	}
	if got := in.Flush("kube.app", data); got != FlushOK {
		t.Fatalf("Flush = %d, want FLB_OK", got)
	}
	if len(p.appends) < 3 {
		t.Fatalf("%d appends, want the chunk in pieces", len(p.appends))
	}
	total := 0
	for i, a := range p.appends {
		if len(a) > pieceBytes+4096 {
			t.Errorf("append %d: %d bytes, want at most a piece (%d) and one event", i, len(a), pieceBytes)
		}
		evs := splitEvents(t, a)
		if len(evs) != p.counts[i] {
			t.Errorf("append %d: count %d, but it holds %d events", i, p.counts[i], len(evs))
		}
		depth := 0
		for _, raw := range evs {
			var ev chunk.Event
			w := chunk.NewWalker(raw)
			w.Next(&ev)
			switch ev.Kind {
			case chunk.KindGroupStart:
				depth++
			case chunk.KindGroupEnd:
				depth--
			}
		}
		if depth != 0 {
			t.Errorf("append %d cuts a group (depth %d at its end)", i, depth)
		}
		total += p.counts[i]
	}
	sameEntries(t, splitEvents(t, p.appends...), expectedEntries(t, props, data))
	if st := in.Stats(); st.Acked != uint64(total) || st.Records != 3002 || st.Chunks != 1 {
		t.Errorf("stats %s, want acked=%d records=3002 chunks=1", st, total)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the socket got %d messages, want none", n)
	}
}

// When the input refuses a piece mid-chunk (paused at its limit), what it took stays
// there and the rest goes to the spool, even past Spool_Limit: Fluent Bit cannot retry
// the rest alone, and retrying the whole chunk would duplicate the first pieces.
func TestInProcessRefusalMidChunkSpoolsTheRest(t *testing.T) {
	srv := forwardtest.NewUnix(t, forwardtest.WithBehavior(forwardtest.NeverAck))
	props := unixProps(srv, "Spool_Limit", "1M", "Ack_Timeout", "1s")
	p := &pieceInput{takes: 0}
	in, _ := newTestInstance(t, "tracelink.0", props, WithInProcess(func(string) (Appender, string) { return p, "" }))
	first := bigGroupedChunk(1500)
	if got := in.Flush("kube.app", first); got != FlushOK {
		t.Fatalf("Flush = %d, want FLB_OK (spooled: the input refused the first piece)", got)
	}
	if st := in.spool.Stats(); st.Bytes < 1<<20 {
		t.Fatalf("spool holds %d bytes, want the first chunk (over 1M) unacknowledged", st.Bytes)
	}
	// The spool is at its limit. Now the input takes one piece and refuses the next.
	p.takes = 1
	second := outputtest.Chunk(outputtest.V2, 10000, 3000)
	if got := in.Flush("kube.app", second); got != FlushOK {
		t.Fatalf("Flush = %d, want FLB_OK: the rest spooled past Spool_Limit, not a retry that would duplicate the first piece", got)
	}
	if len(p.appends) != 1 {
		t.Fatalf("%d appends taken, want 1", len(p.appends))
	}
	want := append(expectedEntries(t, props, first), expectedEntries(t, props, second)...)
	srv.SetBehavior(forwardtest.Ack)
	eventually(t, "the spooled events at the socket", func() bool {
		return len(dedupe(receivedEntries(t, srv, "traced.kube.app"))) == len(want)-p.counts[0]
	})
	// Resent batches may arrive in another order: compare what arrived, once each.
	got := append(dedupe(receivedEntries(t, srv, "traced.kube.app")), splitEvents(t, p.appends[0])...)
	sortEntries(got)
	sortEntries(want)
	sameEntries(t, got, want)
	if st := in.Stats(); st.Refused != 2 || st.Records != 6002 {
		t.Errorf("stats %s, want refused=2 records=6002", st)
	}
}

func sortEntries(evs [][]byte) { slices.SortFunc(evs, bytes.Compare) }

// dedupe drops the events received again after a resend (NeverAck: the sender resends
// what was not acknowledged), keeping the first of each.
func dedupe(evs [][]byte) [][]byte {
	seen := map[string]bool{}
	var out [][]byte
	for _, e := range evs {
		if !seen[string(e)] {
			seen[string(e)] = true
			out = append(out, e)
		}
	}
	return out
}

// A panic mid-chunk after pieces went to the input passes on the rest unchanged, from the
// first event the input did not take: nothing twice, nothing lost.
func TestInProcessPanicMidChunkPassesTheRestOn(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	props := unixProps(srv)
	p := &pieceInput{takes: -1}
	calls := 0
	hook := withProcessHook(func() {
		calls++
		if calls == 2000 {
			panic("test panic")
		}
	})
	in, _ := newTestInstance(t, "tracelink.0", props, WithInProcess(func(string) (Appender, string) { return p, "" }), hook)
	data := bigGroupedChunk(1500)
	if got := in.Flush("kube.app", data); got != FlushOK {
		t.Fatalf("Flush = %d, want FLB_OK", got)
	}
	got := splitEvents(t, p.appends...)
	rewritten := expectedEntries(t, props, data)
	raw := splitEvents(t, data)
	if len(got) != len(raw) {
		t.Fatalf("the input got %d events, want each of the %d once", len(got), len(raw))
	}
	taken := 0
	for _, c := range p.counts[:len(p.counts)-1] {
		taken += c
	}
	if taken == 0 || taken >= 2000 {
		t.Fatalf("%d events went before the panic's piece, want some and fewer than 2000", taken)
	}
	sameEntries(t, got[:taken], rewritten[:taken])
	sameEntries(t, got[taken:], raw[taken:])
	if st := in.Stats(); st.Panics != 1 || st.Records != 3002 || st.Acked != 3004 {
		t.Errorf("stats %s, want panics=1 records=3002 acked=3004", st)
	}
}
