package output

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tracelink/tracelink/parser"
)

// Stats is a snapshot of an instance's counters since it started. Records are counted
// once their chunk was taken (spooled, or written for Emit stdout), so a retried chunk
// counts once; Acked counts events as the forward input acknowledges them.
type Stats struct {
	// Records is the number of log records delivered (group markers excluded).
	Records uint64
	// Linked counts the delivered records linked to a trace, per source.
	Linked [parser.NumSources]uint64
	// Invalid counts delivered records holding an id-like value that was rejected.
	Invalid uint64
	// Unchanged counts delivered records passed on byte for byte.
	Unchanged uint64
	// Chunks counts flushes that completed with FLB_OK.
	Chunks uint64
	// Retries counts flushes answered with FLB_RETRY (spool full or not writable).
	Retries uint64
	// Acked counts the events the forward input acknowledged (from the spool).
	Acked uint64
	// SendRetries counts failed attempts at delivering a spooled batch (each retried).
	SendRetries uint64
	// Refused counts chunks the forward input refused in process (paused at its buffer
	// limit), spooled for its socket instead.
	Refused uint64
	// LoopDrops counts flushes refused by the loop guard (tag already prefixed).
	LoopDrops uint64
	// SampledOut counts records Sample_Rate dropped.
	SampledOut uint64
	// Malformed counts chunks the walker rejected, passed on unchanged.
	Malformed uint64
	// Panics counts chunks whose processing panicked, passed on unchanged.
	Panics uint64
}

// LinkedTotal is the number of linked records over all sources.
func (s Stats) LinkedTotal() uint64 {
	var n uint64
	for _, v := range s.Linked {
		n += v
	}
	return n
}

// String is the one-line summary logged every Stats_Interval and at exit.
func (s Stats) String() string {
	b := make([]byte, 0, 256)
	b = append(b, "records="...)
	b = strconv.AppendUint(b, s.Records, 10)
	b = append(b, " linked="...)
	b = strconv.AppendUint(b, s.LinkedTotal(), 10)
	open := false
	for src, n := range s.Linked {
		if n == 0 || parser.Source(src) == parser.SourceNone {
			continue
		}
		if open {
			b = append(b, ' ')
		} else {
			b = append(b, " ("...)
			open = true
		}
		b = append(b, parser.Source(src).String()...)
		b = append(b, '=')
		b = strconv.AppendUint(b, n, 10)
	}
	if open {
		b = append(b, ')')
	}
	for _, kv := range []struct {
		k string
		v uint64
	}{
		{"invalid", s.Invalid}, {"unchanged", s.Unchanged}, {"chunks", s.Chunks}, {"retries", s.Retries},
		{"acked_events", s.Acked}, {"send_retries", s.SendRetries}, {"refused", s.Refused},
		{"loop_drops", s.LoopDrops}, {"sampled_out", s.SampledOut}, {"malformed_chunks", s.Malformed}, {"panics", s.Panics},
	} {
		b = append(b, ' ')
		b = append(b, kv.k...)
		b = append(b, '=')
		b = strconv.AppendUint(b, kv.v, 10)
	}
	return string(b)
}

// counters are an instance's live counters; only atomics, shared by concurrent flushes.
type counters struct {
	records, invalid, unchanged atomic.Uint64
	chunks, retries, loopDrops  atomic.Uint64
	acked, sendRetries, refused atomic.Uint64
	sampledOut                  atomic.Uint64
	malformed, panics           atomic.Uint64
	linked                      [parser.NumSources]atomic.Uint64
}

// flushCounts are one flush's counts, added to the counters once the chunk is taken.
type flushCounts struct {
	records, invalid, unchanged uint64
	sampledOut                  uint64
	linked                      [parser.NumSources]uint64
	malformed, panicked         bool
}

// add adds d's counts.
func (c *counters) add(d Stats) {
	for _, f := range [...]struct {
		c *atomic.Uint64
		v uint64
	}{
		{&c.records, d.Records}, {&c.invalid, d.Invalid}, {&c.unchanged, d.Unchanged},
		{&c.chunks, d.Chunks}, {&c.retries, d.Retries}, {&c.loopDrops, d.LoopDrops},
		{&c.acked, d.Acked}, {&c.sendRetries, d.SendRetries}, {&c.refused, d.Refused}, {&c.sampledOut, d.SampledOut},
		{&c.malformed, d.Malformed}, {&c.panics, d.Panics},
	} {
		if f.v != 0 {
			f.c.Add(f.v)
		}
	}
	for i, n := range d.Linked {
		if n != 0 {
			c.linked[i].Add(n)
		}
	}
}

func (c *counters) snapshot() Stats {
	s := Stats{
		Records: c.records.Load(), Invalid: c.invalid.Load(), Unchanged: c.unchanged.Load(),
		Chunks: c.chunks.Load(), Retries: c.retries.Load(), LoopDrops: c.loopDrops.Load(),
		Malformed: c.malformed.Load(), Panics: c.panics.Load(),
		Acked: c.acked.Load(), SendRetries: c.sendRetries.Load(), Refused: c.refused.Load(), SampledOut: c.sampledOut.Load(),
	}
	for i := range c.linked {
		s.Linked[i] = c.linked[i].Load()
	}
	return s
}

// delta is what one taken flush adds to the counters, as Stats.
func (f *flushCounts) delta() Stats {
	d := Stats{Records: f.records, Invalid: f.invalid, Unchanged: f.unchanged, SampledOut: f.sampledOut, Chunks: 1, Linked: f.linked}
	if f.malformed {
		d.Malformed = 1
	}
	if f.panicked {
		d.Panics = 1
	}
	return d
}

// statsLoop logs the summary every interval until Close.
func (in *Instance) statsLoop(interval time.Duration) {
	defer close(in.statsDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			in.log.Logf(LevelInfo, "stats: %s", in.Stats())
		case <-in.stopStats:
			return
		}
	}
}
