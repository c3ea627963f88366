package parser

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The thresholds of the OpenTelemetry specification's table (precision 4), as 56-bit numbers.
func TestSampleThreshold(t *testing.T) {
	tests := []struct {
		p    float64
		want uint64
	}{
		{1, 0},
		{0.5, 0x8 << 52},
		{0.25, 0xc << 52},
		{1.0 / 3, 0xaaab << 40},
		{0.2, 0xcccd << 40},
		{0.125, 0xe << 52},
		{0.1, 0xe666 << 40},
		{0.0625, 0xf << 52},
		{0.01, 0xfd70a << 36},
		{0.001, 0xffbe77 << 32},
		{0.0001, 0xfff9724 << 28},
		{0.00001, 0xffff583a << 24},
		{0.000001, 0xffffef39 << 24},
		{0, 1 << 56},
	}
	for _, tt := range tests {
		if got := sampleThreshold(tt.p, samplePrecision); got != tt.want {
			t.Errorf("sampleThreshold(%v) = %#x, want %#x", tt.p, got, tt.want)
		}
	}
}

// ddLine is a JSON app line with a 64-bit Datadog trace id (decimal) and a level.
func ddLine(level string, trace uint64) []byte {
	return []byte(fmt.Sprintf(`{"level":%q,"msg":"hi","dd.trace_id":"%d","dd.span_id":"42"}`, level, trace))
}

// T at rate 0.25 is 0xc << 52: low-56-bit randomness at or above it is kept.
const (
	keptLow    = 0x00d0000000000001 // R = 0xd0000000000001 >= T
	droppedLow = 0x00b0000000000001 // R < T
)

func TestSampleRule(t *testing.T) {
	p := newProc(t, "format", "datadog", "sample_rate", "0.25")
	tests := []struct {
		name string
		log  string
		keep bool
	}{
		{"warning, no trace", `{"level":"warn","msg":"disk 91% full"}`, true},
		{"error, trace not kept by id", string(ddLine("error", droppedLow)), true},
		{"info, trace kept by id (64-bit decimal)", string(ddLine("info", keptLow)), true},
		{"info, trace dropped by id (64-bit decimal)", string(ddLine("info", droppedLow)), false},
		{"debug, high bits do not count", string(ddLine("debug", droppedLow|0xff00000000000000)), false},
		{"info, sampled flag set", "GET / traceparent=00-0000000000000000" + fmt.Sprintf("%016x", uint64(droppedLow)) + "-00f067aa0ba902b7-01", true},
		{"info, sampled flag clear", "GET / traceparent=00-0000000000000000" + fmt.Sprintf("%016x", uint64(droppedLow)) + "-00f067aa0ba902b7-00", false},
		{"info, 128-bit id kept by its low 56 bits", "GET / traceparent=00-4bf92f3577b34da6" + fmt.Sprintf("%016x", uint64(keptLow)) + "-00f067aa0ba902b7-00", true},
		{"level from a text line", "2021-06-18 10:07:08,786 ERROR [x] dd.trace_id=" + strconv.FormatUint(droppedLow, 10) + " dd.span_id=7 - boom", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := p.Process(nil, logLine(t, tt.log))
			if res.Dropped == tt.keep {
				t.Errorf("Dropped = %v, want keep %v", res.Dropped, tt.keep)
			}
			if res.Dropped && len(out) != 0 {
				t.Errorf("a dropped record appended %d bytes", len(out))
			}
			if !res.Dropped && len(out) == 0 {
				t.Error("a kept record appended nothing")
			}
		})
	}
}

// The same trace logged in two formats (Datadog's decimal lower half, W3C's 128-bit hex)
// gets the same decision, in every processor.
func TestSampleSameTraceSameDecision(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := newProc(t, "format", "datadog", "sample_rate", "0.3")
	b := newProc(t, "format", "stackdriver", "sample_rate", "0.3")
	for range 2000 {
		hi, lo := r.Uint64(), r.Uint64()
		if lo == 0 {
			continue
		}
		_, ra := a.Process(nil, logLine(t, string(ddLine("info", lo))))
		_, rb := b.Process(nil, logLine(t, fmt.Sprintf("x traceparent=00-%016x%016x-00f067aa0ba902b7-00", hi, lo)))
		if ra.Dropped != rb.Dropped {
			t.Fatalf("trace %016x%016x: datadog dropped=%v, w3c dropped=%v", hi, lo, ra.Dropped, rb.Dropped)
		}
	}
}

// Over thousands of traces at Sample_Rate 0.25: every trace is kept or dropped whole,
// identically in a second processor; about a quarter of them, and of untraced records, are
// kept; no warning-or-above record and no sampled trace loses a record.
func TestSampleWholeTraces(t *testing.T) {
	const traces, perTrace, untraced = 8000, 4, 8000
	run := func() (keptTraces map[uint64]bool, keptUntraced, warnDropped, sampledDropped int) {
		p := newProc(t, "format", "datadog", "sample_rate", "0.25")
		r := rand.New(rand.NewPCG(7, 7))
		keptTraces = map[uint64]bool{}
		for range traces {
			id := r.Uint64() | 1
			sampled := r.IntN(10) == 0
			kept := 0
			for i := range perTrace {
				level := "info"
				if i == perTrace-1 {
					level = "debug"
				}
				line := string(ddLine(level, id))
				if sampled {
					line = fmt.Sprintf("x %s traceparent=00-%032x-00f067aa0ba902b7-01", level, id)
				}
				_, res := p.Process(nil, logLine(t, line))
				if !res.Dropped {
					kept++
				} else if sampled {
					sampledDropped++
				}
			}
			if kept != 0 && kept != perTrace {
				t.Fatalf("trace %x: %d of %d records kept", id, kept, perTrace)
			}
			if !sampled {
				keptTraces[id] = kept == perTrace
			}
			_, res := p.Process(nil, logLine(t, string(ddLine("error", id))))
			if res.Dropped {
				warnDropped++
			}
		}
		for range untraced {
			if _, res := p.Process(nil, logLine(t, `{"level":"info","msg":"no trace"}`)); !res.Dropped {
				keptUntraced++
			}
		}
		return
	}
	k1, u1, w1, s1 := run()
	k2, _, _, _ := run()
	if w1 != 0 || s1 != 0 {
		t.Errorf("%d warning-or-above and %d sampled-trace records dropped, want 0", w1, s1)
	}
	kept := 0
	for id, k := range k1 {
		if k2[id] != k {
			t.Fatalf("trace %x: kept=%v in one run, %v in the other", id, k, k2[id])
		}
		if k {
			kept++
		}
	}
	if share := float64(kept) / float64(len(k1)); share < 0.22 || share > 0.28 {
		t.Errorf("%.3f of unsampled traces kept, want about 0.25", share)
	}
	if share := float64(u1) / untraced; share < 0.22 || share > 0.28 {
		t.Errorf("%.3f of untraced records kept, want about 0.25", share)
	}
}

func TestSampleOffKeepsEverything(t *testing.T) {
	for _, props := range [][]string{nil, {"sample_rate", "1"}, {"sample_keep_level", "error"}} {
		p := newProc(t, props...)
		for _, line := range []string{`{"level":"debug","msg":"x"}`, string(ddLine("trace", droppedLow)), "plain text"} {
			if _, res := p.Process(nil, logLine(t, line)); res.Dropped {
				t.Errorf("props %v: %q dropped", props, line)
			}
		}
	}
	p := newProc(t, "sample_rate", "0")
	if _, res := p.Process(nil, logLine(t, string(ddLine("info", keptLow)))); !res.Dropped {
		t.Error("Sample_Rate 0 kept an info record")
	}
	if _, res := p.Process(nil, logLine(t, string(ddLine("warning", keptLow)))); res.Dropped {
		t.Error("Sample_Rate 0 dropped a warning")
	}
}

func TestSampleConfigErrors(t *testing.T) {
	for _, tt := range []struct{ prop, value, want string }{
		{"Sample_Rate", "1.5", "0 to 1"},
		{"Sample_Rate", "-0.1", "0 to 1"},
		{"Sample_Rate", "half", "0 to 1"},
		{"Sample_Rate", "NaN", "0 to 1"},
		{"Sample_Keep_Level", "loud", "warning"},
	} {
		_, err := New(map[string]string{"format": "datadog", tt.prop: tt.value})
		if err == nil || !strings.Contains(err.Error(), tt.prop) || !strings.Contains(err.Error(), tt.value) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%q: error %v", tt.prop, tt.value, err)
		}
	}
}
