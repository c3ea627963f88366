package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// Two tracelink instances with different formats, 40,000 records/s offered for 60 s
// (TRACELINK_E2E_LOAD_SECONDS changes the length): one with Workers 4, whose flushes run on
// worker threads and go through the socket and the spool, one without, which puts records
// into the forward input in process. Every record arrives once and linked, no error is
// logged, and resident memory stays within the buffer limits plus loadSlack and
// loadInFlight.
//
// On a busy machine Fluent Bit may not keep up with the offer: the backlog then waits in
// the files (tail pauses at its Mem_Buf_Limit, which Fluent Bit logs as a warning, allowed
// here, as are the socket senders' warnings while the forward input is paused) and drains
// after the offer; memory stays bounded by the limits, not flat, and the records are waited
// for as long again as the offer lasted.
func TestConcurrencyUnderLoad(t *testing.T) {
	fbtest.Require(t)
	if testing.Short() {
		t.Skip("skipping the 60 s load test in -short mode")
	}
	seconds := 60
	if s := os.Getenv("TRACELINK_E2E_LOAD_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("TRACELINK_E2E_LOAD_SECONDS=%q: want a whole number of seconds", s)
		}
		seconds = n
	}
	const perSecond = 20000 // per instance: 40,000 in all
	n := perSecond * seconds
	dir := shortDir(t)
	dd := fbtest.NewSink(t, "dd.trace_id", false)
	gcp := fbtest.NewSink(t, "logging.googleapis.com/trace", false)
	writeFile(t, filepath.Join(dir, "a.log"), "")
	writeFile(t, filepath.Join(dir, "b.log"), "")
	conf := writeFile(t, filepath.Join(dir, "fluent-bit.conf"), expand(`
[SERVICE]
    Flush      1
    Log_Level  info

[INPUT]
    Name           tail
    Path           {dir}/a.log
    Tag            a
    Mem_Buf_Limit  16MB

[INPUT]
    Name           tail
    Path           {dir}/b.log
    Tag            b
    Mem_Buf_Limit  16MB

[OUTPUT]
    Name        tracelink
    Match       a
    Format      datadog
    Unix_Path   {dir}/fw.sock
    Spool_Path  {dir}/spool
    Spool_Memory  8MB
    Workers     4

[OUTPUT]
    Name        tracelink
    Match       b
    Format      stackdriver
    Project_ID  demo-project
    Unix_Path   {dir}/fw.sock
    Spool_Path  {dir}/spool
    Spool_Memory  8MB

[INPUT]
    Name           forward
    Unix_Path      {dir}/fw.sock
    Mem_Buf_Limit  16MB

[OUTPUT]
    Name                  forward
    Match                 traced.a
    Host                  127.0.0.1
    Port                  {dd}
    Require_ack_response  true
    Retry_Limit           no_limits

[OUTPUT]
    Name                  forward
    Match                 traced.b
    Host                  127.0.0.1
    Port                  {gcp}
    Require_ack_response  true
    Retry_Limit           no_limits
`, map[string]string{"dir": dir, "dd": strconv.Itoa(dd.Port()), "gcp": strconv.Itoa(gcp.Port())}))
	fb := fbtest.Start(t, conf, fbtest.Options{})
	wa := &fbtest.Writer{Path: filepath.Join(dir, "a.log"), Rate: perSecond, N: n}
	wb := &fbtest.Writer{Path: filepath.Join(dir, "b.log"), Rate: perSecond, N: n}
	wa.Start()
	wb.Start()

	var rss []int64
	tick := time.NewTicker(5 * time.Second)
	for done := false; !done; {
		select {
		case <-tick.C:
			if r, err := fb.RSS(); err == nil {
				rss = append(rss, r)
			}
			done = wa.Written() >= n && wb.Written() >= n
		case <-time.After(time.Duration(seconds+30) * time.Second):
			done = true
		}
	}
	tick.Stop()
	if err := wa.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := wb.Wait(); err != nil {
		t.Fatal(err)
	}
	// A backlog drains at most as fast as it built up: wait as long again as the offer.
	wait := time.Duration(seconds+60) * time.Second
	ra := dd.WaitAll(n, wait)
	rb := gcp.WaitAll(n, wait)
	t.Logf("datadog instance: %s", ra)
	t.Logf("stackdriver instance: %s", rb)
	for name, r := range map[string]fbtest.Result{"datadog": ra, "stackdriver": rb} {
		if r.Missing != 0 || r.Duplicates != 0 || r.Unlinked != 0 || r.Extra != 0 {
			t.Errorf("%s instance: %s", name, r)
		}
	}
	t.Logf("resident memory every 5 s (MiB): %s", mib(rss))
	if len(rss) > 0 {
		if m := maxOf(rss); m > loadLimits+loadSlack+loadInFlight {
			t.Errorf("resident memory reached %.1f MiB, above the buffer limits (%d MiB) plus %d MiB plus %.1f MiB in flight", float64(m)/(1<<20), loadLimits>>20, loadSlack>>20, float64(loadInFlight)/(1<<20))
		}
	}
	fb.Stop(30 * time.Second)
	log := fb.Log()
	for _, want := range []string{"flushes run on output worker threads", "emit in process into input"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q: the test no longer covers both paths", want)
		}
	}
	// Backpressure on a busy machine, not a fault: Fluent Bit warns when it pauses an input
	// at its Mem_Buf_Limit, and the paused forward input drops the Workers instance's socket
	// connections, which its senders report after 3 s of failed attempts (then deliver).
	checkNoProblems(t, log, "mem buf overlimit", "could not deliver")
}

// The load test's bounds. loadLimits are the buffer limits its config sets: two tail
// inputs and the forward input (Mem_Buf_Limit 16MB each), two spools' Spool_Memory (8MB
// each). loadSlack is what Fluent Bit and the Go runtime take besides them at any rate
// (cpuLimitSlack + cpuLimitGo, and 8 MiB for the Workers instance's senders). loadInFlight
// is what the socket path holds while the receivers are slow to acknowledge (the sinks run
// in this test binary, slower under -race): each sender (Max_Connections 2, two instances)
// one batch read back from its file, and each flush running at once (four workers and the
// engine thread) its buffer, each about a 2 MB chunk rewritten with room to grow
// (loadBatch). Measured at 50 s of a -race run (GODEBUG=gctrace=1, TRACELINK_HEAPPROFILE):
// Go heap 49 MB live, of which batches kept in memory 25 MB (Spool_Memory and free
// buffers), senders' read buffers 16 MB, flush buffers 14 MB; RSS 145-153 MiB, past the
// 136 MiB that limits plus slack alone allow.
const (
	loadLimits   = 3*16<<20 + 2*8<<20
	loadSlack    = 72 << 20
	loadBatch    = 9 << 19 // 4.5 MiB
	loadInFlight = (2*2 + 4 + 1) * loadBatch
)

func maxOf(v []int64) int64 {
	m := v[0]
	for _, x := range v[1:] {
		m = max(m, x)
	}
	return m
}

func mib(v []int64) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.1f", float64(x)/(1<<20))
	}
	return s
}
