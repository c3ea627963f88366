package parser

import (
	"bytes"
	"math/bits"
)

// idStatus is the outcome of reading one id value.
type idStatus uint8

const (
	idAbsent  idStatus = iota // no value, or the "no trace" value (0, all zeros)
	idOK                      // a valid id
	idInvalid                 // a value that is not a valid id: it must not link
)

// readTrace reads a trace id from v under radix r.
func readTrace(v *value, r radix) (traceID, idStatus) {
	switch v.kind {
	case vkNone:
		return traceID{}, idAbsent
	case vkString:
		s := bytes.TrimSpace(v.s)
		if allZeros(s) {
			return traceID{}, idAbsent // "0" and all-zero ids mean "no trace"
		}
		t, ok := parseTraceString(s, r)
		if !ok {
			return traceID{}, idInvalid
		}
		if t.isZero() {
			return t, idAbsent
		}
		return t, idOK
	case vkUint, vkNumber, vkFloat:
		if r == radixHex {
			return traceID{}, idInvalid
		}
		u, st := readNumber(v)
		if st == idOK && r == radixAuto && u < autoDecimalMin {
			return traceID{}, idInvalid
		}
		return traceID{lo: u}, st
	}
	return traceID{}, idInvalid
}

// readSpan reads a span id from v under radix r.
func readSpan(v *value, r radix) (uint64, idStatus) {
	switch v.kind {
	case vkNone:
		return 0, idAbsent
	case vkString:
		s := bytes.TrimSpace(v.s)
		if allZeros(s) {
			return 0, idAbsent
		}
		u, ok := parseSpanString(s, r)
		if !ok {
			return 0, idInvalid
		}
		if u == 0 {
			return 0, idAbsent
		}
		return u, idOK
	case vkUint, vkNumber, vkFloat:
		if r == radixHex {
			return 0, idInvalid
		}
		u, st := readNumber(v)
		if st == idOK && r == radixAuto && u < autoDecimalMin {
			return 0, idInvalid
		}
		return u, st
	}
	return 0, idInvalid
}

// allZeros reports whether s is empty or only '0' characters.
func allZeros(s []byte) bool {
	for _, c := range s {
		if c != '0' {
			return false
		}
	}
	return true
}

// autoDecimalMin is the smallest number of minAutoDecimalDigits digits.
const autoDecimalMin = 1_000_000_000

// readNumber reads an id written as a number. Numbers above 2^53 that are exactly a float64
// went through a double somewhere and lost their low digits: they are refused.
func readNumber(v *value) (uint64, idStatus) {
	var u uint64
	switch v.kind {
	case vkUint:
		u = v.u
	case vkNumber:
		t, ok := parseDec128(v.s)
		if !ok || t.hi != 0 {
			return 0, idInvalid // fraction, exponent, sign or beyond 64 bits: a float's rendering
		}
		u = t.lo
	case vkFloat:
		if v.float() < 0 || v.float() >= 1<<53 || v.float() != float64(uint64(v.float())) {
			return 0, idInvalid
		}
		u = uint64(v.float())
	}
	if u == 0 {
		return 0, idAbsent
	}
	if floatDamaged(u) {
		return 0, idInvalid
	}
	return u, idOK
}

// readSampled reads a sampled flag of any type.
func readSampled(v *value) tri {
	switch v.kind {
	case vkBool:
		return triOf(v.b)
	case vkString, vkNumber:
		return parseSampled(v.s)
	case vkUint:
		return triOf(v.u&1 == 1)
	}
	return triUnknown
}

// candidate is one source's reading of the record.
type candidate struct {
	ctx     spanCtx
	source  Source
	project []byte // the project of an existing Google resource name
	status  idStatus
	spanBad bool // the trace is fine but the span value was invalid
}

// ids reads a (trace, span, sampled) triple.
func ids(src Source, tv *value, tr radix, sv *value, sr radix) candidate {
	c := candidate{source: src}
	c.ctx.trace, c.status = readTrace(tv, tr)
	if c.status != idOK {
		return c
	}
	var st idStatus
	c.ctx.span, st = readSpan(sv, sr)
	c.spanBad = st == idInvalid
	return c
}

// candidates returns every source's reading, in priority order: explicit keys, existing
// Google keys, log-injection fields (Datadog, OpenTelemetry, ECS), then propagation headers.
func (sc *scan) candidate(i int) (candidate, bool) {
	v := &sc.vals
	switch i {
	case 0:
		if !sc.keyTrace.set() {
			return candidate{}, false
		}
		c := ids(SourceKeys, &sc.keyTrace, radixAuto, &sc.keySpan, radixAuto)
		c.ctx.sampled = readSampled(&sc.keySampled)
		return c, true
	case 1:
		return sc.outputCandidate()
	case 2:
		if !v[fGoogleTrace].set() {
			return candidate{}, false
		}
		c := candidate{source: SourceGoogle}
		if v[fGoogleTrace].kind != vkString {
			c.status = idInvalid
			return c, true
		}
		t, project, ok := parseGoogleTrace(v[fGoogleTrace].s)
		if !ok {
			c.status = idInvalid
			if len(bytes.TrimSpace(v[fGoogleTrace].s)) == 0 {
				c.status = idAbsent
			}
			return c, true
		}
		c.ctx.trace, c.project, c.status = t, project, idOK
		var st idStatus
		c.ctx.span, st = readSpan(&v[fGoogleSpan], radixHex)
		c.spanBad = st == idInvalid
		c.ctx.sampled = readSampled(&v[fGoogleSampled])
		return c, true
	case 3:
		if !v[fDDTrace].set() {
			return candidate{}, false
		}
		c := ids(SourceDatadog, &v[fDDTrace], radixDatadog, &v[fDDSpan], radixDecimal)
		if c.status == idOK && c.ctx.trace.hi == 0 && v[fDDTid].kind == vkString {
			if hi, ok := parseHex64(bytes.TrimSpace(v[fDDTid].s)); ok && len(bytes.TrimSpace(v[fDDTid].s)) == 16 {
				c.ctx.trace.hi = hi
			}
		}
		return c, true
	case 4:
		if !v[fOTelTrace].set() {
			return candidate{}, false
		}
		c := ids(SourceOTel, &v[fOTelTrace], radixAuto, &v[fOTelSpan], radixAuto)
		if v[fOTelFlags].set() {
			c.ctx.sampled = readSampled(&v[fOTelFlags])
		} else {
			c.ctx.sampled = readSampled(&v[fOTelSampled])
		}
		return c, true
	case 5:
		if !v[fECSTrace].set() {
			return candidate{}, false
		}
		sv := v[fECSSpan]
		if !sv.set() {
			sv = v[fECSTransaction]
		}
		return ids(SourceECS, &v[fECSTrace], radixHex, &sv, radixHex), true
	case 6:
		return headerCandidate(SourceTraceparent, &v[fTraceparent], parseTraceparent)
	case 7:
		return headerCandidate(SourceB3, &v[fB3], parseB3Single)
	case 8:
		if !v[fB3Trace].set() {
			return candidate{}, false
		}
		c := ids(SourceB3, &v[fB3Trace], radixHex, &v[fB3Span], radixHex)
		c.ctx.sampled = readSampled(&v[fB3Sampled])
		if readSampled(&v[fB3Flags]) == triTrue {
			c.ctx.sampled = triTrue
		}
		return c, true
	case 9:
		return headerCandidate(SourceXRay, &v[fXRay], parseXRay)
	case 10:
		return headerCandidate(SourceJaeger, &v[fJaeger], parseJaeger)
	case 11:
		return headerCandidate(SourceCloudTrace, &v[fCloudTrace], parseCloudTrace)
	case 12:
		if !v[fDDHdrTrace].set() {
			return candidate{}, false
		}
		c := ids(SourceDatadog, &v[fDDHdrTrace], radixDecimal, &v[fDDHdrParent], radixDecimal)
		if c.status == idOK && v[fDDHdrTags].kind == vkString {
			if hi, ok := ddTagsTid(v[fDDHdrTags].s); ok {
				c.ctx.trace.hi = hi
			}
		}
		if v[fDDHdrPriority].set() {
			switch p := v[fDDHdrPriority]; p.kind {
			case vkString, vkNumber:
				s := bytes.TrimSpace(p.s)
				c.ctx.sampled = triOf(len(s) > 0 && s[0] != '-' && s[0] != '0')
			case vkUint:
				c.ctx.sampled = triOf(p.u > 0)
			case vkNeg:
				c.ctx.sampled = triFalse
			}
		}
		return c, true
	}
	if i == 13 {
		return sc.resourceCandidate()
	}
	return candidate{}, false
}

// resourceCandidate reads a trace resource name found under a key of another name.
func (sc *scan) resourceCandidate() (candidate, bool) {
	c := candidate{source: SourceGoogle, status: idInvalid}
	if t, project, ok := parseGoogleTrace(sc.vals[fGoogleTraceValue].s); ok {
		c.ctx.trace, c.project, c.status = t, project, idOK
	}
	return c, true
}

const numCandidates = 14

// candidateTrigger is the field whose presence makes candidate i worth reading.
var candidateTrigger = [numCandidates]field{fNone, fNone, fGoogleTrace, fDDTrace, fOTelTrace, fECSTrace, fTraceparent, fB3, fB3Trace, fXRay, fJaeger, fCloudTrace, fDDHdrTrace, fGoogleTraceValue}

// triggerMask has the bits of every candidate's trigger field.
var triggerMask = func() (m uint64) {
	for _, f := range candidateTrigger {
		if f != fNone {
			m |= 1 << f
		}
	}
	return m
}()

func headerCandidate(src Source, v *value, parse func([]byte) (spanCtx, bool)) (candidate, bool) {
	if !v.set() {
		return candidate{}, false
	}
	c := candidate{source: src, status: idInvalid}
	if v.kind != vkString {
		return c, true
	}
	if ctx, ok := parse(v.s); ok {
		c.ctx, c.status = ctx, idOK
	}
	return c, true
}

// resolve picks the winning candidate and completes its span and sampled flag from other
// sources that name the same trace. invalid reports whether any id value was refused.
func (sc *scan) resolve() (win candidate, invalid bool) {
	var present uint16 // bit i: candidate i has something to read
	if sc.keyTrace.set() {
		present |= 1
	}
	if sc.outVals[outTrace].set() {
		present |= 2
	}
	if m := sc.set & triggerMask; m != 0 {
		for i := 2; i < numCandidates; i++ {
			if m&(1<<candidateTrigger[i]) != 0 {
				present |= 1 << i
			}
		}
	}
	if present == 0 {
		return candidate{}, false
	}
	found := -1
	for p := present; p != 0; p &= p - 1 {
		i := bits.TrailingZeros16(p)
		c, ok := sc.candidate(i)
		if !ok {
			continue
		}
		if c.spanBad {
			// A malformed span next to a good trace means the pair cannot be trusted: no link.
			c.status = idInvalid
		}
		if c.status == idInvalid {
			invalid = true
		}
		if found < 0 && c.status == idOK {
			win, found = c, i
		}
	}
	if found < 0 {
		return candidate{}, invalid
	}
	others := present &^ (1 << found)
	complete := win.ctx.span != 0 && win.ctx.sampled != triUnknown &&
		!(win.source == SourceDatadog && win.ctx.trace.hi == 0)
	if found == 1 || others == 0 || complete {
		// A record already rewritten keeps exactly what its output keys say.
		return win, invalid
	}
	for p := others; p != 0; p &= p - 1 {
		c, ok := sc.candidate(bits.TrailingZeros16(p))
		if !ok || c.status != idOK {
			continue
		}
		if c.ctx.trace != win.ctx.trace {
			// A 64-bit Datadog id is the lower half of a 128-bit one: another source with the
			// same lower half names the same trace and supplies the upper half.
			if win.source != SourceDatadog || win.ctx.trace.hi != 0 || c.ctx.trace.lo != win.ctx.trace.lo {
				continue
			}
			win.ctx.trace.hi = c.ctx.trace.hi
		}
		if win.ctx.span == 0 && c.ctx.span != 0 {
			win.ctx.span = c.ctx.span
		}
		if win.ctx.sampled == triUnknown {
			win.ctx.sampled = c.ctx.sampled
		}
	}
	return win, invalid
}

// outputCandidate reads the record's own output keys: the trace context of a record that
// tracelink (or the application, in the target's own format) already wrote.
func (sc *scan) outputCandidate() (candidate, bool) {
	tv := sc.outVals[outTrace]
	if !tv.set() {
		return candidate{}, false
	}
	c := candidate{source: sc.cfg.format.source()}
	sv, sampled := sc.outVals[outSpan], sc.outVals[outSampled]
	switch sc.cfg.format {
	case FormatStackdriver:
		c.status = idInvalid
		if tv.kind == vkString {
			if t, project, ok := parseGoogleTrace(tv.s); ok {
				c.ctx.trace, c.project, c.status = t, project, idOK
			}
		}
		if c.status == idOK {
			var st idStatus
			c.ctx.span, st = readSpan(&sv, radixHex)
			c.spanBad = st == idInvalid
		}
	case FormatDatadog:
		c = ids(c.source, &tv, radixDatadog, &sv, radixDecimal)
	default:
		c = ids(c.source, &tv, radixAuto, &sv, radixAuto)
	}
	c.ctx.sampled = readSampled(&sampled)
	return c, true
}
