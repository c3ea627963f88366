package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// A forward input with threaded on takes appended records through a ring buffer that only
// its own thread may write: with tracelink's default settings (In_Process on) every line
// still arrives once and linked, through the socket, and the start line says why.
// TRACELINK_THREADED_RUNS repeats it (the default, 1, keeps CI short).
func TestThreadedForwardInput(t *testing.T) {
	fbtest.Require(t)
	runs := 1
	if v, err := strconv.Atoi(os.Getenv("TRACELINK_THREADED_RUNS")); err == nil && v > 0 {
		runs = v
	}
	const n = 100000
	for run := range runs {
		t.Run(fmt.Sprintf("run %d", run+1), func(t *testing.T) {
			dir := shortDir(t)
			sink := fbtest.NewSink(t, "dd.trace_id", false)
			writeApp(t, dir, n, nil)
			conf := pipeline{
				tracelink: "    Format  datadog\n",
				forward:   "    Threaded  on\n",
				next:      forwardTo(sink.Port()),
			}.write(t, dir)
			fb := fbtest.Start(t, conf, fbtest.Options{})
			r := sink.WaitAll(n, 120*time.Second)
			fb.Stop(30 * time.Second)
			log := fb.Log()
			if r.Missing != 0 || r.Duplicates != 0 || r.Unlinked != 0 {
				t.Errorf("at the next hop: %s", r)
			}
			if st := fb.ExitStatus(); st != "exit 0" {
				t.Errorf("Fluent Bit ended with %s; log:\n%s", st, log)
			}
			want := "has threaded on" // in-process hosts say why they use the socket
			if caps := fbtest.Caps(t); !caps.InProcess {
				want = "emit forward to unix:"
			}
			if !strings.Contains(log, want) {
				t.Errorf("the log does not say %q:\n%s", want, log)
			}
			if strings.Contains(log, "emit in process") {
				t.Errorf("tracelink appends in process to a threaded input:\n%s", log)
			}
			checkNoProblems(t, log)
		})
	}
}

// Workers on a Go output crash Fluent Bit at the second hot reload: with hot_reload on
// (in the config, or -Y on the command line) tracelink refuses to start, naming the
// property and the fix; without hot reload, Workers starts.
func TestWorkersWithHotReloadRefused(t *testing.T) {
	fbtest.Require(t)
	for _, tc := range []struct {
		name, service string
		args          []string
		refused       bool
	}{
		{name: "hot_reload in the config", service: "    Hot_Reload  On\n", refused: true},
		{name: "-Y on the command line", args: []string{"-Y"}, refused: true},
		{name: "no hot reload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := shortDir(t)
			writeApp(t, dir, 10, nil)
			conf := pipeline{
				service:   tc.service,
				tracelink: "    Format   datadog\n    Workers  2\n",
				next:      "[OUTPUT]\n    Name   null\n    Match  traced.*\n",
			}.write(t, dir)
			if !tc.refused {
				fb := fbtest.Start(t, conf, fbtest.Options{Args: tc.args})
				fb.Stop(30 * time.Second)
				return
			}
			fb := fbtest.Start(t, conf, fbtest.Options{Args: tc.args, NoWait: true})
			if !fb.Wait(20 * time.Second) {
				t.Fatalf("Fluent Bit kept running with Workers and hot reload; log:\n%s", fb.Log())
			}
			log := fb.Log()
			for _, want := range []string{"[error]", "Workers on a tracelink output with hot reload on", "fluent-bit.conf:"} {
				if !strings.Contains(log, want) {
					t.Errorf("the log does not say %q:\n%s", want, log)
				}
			}
			if st := fb.ExitStatus(); strings.HasPrefix(st, "signal") {
				t.Errorf("Fluent Bit ended with %s", st)
			}
		})
	}
}
