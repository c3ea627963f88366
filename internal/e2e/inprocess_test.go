package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// In the real host, tracelink puts the records straight into the forward input that
// Unix_Path names when it can, uses the socket where it cannot (Workers, In_Process off),
// and spools for the socket what that input refuses while paused at its Mem_Buf_Limit:
// every line arrives once and linked in each case.
func TestInProcessDelivery(t *testing.T) {
	fbtest.Require(t)
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
			checkNoProblems(t, log, "paused (mem buf overlimit")
		})
	}
}
