package e2e

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// The smallest configuration a user writes from the README (Name, Match, Format; no
// Workers) with a forward input on its defaults (not threaded): the flush then runs on
// the engine thread that also serves the forward input. Every line must arrive once,
// linked, without a retry or a stall.
func TestMinimalConfigNoWorkers(t *testing.T) {
	fbtest.Require(t)
	dir := t.TempDir()
	sink := fbtest.NewSink(t, "dd.trace_id", false)
	const n = 20000
	w := &fbtest.Writer{Path: filepath.Join(dir, "app.log"), Rate: 1e6, N: n}
	w.Start()
	if err := w.Wait(); err != nil {
		t.Fatal(err)
	}
	conf := writeFile(t, filepath.Join(dir, "fluent-bit.conf"), expand(`
[SERVICE]
    Flush      1
    Log_Level  info

[INPUT]
    Name            tail
    Path            {dir}/app.log
    Read_from_Head  On
    Tag             app

[OUTPUT]
    Name    tracelink
    Match   app
    Format  datadog

[INPUT]
    Name  forward

[OUTPUT]
    Name                  forward
    Match                 traced.*
    Host                  127.0.0.1
    Port                  {sink}
    Require_ack_response  true
`, map[string]string{"dir": dir, "sink": strconv.Itoa(sink.Port())}))
	// TMPDIR keeps the default spool (under the temporary directory) apart from other runs.
	fb := fbtest.Start(t, conf, fbtest.Options{Env: []string{"TMPDIR=" + dir}})
	r := sink.WaitAll(n, 60*time.Second)
	if r.Missing != 0 || r.Duplicates != 0 || r.Unlinked != 0 || r.Extra != 0 {
		t.Errorf("at the next hop: %s", r)
	}
	fb.Stop(20 * time.Second)
	checkNoProblems(t, fb.Log())
}
