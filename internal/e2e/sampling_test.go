package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// Sample_Rate 0.25 in the real host: exactly the records whose trace the consistent rule
// keeps arrive (R = the trace id's low 56 bits >= T = 0xc << 52), and the rest are counted.
func TestSamplingInTheRealHost(t *testing.T) {
	fbtest.Require(t)
	dir := shortDir(t)
	sink := fbtest.NewSink(t, "dd.trace_id", false)
	const n = 4000
	writeApp(t, dir, n, nil)
	conf := pipeline{tracelink: "    Format       datadog\n    Sample_Rate  0.25\n", next: forwardTo(sink.Port())}.write(t, dir)
	fb := fbtest.Start(t, conf, fbtest.Options{})
	const threshold = 0xc << 52
	want := 0
	for seq := range n {
		if fbtest.TraceID(seq)&(1<<56-1) >= threshold {
			want++
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for sink.Check(n).Distinct < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	fb.Stop(20 * time.Second)
	wrong := 0
	for seq := range n {
		keep := fbtest.TraceID(seq)&(1<<56-1) >= threshold
		if got := sink.Seen(seq); (got == 1) != keep || got > 1 {
			wrong++
		}
	}
	t.Logf("%d of %d records kept (%.3f)", want, n, float64(want)/n)
	if wrong != 0 {
		t.Errorf("%d records arrived against the rule (kept when the rule drops them, missing, or twice)", wrong)
	}
	if !fb.WaitLog("sampled_out="+strconv.Itoa(n-want), time.Second) {
		t.Errorf("the exit stats do not count %d records sampled out", n-want)
	}
	checkNoProblems(t, fb.Log())
}
