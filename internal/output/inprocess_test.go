package output

import (
	"errors"
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
