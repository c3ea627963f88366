package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/forward/forwardtest"
	"github.com/tracelink/tracelink/internal/output/outputtest"
	"github.com/tracelink/tracelink/internal/property"
	"github.com/tracelink/tracelink/internal/spool"
	"github.com/tracelink/tracelink/parser"
)

// groupChunk is a V2 group: start marker, two records, end marker.
func groupChunk(first int) []byte {
	var out []byte
	out = append(out, 0x92, 0x92)
	out = outputtest.AppendEventTime(out, 0xFFFFFFFF, 0)
	out = append(out, 0x81, 0xa8, 'r', 'e', 's', 'o', 'u', 'r', 'c', 'e', 0x80) // {"resource":{}}
	out = append(out, 0x81, 0xa1, 'a', 0x01)                                    // {"a":1}
	out = outputtest.AppendEvent(out, outputtest.V2, first)
	out = outputtest.AppendEvent(out, outputtest.V2, first+1)
	out = append(out, 0x92, 0x92)
	out = outputtest.AppendEventTime(out, 0xFFFFFFFE, 0)
	return append(out, 0x80, 0x80)
}

func unixProps(s *forwardtest.Server, extra ...string) map[string]string {
	p := map[string]string{"Format": "datadog", "Unix_Path": s.Addr(), "Stats_Interval": "0"}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

// receivedEntries flattens the entries of every message with the given tag.
func receivedEntries(t *testing.T, s *forwardtest.Server, tag string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, m := range s.Messages() {
		if m.Tag != tag {
			t.Errorf("message tagged %q, want %q", m.Tag, tag)
			continue
		}
		out = append(out, m.Entries...)
	}
	return out
}

func sameEntries(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("entry %d:\n got %x\nwant %x", i, got[i], want[i])
		}
	}
}

// recordOf returns the record of a single-event entry.
func recordOf(t *testing.T, entry []byte) []byte {
	t.Helper()
	w := chunk.NewWalker(entry)
	var ev chunk.Event
	if !w.Next(&ev) {
		t.Fatalf("entry does not walk: %v", w.Err())
	}
	return ev.Record
}

// topKeys returns the top-level keys of a record map.
func topKeys(t *testing.T, rec []byte) map[string]bool {
	t.Helper()
	n, b, err := msgp.ReadMapHeaderBytes(rec)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for ; n > 0; n-- {
		var k []byte
		if k, b, err = msgp.ReadStringZC(b); err != nil {
			t.Fatal(err)
		}
		keys[string(k)] = true
		if b, err = msgp.Skip(b); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestFlushDeliversEveryRecordOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape outputtest.Shape
		data  []byte
	}{
		{"v1", outputtest.V1, outputtest.Chunk(outputtest.V1, 0, 50)},
		{"v2", outputtest.V2, outputtest.Chunk(outputtest.V2, 0, 50)},
		{"v2 group", outputtest.V2, groupChunk(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := forwardtest.NewUnix(t)
			props := unixProps(srv)
			in, _ := newTestInstance(t, "tracelink.0", props)
			if got := in.Flush("kube.app", tc.data); got != FlushOK {
				t.Fatalf("Flush = %d, want FLB_OK", got)
			}
			drain(t, in)
			msgs := srv.Messages()
			if len(msgs) != 1 || !msgs[0].Acked {
				t.Fatalf("receiver got %d messages (%+v), want 1 acked", len(msgs), msgs)
			}
			got := receivedEntries(t, srv, "traced.kube.app")
			want := expectedEntries(t, props, tc.data)
			sameEntries(t, got, want)

			seen := map[int]int{}
			for _, e := range got {
				if seq, ok := outputtest.Seq(recordOf(t, e)); ok {
					seen[seq]++
				}
			}
			for seq, n := range seen {
				if n != 1 {
					t.Errorf("record %d arrived %d times", seq, n)
				}
			}
			for i, e := range got {
				w := chunk.NewWalker(e)
				var ev chunk.Event
				w.Next(&ev)
				if ev.IsGroup() {
					continue
				}
				if k := topKeys(t, ev.Record); !k["dd.trace_id"] || !k["dd.span_id"] {
					t.Errorf("entry %d not linked: keys %v", i, k)
				}
			}
			if st := in.Stats(); st.LinkedTotal() != st.Records {
				t.Errorf("stats: %s; want every record linked", st)
			}
			st := in.Stats()
			wantRecords := uint64(len(seen))
			if st.Records != wantRecords || st.Chunks != 1 || st.Retries != 0 || st.Acked != uint64(len(got)) {
				t.Errorf("stats %s, want records=%d chunks=1 retries=0 acked_events=%d", st, wantRecords, len(got))
			}
		})
	}
}

func TestFlushDropMidChunkRetriesThenDelivers(t *testing.T) {
	srv := forwardtest.NewUnix(t, forwardtest.WithBehavior(forwardtest.DropMidChunk))
	props := unixProps(srv, "Ack_Timeout", "2s")
	in, logs := newTestInstance(t, "tracelink.0", props)
	data := outputtest.Chunk(outputtest.V2, 0, 20)
	if got := in.Flush("app", data); got != FlushOK {
		t.Fatalf("Flush with the receiver dropping mid-chunk = %d, want FLB_OK (spooled)", got)
	}
	eventually(t, "a failed send is logged", func() bool { return strings.Contains(logs.String(), "could not deliver 20 events") })
	if st := in.Stats(); st.Acked != 0 || st.SendRetries == 0 {
		t.Errorf("stats %s, want acked_events=0 and send_retries>0 while the receiver drops", st)
	}
	srv.SetBehavior(forwardtest.Ack)
	drain(t, in)
	sameEntries(t, receivedEntries(t, srv, "traced.app"), expectedEntries(t, props, data))
	if st := in.Stats(); st.Retries != 0 || st.Chunks != 1 || st.Records != 20 || st.Acked != 20 {
		t.Errorf("stats %s, want retries=0 chunks=1 records=20 acked_events=20", st)
	}
}

// Failed sends shorter than Timings.QuietFailures (a shutdown or reload pausing the
// forward input) are retried without a warning.
func TestShortSendFailuresAreQuiet(t *testing.T) {
	cs := &captureSender{fail: errors.New("boom")}
	in, logs := newTestInstance(t, "tracelink.0", map[string]string{"Format": "datadog", "Stats_Interval": "0"}, withSender(cs),
		WithTimings(Timings{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, QuietFailures: time.Hour}))
	if got := in.Flush("app", outputtest.Chunk(outputtest.V1, 0, 2)); got != FlushOK {
		t.Fatalf("Flush = %d, want FLB_OK (spooled)", got)
	}
	eventually(t, "several attempts fail", func() bool { return in.Stats().SendRetries >= 5 })
	if strings.Contains(logs.String(), "boom") {
		t.Errorf("a failure shorter than QuietFailures was logged:\n%s", logs)
	}
	cs.mu.Lock()
	cs.fail = nil
	cs.mu.Unlock()
	drain(t, in)
}

// A batch the receiver never acknowledges stays in the spool through Close, and the next
// instance opening the same spool (a restart, or a hot reload) delivers it.
func TestUnackedBatchSurvivesRestart(t *testing.T) {
	for _, b := range []forwardtest.Behavior{forwardtest.NeverAck, forwardtest.WrongAck} {
		t.Run(b.String(), func(t *testing.T) {
			srv := forwardtest.NewUnix(t, forwardtest.WithBehavior(b))
			props := unixProps(srv, "Ack_Timeout", "200ms", "Spool_Path", t.TempDir())
			in, logs := newTestInstance(t, "tracelink.0", props)
			data := outputtest.Chunk(outputtest.V1, 0, 3)
			if got := in.Flush("app", data); got != FlushOK {
				t.Fatalf("Flush = %d, want FLB_OK (spooled)", got)
			}
			eventually(t, "a send attempt fails", func() bool { return in.Stats().SendRetries > 0 })
			if err := in.Close(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(logs.String(), "not yet acknowledged stay in") {
				t.Errorf("Close did not report the batch left in the spool:\n%s", logs)
			}
			if st := in.Stats(); st.Acked != 0 {
				t.Errorf("stats %s: nothing was acknowledged", st)
			}

			srv2 := forwardtest.NewUnix(t)
			props2 := unixProps(srv2, "Spool_Path", props["Spool_Path"])
			in2, logs2 := newTestInstance(t, "tracelink.0", props2)
			drain(t, in2)
			sameEntries(t, receivedEntries(t, srv2, "traced.app"), expectedEntries(t, props, data))
			if !strings.Contains(logs2.String(), "1 batches") {
				t.Errorf("the new instance did not report the recovered batch:\n%s", logs2)
			}
		})
	}
}

func TestReceiverRestartLosesNothing(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	path := srv.Addr()
	props := unixProps(srv, "Connect_Timeout", "1s", "Ack_Timeout", "1s")
	in, _ := newTestInstance(t, "tracelink.0", props)

	first := outputtest.Chunk(outputtest.V1, 0, 10)
	second := outputtest.Chunk(outputtest.V1, 10, 10)
	if got := in.Flush("app", first); got != FlushOK {
		t.Fatalf("first Flush = %d", got)
	}
	drain(t, in)
	srv.Close() // the receiver is killed: the open connection and the socket go away
	if got := in.Flush("app", second); got != FlushOK {
		t.Fatalf("Flush with the receiver down = %d, want FLB_OK (spooled)", got)
	}
	eventually(t, "a send to the dead receiver fails", func() bool { return in.Stats().SendRetries > 0 })
	srv2 := forwardtest.NewUnix(t, forwardtest.WithUnixPath(path))
	drain(t, in)
	all := append(receivedEntries(t, srv, "traced.app"), receivedEntries(t, srv2, "traced.app")...)
	want := append(expectedEntries(t, props, first), expectedEntries(t, props, second)...)
	sameEntries(t, all, want)
}

// A receiver that stops acknowledging fills the spool to Spool_Limit; then flushes ask
// Fluent Bit to retry, and the spool does not grow past its limit.
func TestSpoolFullRetries(t *testing.T) {
	srv := forwardtest.NewUnix(t, forwardtest.WithBehavior(forwardtest.NeverAck))
	props := unixProps(srv, "Ack_Timeout", "10s", "Spool_Limit", "1M")
	in, logs := newTestInstance(t, "tracelink.0", props)
	data := outputtest.Chunk(outputtest.V1, 0, 500) // ~200 KiB
	codes := map[int]int{}
	for range 10 {
		codes[in.Flush("app", data)]++
	}
	if codes[FlushOK] == 0 || codes[FlushRetry] == 0 {
		t.Fatalf("flush answers %v, want some FLB_OK then FLB_RETRY once the spool is full", codes)
	}
	if st := in.spool.Stats(); st.Bytes > 1<<20 {
		t.Errorf("spool holds %d bytes, over Spool_Limit 1M", st.Bytes)
	}
	if !strings.Contains(logs.String(), "spool full") {
		t.Errorf("spool full not logged:\n%s", logs)
	}
	if st := in.Stats(); st.Retries != uint64(codes[FlushRetry]) {
		t.Errorf("stats %s, want retries=%d", st, codes[FlushRetry])
	}
}

func TestConcurrentFlushesTwoInstances(t *testing.T) {
	srvA := forwardtest.NewUnix(t)
	srvB := forwardtest.NewTCP(t)
	propsA := map[string]string{"Format": "stackdriver", "Project_ID": "my-project-123", "Unix_Path": srvA.Addr(), "Stats_Interval": "0", "Max_Connections": "3"}
	host, port, _ := strings.Cut(srvB.Addr(), ":")
	propsB := map[string]string{"format": "DATADOG", "forward_host": host, "FORWARD_PORT": port, "tag_prefix": "dd.", "stats_interval": "0"}
	inA, _ := newTestInstance(t, "tracelink.0", propsA)
	inB, _ := newTestInstance(t, "tracelink.1", propsB)

	const goroutines, chunksEach, perChunk = 8, 5, 20
	var wg sync.WaitGroup
	codes := make(chan int, goroutines*chunksEach)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := inA
			if g%2 == 1 {
				in = inB
			}
			for c := range chunksEach {
				first := (g*chunksEach + c) * perChunk
				shape := outputtest.V1
				if c%2 == 0 {
					shape = outputtest.V2
				}
				codes <- in.Flush(fmt.Sprintf("kube.g%d", g), outputtest.Chunk(shape, first, perChunk))
			}
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != FlushOK {
			t.Fatalf("a concurrent Flush returned %d", c)
		}
	}
	drain(t, inA)
	drain(t, inB)
	check := func(srv *forwardtest.Server, prefix string, parity int) {
		seen := map[int]int{}
		for _, m := range srv.Messages() {
			if !strings.HasPrefix(m.Tag, prefix+"kube.g") {
				t.Errorf("message tagged %q at the %s receiver", m.Tag, prefix)
			}
			for _, e := range m.Entries {
				seq, ok := outputtest.Seq(recordOf(t, e))
				if !ok {
					t.Fatalf("record without seq: %x", e)
				}
				seen[seq]++
			}
		}
		want := 0
		for g := range goroutines {
			if g%2 != parity {
				continue
			}
			for i := g * chunksEach * perChunk; i < (g+1)*chunksEach*perChunk; i++ {
				want++
				if seen[i] != 1 {
					t.Errorf("%s receiver: record %d arrived %d times", prefix, i, seen[i])
				}
			}
		}
		if len(seen) != want {
			t.Errorf("%s receiver: %d distinct records, want %d", prefix, len(seen), want)
		}
	}
	check(srvA, "traced.", 0)
	check(srvB, "dd.", 1)
	if a, b := inA.Stats(), inB.Stats(); a.Records != goroutines/2*chunksEach*perChunk || b.Records != a.Records {
		t.Errorf("stats A %s, B %s", a, b)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		prop, value, want string
	}{
		{"Emit", "kafka", "forward, stdout"},
		{"Forward_Port", "0", "1-65535"},
		{"Forward_Port", "65536", "1-65535"},
		{"Forward_Port", "http", "1-65535"},
		{"Forward_Host", "a b", "host name"},
		{"Unix_Path", "/tmp/x.sock", "Forward_Host and Forward_Port unset"}, // with Forward_Port below
		{"Tag_Prefix", " traced.", "without surrounding spaces"},
		{"Connect_Timeout", "0", "above 0"},
		{"Connect_Timeout", "soon", "a duration"},
		{"Ack_Timeout", "-1s", "a duration"},
		{"Ack_Timeout", "48h", "a duration"},
		{"Max_Connections", "0", "1-1024"},
		{"Max_Connections", "2000", "1-1024"},
		{"Max_Connections", "two", "1-1024"},
		{"In_Process", "maybe", "on, off"},
		{"Stats_Interval", "-5", "0 = off"},
		{"Spool_Limit", "10K", "at least 1M"},
		{"Spool_Limit", "lots", "a size"},
		{"Spool_Memory", "2G", "at most Spool_Limit"},
		{"Spool_Path", "/dev/null/x", "Spool_Path"},
		{"Stats_Interval", "1x", "0 = off"},
		{"Self_Hostname", strings.Repeat("h", 256), "255 bytes"},
		{"Format", "splunk", "stackdriver, datadog, otel"},
		{"Merge_Log", "maybe", "on, off"},
		{"Project_ID", "bad/project", "Google Cloud project id"},
		{"Match", "*", "loop"},
		{"Match", "traced.*", "loop"},
		{"Match_Regex", ".*", "loop"},
		{"Match_Regex", `traced\.kube\.app`, "loop"},
		{"Match_Regex", "t", "loop"},
		{"Match_Regex", "(", "regular expression"},
	}
	for _, tt := range tests {
		t.Run(tt.prop+"="+tt.value, func(t *testing.T) {
			props := map[string]string{"Format": "datadog", tt.prop: tt.value}
			if tt.prop == "Unix_Path" {
				props["Forward_Port"] = "24224"
			}
			logs := &lockedBuffer{}
			_, err := New("tracelink.3", getter(props), logs, WithProjectLookup(noLookup))
			if err == nil {
				t.Fatalf("New accepted %s=%q", tt.prop, tt.value)
			}
			msg := err.Error()
			if !strings.Contains(strings.ToLower(msg), strings.ToLower(tt.prop)) || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not name the property %s and %q", msg, tt.prop, tt.want)
			}
			if len(tt.value) < 50 && !strings.Contains(msg, tt.value) && !strings.Contains(msg, strconv.Quote(tt.value)) {
				t.Errorf("error %q does not name the value %q", msg, tt.value)
			}
			if !strings.Contains(logs.String(), "[error] [output:tracelink:tracelink.3] configuration error") {
				t.Errorf("the error was not logged in Fluent Bit's style:\n%s", logs)
			}
		})
	}
}

func TestConfigAccepted(t *testing.T) {
	tests := []struct {
		name  string
		props map[string]string
		check func(c sinkConfig) bool
	}{
		{"defaults", nil, func(c sinkConfig) bool {
			return c.emit == emitForward && c.network == "tcp" && c.address == "127.0.0.1:24224" && c.tagPrefix == "traced." &&
				c.connectTimeout.String() == "5s" && c.ackTimeout.String() == "30s" && c.maxConns == 2 && c.statsInterval.String() == "1m0s" &&
				c.spoolLimit == 256<<20 && c.spoolPath != ""
		}},
		{"unix", map[string]string{"unix_path": "/run/fb.sock"}, func(c sinkConfig) bool { return c.network == "unix" && c.address == "/run/fb.sock" }},
		{"tcp ipv6", map[string]string{"Forward_Host": "::1", "Forward_Port": "24225"}, func(c sinkConfig) bool { return c.address == "[::1]:24225" }},
		{"bare seconds", map[string]string{"Ack_Timeout": "3", "Connect_Timeout": "1.5"}, func(c sinkConfig) bool {
			return c.ackTimeout.String() == "3s" && c.connectTimeout.String() == "1.5s"
		}},
		{"ms and m", map[string]string{"Ack_Timeout": "500ms", "Stats_Interval": "1m"}, func(c sinkConfig) bool {
			return c.ackTimeout.String() == "500ms" && c.statsInterval.String() == "1m0s"
		}},
		{"stats off", map[string]string{"Stats_Interval": "0"}, func(c sinkConfig) bool { return c.statsInterval == 0 }},
		{"spool", map[string]string{"Spool_Path": "/var/lib/tl", "Spool_Limit": "1G"}, func(c sinkConfig) bool {
			return c.spoolDir("tracelink.2") == "/var/lib/tl/tracelink.2" && c.spoolLimit == 1<<30
		}},
		{"spool size forms", map[string]string{"Spool_Limit": "512mb"}, func(c sinkConfig) bool { return c.spoolLimit == 512<<20 }},
		{"stdout", map[string]string{"Emit": "STDOUT"}, func(c sinkConfig) bool { return c.emit == emitStdout }},
		{"secure", map[string]string{"Shared_Key": "s3cret", "Self_Hostname": "node-1"}, func(c sinkConfig) bool {
			return c.sharedKey == "s3cret" && c.selfHostname == "node-1"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseSink(getter(tt.props))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}

func TestLoopGuardAtInit(t *testing.T) {
	for _, ok := range []map[string]string{
		{"Match": "kube.*"},
		{"Match_Regex": `^kube\.`},
		{"Match_Regex": `kube\..*`},      // anchored at the start in Fluent Bit: traced.kube.x does not match
		{"Match_Regex": `x*`},            // only an empty match on traced.*: not a match for Fluent Bit
		{"Match": "*", "Emit": "stdout"}, // stdout sends nothing back
	} {
		props := map[string]string{"Format": "datadog", "Stats_Interval": "0"}
		for k, v := range ok {
			props[k] = v
		}
		in, err := New("tracelink.0", getter(props), &lockedBuffer{}, WithProjectLookup(noLookup), withSender(discardSender{}))
		if err != nil {
			t.Errorf("New(%v): %v", ok, err)
			continue
		}
		_ = in.Close()
	}
}

func TestLoopGuardAtRuntime(t *testing.T) {
	cs := &captureSender{}
	in, logs := newTestInstance(t, "tracelink.0", map[string]string{"Format": "datadog", "Stats_Interval": "0"}, withSender(cs))
	data := outputtest.Chunk(outputtest.V1, 0, 5)
	for range 3 {
		if got := in.Flush("traced.kube.app", data); got != FlushOK {
			t.Fatalf("looping Flush = %d, want FLB_OK (the records went out once already)", got)
		}
	}
	if n := len(cs.messages()); n != 0 {
		t.Errorf("the loop guard sent %d messages, want 0", n)
	}
	if st := in.Stats(); st.LoopDrops != 3 || st.Records != 0 {
		t.Errorf("stats %s, want loop_drops=3 records=0", st)
	}
	if n := strings.Count(logs.String(), "[error] [output:tracelink:tracelink.0] loop:"); n != 1 {
		t.Errorf("loop error logged %d times in a minute, want once:\n%s", n, logs)
	}
	if got := in.Flush("kube.app", data); got != FlushOK {
		t.Errorf("a normal tag after the loop: Flush = %d", got)
	}
	drain(t, in)
	if n := len(cs.messages()); n != 1 {
		t.Errorf("a normal tag after the loop: %d messages, want 1", n)
	}
}

func TestPanicSendsChunkUnchanged(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	calls := 0
	var mu sync.Mutex
	hook := func() {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls%3 == 2 {
			panic("injected failure")
		}
	}
	in, logs := newTestInstance(t, "tracelink.0", unixProps(srv), withProcessHook(hook))
	data := groupChunk(0)
	data = append(data, outputtest.Chunk(outputtest.V1, 2, 4)...)
	for range 2 {
		if got := in.Flush("app", data); got != FlushOK {
			t.Fatalf("Flush after a panic = %d, want FLB_OK", got)
		}
	}
	drain(t, in)
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2", len(msgs))
	}
	for _, m := range msgs {
		if !bytes.Equal(bytes.Join(m.Entries, nil), data) {
			t.Errorf("the chunk was not sent unchanged after the panic")
		}
	}
	l := logs.String()
	if n := strings.Count(l, "injected failure"); n != 2 {
		t.Errorf("panic logged %d times, want 2:\n%s", n, l)
	}
	if n := len(regexp.MustCompile(`goroutine \d+ \[running\]`).FindAllString(l, -1)); n != 1 {
		t.Errorf("stack logged %d times, want once", n)
	}
	if st := in.Stats(); st.Panics != 2 || st.Records != 12 || st.Unchanged != 12 {
		t.Errorf("stats %s, want panics=2 records=12 unchanged=12", st)
	}
}

func TestMalformedChunkSentUnchanged(t *testing.T) {
	cs := &captureSender{}
	in, logs := newTestInstance(t, "tracelink.0", map[string]string{"Format": "datadog", "Stats_Interval": "0"}, withSender(cs))
	good := outputtest.Chunk(outputtest.V1, 0, 3)
	data := append(append([]byte(nil), good...), 0x92, 0xa1, 'x', 0x80) // timestamp is a string
	if got := in.Flush("app", data); got != FlushOK {
		t.Fatalf("Flush = %d", got)
	}
	drain(t, in)
	msgs := cs.messages()
	if len(msgs) != 1 || !bytes.Equal(msgs[0].entries, data) || msgs[0].count != 4 {
		t.Fatalf("sent %+v, want the chunk unchanged with 4 events", msgs)
	}
	if !strings.Contains(logs.String(), fmt.Sprintf("byte offset %d", len(good)+1)) {
		t.Errorf("the log does not name the offset:\n%s", logs)
	}
	if st := in.Stats(); st.Malformed != 1 || st.Records != 3 {
		t.Errorf("stats %s", st)
	}
}

func TestSendErrorIsRetriedByTheSender(t *testing.T) {
	cs := &captureSender{fail: errors.New("boom")}
	in, logs := newTestInstance(t, "tracelink.0", map[string]string{"Format": "datadog", "Stats_Interval": "0"}, withSender(cs))
	if got := in.Flush("app", outputtest.Chunk(outputtest.V1, 0, 2)); got != FlushOK {
		t.Fatalf("Flush = %d, want FLB_OK (spooled)", got)
	}
	eventually(t, "the send error is logged", func() bool { return strings.Contains(logs.String(), "boom") })
	cs.mu.Lock()
	cs.fail = nil
	cs.mu.Unlock()
	drain(t, in)
	if n := len(cs.messages()); n != 1 {
		t.Errorf("%d messages once the sender recovered, want 1", n)
	}
}

func TestFlushAfterCloseRetries(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	in, logs := newTestInstance(t, "tracelink.0", unixProps(srv))
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if got := in.Flush("app", outputtest.Chunk(outputtest.V1, 0, 2)); got != FlushRetry {
		t.Fatalf("Flush after Close = %d, want FLB_RETRY", got)
	}
	if err := in.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := strings.Count(logs.String(), "exit: records="); n != 1 {
		t.Errorf("final summary logged %d times, want once:\n%s", n, logs)
	}
}

func TestStdout(t *testing.T) {
	var out bytes.Buffer
	in, _ := newTestInstance(t, "tracelink.0", map[string]string{"Format": "datadog", "Emit": "stdout", "Stats_Interval": "0"}, WithStdout(&out))
	data := groupChunk(0)
	data = append(data, outputtest.Chunk(outputtest.V1, 2, 1)...)
	data = append(data, 0x92, 0x05, 0x81, 0xa1, 'k', 0xa1, 'v') // int timestamp 5, {"k":"v"}
	if got := in.Flush("kube.app", data); got != FlushOK {
		t.Fatalf("Flush = %d", got)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("got %d lines, want 6:\n%s", len(lines), out.String())
	}
	type line struct {
		Tag      string          `json:"tag"`
		Group    string          `json:"group"`
		Time     json.Number     `json:"time"`
		Metadata map[string]any  `json:"metadata"`
		Record   json.RawMessage `json:"record"`
	}
	var parsed []line
	for _, l := range lines {
		var v line
		d := json.NewDecoder(strings.NewReader(l))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		if v.Tag != "kube.app" {
			t.Errorf("tag %q", v.Tag)
		}
		parsed = append(parsed, v)
	}
	if parsed[0].Group != "start" || parsed[3].Group != "end" || parsed[0].Metadata == nil {
		t.Errorf("group markers: %+v %+v", parsed[0], parsed[3])
	}
	if parsed[5].Time != "5.000000000" || string(parsed[5].Record) != `{"k":"v"}` {
		t.Errorf("last line %q", lines[5])
	}
	if !regexp.MustCompile(`^\d{10}\.\d{9}$`).MatchString(string(parsed[4].Time)) {
		t.Errorf("time %q", parsed[4].Time)
	}
}

func TestStdoutMalformedTail(t *testing.T) {
	var out bytes.Buffer
	in, _ := newTestInstance(t, "tracelink.0", map[string]string{"Format": "datadog", "Emit": "stdout"}, WithStdout(&out))
	data := append(outputtest.Chunk(outputtest.V1, 0, 1), 0x92, 0x01)
	if got := in.Flush("app", data); got != FlushOK {
		t.Fatalf("Flush = %d", got)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"error":"chunk: byte offset`) || !strings.Contains(lines[1], `"unparsed_bytes":2`) {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestLogLines(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	in, logs := newTestInstance(t, "tracelink.7", unixProps(srv))
	in.Flush("app", outputtest.Chunk(outputtest.V1, 0, 2))
	drain(t, in)
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	lineRE := regexp.MustCompile(`^\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\] \[( info| warn|error)\] \[output:tracelink:tracelink\.7\] `)
	lines := strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")
	for _, l := range lines {
		if !lineRE.MatchString(l) {
			t.Errorf("log line not in Fluent Bit's style: %q", l)
		}
	}
	if !strings.Contains(lines[0], "started: format datadog, emit forward to unix:") {
		t.Errorf("first line %q", lines[0])
	}
	last := lines[len(lines)-1]
	if !strings.Contains(last, "exit: records=2 ") || !strings.Contains(last, "chunks=1 retries=0") {
		t.Errorf("last line %q", last)
	}
}

func TestStatsString(t *testing.T) {
	var s Stats
	s.Records, s.Chunks = 10, 2
	s.Linked[parser.SourceDatadog] = 4
	s.Linked[parser.SourceTraceparent] = 3
	want := "records=10 linked=7 (datadog=4 w3c=3) invalid=0 unchanged=0 chunks=2 retries=0 acked_events=0 send_retries=0 refused=0 loop_drops=0 sampled_out=0 malformed_chunks=0 panics=0"
	if got := s.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := (Stats{}).String(); !strings.HasPrefix(got, "records=0 linked=0 invalid=0") {
		t.Errorf("empty stats %q", got)
	}
}

func TestCoreAndSinkPropertiesAsked(t *testing.T) {
	asked := map[string]bool{}
	var mu sync.Mutex
	get := func(k string) string {
		mu.Lock()
		asked[strings.ToLower(k)] = true
		mu.Unlock()
		if strings.EqualFold(k, "Format") {
			return "otel"
		}
		return ""
	}
	in, err := New("tracelink.0", get, &lockedBuffer{}, WithProjectLookup(noLookup), withSender(discardSender{}))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	want := []string{"grok_pattern", fmt.Sprintf("grok_pattern_%d", parser.MaxGrokPatterns-1), "match", "match_regex"}
	for _, p := range parser.Properties() {
		want = append(want, strings.ToLower(p.Name))
	}
	for _, p := range property.Sink() {
		want = append(want, strings.ToLower(p.Name))
	}
	for _, k := range want {
		if !asked[k] {
			t.Errorf("property %q was never asked for", k)
		}
	}
	names := map[string]bool{}
	for _, p := range append(parser.Properties(), property.Sink()...) {
		l := strings.ToLower(p.Name)
		if names[l] {
			t.Errorf("property %s listed twice", p.Name)
		}
		names[l] = true
		if p.Default == "" || p.Accepted == "" || p.Doc == "" {
			t.Errorf("property %s lacks Default, Accepted or Doc", p.Name)
		}
	}
	for _, reserved := range []string{"host", "port", "match", "alias", "workers", "retry_limit", "log_level"} {
		if names[reserved] {
			t.Errorf("property %s is reserved by Fluent Bit and never reaches a Go plugin", reserved)
		}
	}
}

func TestFlushSplitsLargeChunks(t *testing.T) {
	srv := forwardtest.NewUnix(t)
	props := unixProps(srv)
	in, _ := newTestInstance(t, "tracelink.0", props)
	data := outputtest.Chunk(outputtest.V2, 0, 12000) // > maxMessageBytes once rewritten
	if len(data) < maxMessageBytes {
		t.Fatalf("test chunk of %d bytes is too small to need a split", len(data))
	}
	if got := in.Flush("kube.app", data); got != FlushOK {
		t.Fatalf("Flush = %d, want FLB_OK", got)
	}
	drain(t, in)
	msgs := srv.Messages()
	if len(msgs) < 2 {
		t.Fatalf("got %d messages, want the chunk split in several", len(msgs))
	}
	total := 0
	for _, m := range msgs {
		if !m.Acked {
			t.Error("message not acked")
		}
		size := 0
		for _, e := range m.Entries {
			size += len(e)
		}
		if size > maxMessageBytes {
			t.Errorf("message of %d bytes exceeds %d", size, maxMessageBytes)
		}
		total += len(m.Entries)
	}
	if total != 12000 {
		t.Errorf("received %d events, want 12000", total)
	}
}

// fakeMetrics sums the deltas an instance reports.
type fakeMetrics struct {
	mu  sync.Mutex
	sum Stats
}

func (f *fakeMetrics) Add(d Stats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sum.Records += d.Records
	f.sum.Unchanged += d.Unchanged
	f.sum.Retries += d.Retries
	f.sum.LoopDrops += d.LoopDrops
	for i, n := range d.Linked {
		f.sum.Linked[i] += n
	}
}

func TestMetricsGetEveryCount(t *testing.T) {
	m := &fakeMetrics{}
	cs := &captureSender{}
	in, _ := newTestInstance(t, "tracelink.0", map[string]string{"Format": "datadog", "Stats_Interval": "0"}, withSender(cs), WithMetrics(m))
	in.Flush("kube.app", outputtest.Chunk(outputtest.V1, 0, 7))
	in.Flush("traced.kube.app", outputtest.Chunk(outputtest.V1, 0, 2))
	drain(t, in)
	m.mu.Lock()
	defer m.mu.Unlock()
	st := in.Stats()
	if m.sum.Records != st.Records || m.sum.Linked != st.Linked || m.sum.LoopDrops != 1 || st.Records != 7 {
		t.Errorf("metrics got %+v, the instance counts %s", m.sum, st)
	}
}

// The messages cut from the rewrite's event offsets are those a walk of the entries cuts.
func TestCutPartsMatchesWalk(t *testing.T) {
	for _, n := range []int{1, 3, 700, 2500} {
		data := outputtest.Chunk(outputtest.V2, 0, n)
		var starts []int
		w := chunk.NewWalker(data)
		var ev chunk.Event
		for w.Next(&ev) {
			starts = append(starts, ev.Offset)
		}
		got := cutParts(nil, starts, len(data), n)
		want := walkParts(data, n)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%d events: cutParts %v, walkParts %v", n, got, want)
		}
		total, prev := 0, 0
		for _, p := range got {
			if p.End-prev > maxMessageBytes && p.Count > 1 {
				t.Errorf("%d events: a message of %d bytes and %d events", n, p.End-prev, p.Count)
			}
			total += p.Count
			prev = p.End
		}
		if total != n || prev != len(data) {
			t.Errorf("%d events: parts cover %d events and %d of %d bytes", n, total, prev, len(data))
		}
	}
	// An event larger than a message goes alone, between its neighbours' messages.
	got := cutParts(nil, []int{0, 10, maxMessageBytes + 20}, maxMessageBytes+30, 3)
	want := []spool.Part{{End: 10, Count: 1}, {End: maxMessageBytes + 20, Count: 1}, {End: maxMessageBytes + 30, Count: 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parts %v, want %v", got, want)
	}
}
