package parser

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Trace-consistent sampling (Sample_Rate, Sample_Keep_Level). A record is kept when:
//
//  1. its level is at or above Sample_Keep_Level; else
//  2. it is linked and its trace's sampled flag is set (the trace is in the APM backend);
//     else
//  3. it is linked: kept when the trace id's low 56 bits, read as a number R, are at least
//     the threshold T = (1 - Sample_Rate) * 2^56 rounded to four significant hex digits,
//     which is OpenTelemetry's consistent probability sampling (the TraceIdRatioBased
//     sampler and the Collector's probabilistic sampler at their default precision). The
//     decision depends on the trace id alone: every record of a trace, in every instance
//     and every run, gets the same one; else
//  4. it has no trace: kept with probability Sample_Rate.
type sampler struct {
	on        bool // Sample_Rate < 1
	rate      float64
	threshold uint64 // T, a 56-bit number
	untraced  uint64 // an untraced record is kept when a uniform 64-bit number is below this
	keepLevel level
}

// samplePrecision is the number of significant hex digits of the threshold, as in
// OpenTelemetry's SDKs and the Collector's probabilistic sampler by default.
const samplePrecision = 4

const randomnessMask = 1<<56 - 1

// sampleThreshold converts a keep probability (0, 1] into the rejection threshold T of
// OpenTelemetry's consistent probability sampling, rounded to precision significant hex
// digits the way the specification's reference algorithm does: precision grows by one per
// leading f digit of small probabilities, and the digits are those of 2 - p plus half of
// the last digit kept.
func sampleThreshold(p float64, precision int) uint64 {
	if p >= 1 {
		return 0
	}
	if p <= 0 {
		return 1 << 56 // above every 56-bit R: nothing traced is kept
	}
	_, exp := math.Frexp(p)
	prec := max(1, min(12, precision+floorDiv(exp, -4)))
	r := 2 - p + math.Ldexp(0.5, -4*prec)
	if r >= 2 {
		return (1<<(4*prec) - 1) << (56 - 4*prec)
	}
	digits := uint64(math.Floor(math.Ldexp(r-1, 4*prec))) // the first prec hex digits of r's fraction
	return digits << (56 - 4*prec)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// keepTrace reports whether a trace id's consistent decision keeps it.
func (s *sampler) keepTrace(id traceID) bool { return id.lo&randomnessMask >= s.threshold }

// keep decides for one record: lv its level, ctx its trace context when linked; rng is the
// caller's random state (one per Scratch, so no lock and no shared state).
func (s *sampler) keep(lv level, linked bool, ctx *spanCtx, rng *uint64) bool {
	if lv != lvNone && lv >= s.keepLevel {
		return true
	}
	if linked {
		return ctx.sampled == triTrue || s.keepTrace(ctx.trace)
	}
	return nextRandom(rng) < s.untraced
}

// nextRandom steps a SplitMix64 generator, seeding it from the runtime's source first.
func nextRandom(state *uint64) uint64 {
	if *state == 0 {
		*state = rand.Uint64() | 1
	}
	*state += 0x9e3779b97f4a7c15
	return mix64(*state)
}

// mix64 is SplitMix64's output function.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// sampleKeepLevels are the values Sample_Keep_Level accepts.
var sampleKeepLevels = map[string]level{
	"trace": lvTrace, "debug": lvDebug, "info": lvInfo, "notice": lvNotice, "warning": lvWarning, "warn": lvWarning,
	"error": lvError, "critical": lvCritical, "alert": lvAlert, "emergency": lvEmergency,
}

const sampleKeepLevelAccepted = "trace, debug, info, notice, warning, error, critical, alert, emergency"

// newSampler validates Sample_Rate and Sample_Keep_Level.
func newSampler(rate, keepLevel string) (sampler, error) {
	s := sampler{rate: 1, keepLevel: lvWarning}
	if v := strings.TrimSpace(rate); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
			return s, &PropertyError{Property: "Sample_Rate", Value: rate, Accepted: "a number from 0 to 1"}
		}
		s.rate = f
	}
	if v := strings.ToLower(strings.TrimSpace(keepLevel)); v != "" {
		lv, ok := sampleKeepLevels[v]
		if !ok {
			return s, &PropertyError{Property: "Sample_Keep_Level", Value: keepLevel, Accepted: sampleKeepLevelAccepted}
		}
		s.keepLevel = lv
	}
	s.on = s.rate < 1
	s.threshold = sampleThreshold(s.rate, samplePrecision)
	if s.on {
		s.untraced = uint64(math.Ldexp(s.rate, 64)) // rate < 1: below 2^64
	}
	return s, nil
}
