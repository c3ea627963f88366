package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// In the real host, tracelink puts the records straight into the forward input that
// Unix_Path names when it can, uses the socket where it cannot (Workers, In_Process off),
// and spools for the socket what that input refuses while paused at its Mem_Buf_Limit:
// every line arrives once and linked in each case.
//
// On a host without in-process delivery (support table: before v4.0.14) every case goes
// through the socket, and says so.
func TestInProcessDelivery(t *testing.T) {
	caps := fbtest.Caps(t)
	for _, tc := range []struct {
		name               string
		tracelink, forward string
		want, notWant      string // in the log
	}{
		{name: "engine thread", want: "emit in process into input forward.", notWant: "could not deliver"},
		{name: "Workers", tracelink: "    Workers  1\n", want: "flushes run on output worker threads (Workers)", notWant: "emit forward to"},
		{name: "In_Process off", tracelink: "    In_Process  off\n", want: "emit forward to unix:", notWant: "in process"},
		// 20,000 lines in a few flushes against a 64 KiB limit: the input pauses after
		// the first append and refuses the next ones until it drained.
		{name: "input paused", forward: "    Mem_Buf_Limit  64K\n", want: "spooled for its socket instead"},
	} {
		if !caps.InProcess {
			tc.want, tc.notWant = "emit forward to unix:", "emit in process"
		}
		t.Run(tc.name, func(t *testing.T) {
			dir := shortDir(t)
			sink := fbtest.NewSink(t, "dd.trace_id", false)
			const n = 20000
			writeApp(t, dir, n, nil)
			conf := pipeline{
				tracelink: "    Format  datadog\n" + tc.tracelink,
				forward:   tc.forward,
				next:      forwardTo(sink.Port()),
			}.write(t, dir)
			fb := fbtest.Start(t, conf, fbtest.Options{})
			r := sink.WaitAll(n, 90*time.Second)
			fb.Stop(30 * time.Second)
			log := fb.Log()
			if r.Missing != 0 || r.Duplicates != 0 || r.Unlinked != 0 {
				t.Errorf("at the next hop: %s", r)
			}
			if !strings.Contains(log, tc.want) {
				t.Errorf("the log does not say %q:\n%s", tc.want, log)
			}
			if tc.notWant != "" && strings.Contains(log, tc.notWant) {
				t.Errorf("the log says %q:\n%s", tc.notWant, log)
			}
			allowed := []string{"paused (mem buf overlimit"}
			if !caps.InProcess && tc.forward != "" {
				// Through the socket, a paused input drops the connection without an ack
				// (v3.2: "could not append logs"); tracelink sends the batch again.
				allowed = append(allowed, "could not append logs", "could not deliver")
			}
			checkNoProblems(t, log, allowed...)
		})
	}
}

// In process, records are in the forward input's chunks when the flush returns: with
// filesystem storage on that input they survive a SIGKILL while the next hop is down, and
// arrive after a restart.
func TestInProcessSurvivesKillWithFilesystemStorage(t *testing.T) {
	if caps := fbtest.Caps(t); !caps.InProcess {
		t.Skipf("Fluent Bit %s has no in-process delivery (support table): nothing to check", caps.Version)
	}
	dir := shortDir(t)
	sink := fbtest.NewSink(t, "dd.trace_id", false)
	const n = 2000
	writeApp(t, dir, n, nil)
	port := freePort(t)
	p := pipeline{
		service:   fmt.Sprintf("    storage.path  %s/storage\n    HTTP_Server   On\n    HTTP_Listen   127.0.0.1\n    HTTP_Port     %d\n", dir, port),
		tail:      "    DB            " + dir + "/tail.db\n    storage.type  filesystem\n",
		tracelink: "    Format        datadog\n",
		forward:   "    storage.type  filesystem\n",
		next:      forwardTo(freePort(t)), // nothing listens: the records stay in the input
	}
	conf := p.write(t, dir)
	fb := fbtest.Start(t, conf, fbtest.Options{})
	deadline := time.Now().Add(60 * time.Second)
	for inputRecords(port, "forward") < n {
		if time.Now().After(deadline) || fb.Exited() {
			fb.Kill()
			t.Fatalf("the forward input did not get %d records; log:\n%s", n, fb.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if log := fb.Log(); !strings.Contains(log, "emit in process into input") {
		t.Fatalf("not in process; log:\n%s", log)
	}
	fb.Kill()
	if r := sink.Check(n); r.Distinct != 0 {
		t.Fatalf("records arrived although the next hop was down: %s", r)
	}
	p.next = forwardTo(sink.Port())
	p.write(t, dir)
	fb.Restart()
	r := sink.WaitAll(n, 60*time.Second)
	t.Logf("after the SIGKILL and a restart: %s", r)
	if r.Missing != 0 || r.Unlinked != 0 {
		t.Errorf("records lost across a SIGKILL with filesystem storage on the forward input: %s", r)
	}
	fb.Stop(30 * time.Second)
}

// inputRecords asks Fluent Bit's metrics for the records the inputs whose name starts with
// prefix took in.
func inputRecords(port int, prefix string) int {
	return metricsRecords(port, "input", "records", prefix)
}
