package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// SIGTERM and a restart while the application keeps logging, with the shipped config
// (memory buffering): no line may be lost. Duplicates are allowed and reported.
func TestRestartMidStreamLosesNothing(t *testing.T) {
	s := newShipped(t, "fluent-bit.conf", repoFile(t, "fluent-bit.conf"), nil)
	fb := s.start(t)
	const n, rate = 6000, 400
	w := s.writer(n, rate)
	w.Start()
	time.Sleep(5 * time.Second)
	stopped := time.Now()
	fb.Stop(30 * time.Second)
	t.Logf("stopped in %v at line %d of %d", time.Since(stopped).Round(time.Millisecond), w.Written(), n)
	checkNoProblems(t, fb.Log(), standInNotices...)
	fb.Restart()
	if err := w.Wait(); err != nil {
		t.Fatal(err)
	}
	r := s.gcp.Counter.WaitAll(n, 60*time.Second)
	t.Logf("at Cloud Logging: %s", r)
	if r.Missing != 0 || r.Unlinked != 0 {
		t.Errorf("lines lost or unlinked across the restart: %s", r)
	}
	fb.Stop(30 * time.Second)
	checkNoProblems(t, fb.Log(), standInNotices...)
}

// Three hot reloads in a row (hot_reload on) while the application keeps logging, asked for
// by SIGHUP and by POST /api/v2/reload: each finishes within 5 s, no line is lost, and
// Fluent Bit exits 0 at the end (v5.0.3-v5.1.0 aborted here while tracelink wrote a config
// map their proxy definition does not have).
func TestHotReloadMidStream(t *testing.T) {
	for _, how := range []string{"SIGHUP", "HTTP"} {
		t.Run(how, func(t *testing.T) {
			s := newShipped(t, "fluent-bit.conf", repoFile(t, "fluent-bit.conf"), [][2]string{{"Hot_Reload", "On"}})
			fb := s.start(t)
			const n, rate = 6000, 400
			w := s.writer(n, rate)
			w.Start()
			for round := range 3 {
				time.Sleep(3 * time.Second)
				done := fb.ReloadDone()
				start := time.Now()
				if how == "SIGHUP" {
					fb.Signal(syscall.SIGHUP)
				} else {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					err := fbtest.ReloadHTTP(ctx, s.httpPort)
					cancel()
					if err != nil {
						t.Fatalf("reload %d: %v", round, err)
					}
				}
				deadline := time.Now().Add(5 * time.Second)
				for fb.ReloadDone() == done && time.Now().Before(deadline) && !fb.Exited() {
					time.Sleep(20 * time.Millisecond)
				}
				took := time.Since(start)
				if fb.ReloadDone() == done {
					t.Fatalf("reload %d did not finish within 5s (line %d of %d written); log:\n%s", round, w.Written(), n, fb.Log())
				}
				t.Logf("reload %d finished in %v", round, took.Round(time.Millisecond))
			}
			if err := w.Wait(); err != nil {
				t.Fatal(err)
			}
			r := s.gcp.Counter.WaitAll(n, 60*time.Second)
			t.Logf("at Cloud Logging: %s", r)
			if r.Missing != 0 || r.Unlinked != 0 {
				t.Errorf("lines lost or unlinked across the reloads: %s\nlog:\n%s", r, fb.Log())
			}
			fb.Stop(30 * time.Second)
			if st := fb.ExitStatus(); st != "exit 0" {
				t.Errorf("Fluent Bit ended with %s after the reloads; log:\n%s", st, fb.Log())
			}
			checkNoProblems(t, fb.Log(), standInNotices...)
		})
	}
}

// The next hop (a forward receiver) is killed and comes back while the application keeps
// logging: nothing is lost.
func TestReceiverOutageLosesNothing(t *testing.T) {
	fbtest.Require(t)
	dir := shortDir(t)
	sink := fbtest.NewSink(t, "dd.trace_id", false)
	log := filepath.Join(dir, "app.log")
	writeFile(t, log, "")
	conf := pipeline{tracelink: "    Format  datadog\n", next: forwardTo(sink.Port())}.write(t, dir)
	fb := fbtest.Start(t, conf, fbtest.Options{})
	const n, rate = 3000, 300
	w := &fbtest.Writer{Path: log, Rate: rate, N: n}
	w.Start()
	time.Sleep(3 * time.Second)
	sink.Restart(t, 4*time.Second)
	if err := w.Wait(); err != nil {
		t.Fatal(err)
	}
	r := sink.WaitAll(n, 60*time.Second)
	t.Logf("at the receiver: %s", r)
	if r.Missing != 0 || r.Unlinked != 0 {
		t.Errorf("lines lost or unlinked across the receiver's outage: %s", r)
	}
	fb.Stop(30 * time.Second)
}

// With Spool_Memory 0 (and Fluent Bit's filesystem storage on the inputs), even a SIGKILL
// loses nothing: every batch is on disk before its flush returns. The forward input is
// first missing, so that the batches are still spooled when the process is killed.
func TestKillWithFileSpool(t *testing.T) {
	fbtest.Require(t)
	dir := shortDir(t)
	sink := fbtest.NewSink(t, "dd.trace_id", false)
	const n = 2000
	writeApp(t, dir, n, nil)
	p := pipeline{
		service:   "    storage.path  " + dir + "/storage\n",
		tail:      "    DB            " + dir + "/tail.db\n    storage.type  filesystem\n",
		tracelink: "    Format        datadog\n    Spool_Memory  0\n    Ack_Timeout   1s\n",
		next:      forwardTo(sink.Port()),
	}
	conf := p.write(t, dir)
	good := readFileString(conf)
	// First run: the forward input listens elsewhere, so nothing is acknowledged.
	writeFile(t, conf, strings.Replace(good, "    Name       forward\n    Unix_Path  "+dir+"/fw.sock", "    Name       forward\n    Unix_Path  "+dir+"/elsewhere.sock", 1))
	fb := fbtest.Start(t, conf, fbtest.Options{})
	if !fb.WaitLog("could not deliver", 20*time.Second) {
		t.Fatalf("no failed send while the forward input is elsewhere; log:\n%s", fb.Log())
	}
	fb.Kill()
	if r := sink.Check(n); r.Distinct != 0 {
		t.Fatalf("records arrived although nothing listened where tracelink sends: %s", r)
	}
	writeFile(t, conf, good)
	fb.Restart()
	r := sink.WaitAll(n, 60*time.Second)
	t.Logf("after the SIGKILL and a restart: %s", r)
	if r.Missing != 0 {
		t.Errorf("lines lost across a SIGKILL with Spool_Memory 0: %s", r)
	}
	fb.Stop(30 * time.Second)
}
