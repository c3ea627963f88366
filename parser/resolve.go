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
		s := trimSpace(v.s)
		if allZeros(s) {
			return traceID{}, idAbsent // "0" and all-zero ids mean "no trace"
		}
		if s[0] == '-' {
			u, ok := signedID(s, r)
			return traceID{lo: u}, okStatus(ok)
		}
		s = trim0x(s, r)
		t, ok := parseTraceString(s, r)
		if !ok {
			return traceID{}, idInvalid
		}
		if t.isZero() {
			return t, idAbsent
		}
		return t, idOK
	case vkNeg:
		u, ok := signedValue(v.u, r)
		return traceID{lo: u}, okStatus(ok)
	case vkUint, vkNumber, vkFloat:
		if r == radixHex {
			return traceID{}, idInvalid
		}
		if v.kind == vkNumber && len(v.s) > 0 && v.s[0] == '-' {
			u, ok := signedID(v.s, r)
			return traceID{lo: u}, okStatus(ok)
		}
		if v.kind == vkNumber && len(v.s) > 20 {
			return wideNumber(v.s)
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
		s := trimSpace(v.s)
		if allZeros(s) {
			return 0, idAbsent
		}
		if s[0] == '-' {
			u, ok := signedID(s, r)
			return u, okStatus(ok)
		}
		s = trim0x(s, r)
		u, ok := parseSpanString(s, r)
		if !ok {
			return 0, idInvalid
		}
		if u == 0 {
			return 0, idAbsent
		}
		return u, idOK
	case vkNeg:
		return signedStatus(signedValue(v.u, r))
	case vkUint, vkNumber, vkFloat:
		if r == radixHex {
			return 0, idInvalid
		}
		if v.kind == vkNumber && len(v.s) > 0 && v.s[0] == '-' {
			return signedStatus(signedID(v.s, r))
		}
		u, st := readNumber(v)
		if st == idOK && r == radixAuto && u < autoDecimalMin {
			return 0, idInvalid
		}
		return u, st
	}
	return 0, idInvalid
}

// traceparentValue reads a string value shaped as a W3C traceparent (00-TRACE-SPAN-FLAGS).
func traceparentValue(v *value) (spanCtx, bool) {
	if v.kind != vkString || len(v.s) < 55 || v.s[2] != '-' {
		return spanCtx{}, false // the common case, a bare id, costs two compares
	}
	return parseTraceparent(v.s)
}

// readGoogleSpan reads logging.googleapis.com/spanId: 16 hex digits, or, when it is all
// decimal digits of another length, the decimal span X-Cloud-Trace-Context carries, which
// Google's Node.js logging library copies there as it came.
func readGoogleSpan(v *value) (uint64, idStatus) {
	u, st := readSpan(v, radixHex)
	if st != idInvalid || v.kind != vkString {
		return u, st
	}
	s := trimSpace(v.s)
	if len(s) == 16 || len(s) > 20 || !allDigits(s) {
		return 0, idInvalid
	}
	u, ok := parseDec64(s)
	if !ok {
		return 0, idInvalid
	}
	return u, idOK
}

// wideNumber reads a JSON integer literal beyond 64 bits as a 128-bit trace id: Python's
// json prints int ids in full (structlog and logging users logging span_context.trace_id).
// No double prints so: JavaScript, Python and Go write doubles this large with an exponent;
// a value a double holds exactly (low bits zero) is refused all the same.
func wideNumber(s []byte) (traceID, idStatus) {
	t, ok := parseDec128(s)
	if !ok {
		return traceID{}, idInvalid
	}
	if t.hi == 0 {
		return traceID{}, idInvalid // 21+ digits below 2^64: leading zeros, not an id's print
	}
	width := 64 + bits.Len64(t.hi)
	tz := bits.TrailingZeros64(t.lo)
	if t.lo == 0 {
		tz = 64 + bits.TrailingZeros64(t.hi)
	}
	if width-tz <= 53 {
		return traceID{}, idInvalid
	}
	return t, idOK
}

// trim0x drops the "0x" of a hex id printed with it, as OpenTelemetry Python's console
// exporters print trace_id and span_id ("0x4bf92f35..."), where ids may be hex: 16 or 32 hex
// digits after it, nothing else.
func trim0x(s []byte, r radix) []byte {
	if (len(s) == 18 || len(s) == 34) && s[1] == 'x' && s[0] == '0' && (r == radixAuto || r == radixHex) {
		return s[2:]
	}
	return s
}

// signedID reads a negative decimal id as the unsigned 64-bit id whose two's complement it
// is. Datadog's Node.js and Go tracers accept signed 64-bit ids, and dd-trace-js may write
// them so (https://docs.datadoghq.com/tracing/guide/span_and_trace_id_format/, "Node.js:
// signed or unsigned"). Only where ids are Datadog's decimals (radixDecimal, radixDatadog),
// and only for the int64 values a random id with its top bit set gives: at least 16 digits
// (a short negative number is a counter or an error code, never an id).
func signedID(s []byte, r radix) (uint64, bool) {
	if r != radixDecimal && r != radixDatadog || len(s) < 17 || len(s) > 20 || s[0] != '-' {
		return 0, false
	}
	m, ok := parseDec64(s[1:])
	if !ok || m > 1<<63 {
		return 0, false
	}
	return signedValue(-m, r)
}

// signedValue checks a negative int64 id (two's complement in u) as signedID does.
func signedValue(u uint64, r radix) (uint64, bool) {
	if r != radixDecimal && r != radixDatadog || -u < 1e15 || u == 0 {
		return 0, false
	}
	return u, true
}

func okStatus(ok bool) idStatus {
	if ok {
		return idOK
	}
	return idInvalid
}

func signedStatus(u uint64, ok bool) (uint64, idStatus) { return u, okStatus(ok) }

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

// readNumber reads an id written as a number. Numbers above 2^53 that went through a
// double somewhere and lost their low digits are refused (see floatDamaged).
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

// readSampled reads a sampled flag of any type. A number is read as W3C trace flags, a bit
// field whose bit 0 is sampled (3 is sampled), in JSON as in msgpack.
func readSampled(v *value) tri {
	switch v.kind {
	case vkBool:
		return triOf(v.b)
	case vkNumber:
		if s := v.s; len(s) >= 1 && len(s) <= 3 && allDigits(s) {
			return triOf((s[len(s)-1]-'0')&1 == 1)
		}
		return parseSampled(v.s)
	case vkString:
		return parseSampled(v.s)
	case vkUint:
		return triOf(v.u&1 == 1)
	}
	return triUnknown
}

// readFlags reads a W3C trace-flags value into c: a bit field wherever it is written
// (https://www.w3.org/TR/trace-context/#trace-flags: bit 0 is sampled, the others are
// kept as written), as a number (OTLP/JSON's "flags": 3, msgpack integers), as one or two
// hex digits ("01", "03") or a decimal number's digits, else as a sampled word (true/false).
func readFlags(c *spanCtx, v *value) {
	var fl uint64
	switch v.kind {
	case vkUint:
		fl = v.u
	case vkNumber, vkString:
		s := trimSpace(v.s)
		var ok bool
		switch {
		case v.kind == vkString && len(s) >= 1 && len(s) <= 2:
			fl, ok = parseHex64(s)
		case len(s) >= 1 && len(s) <= 3:
			fl, ok = parseDec64(s)
		}
		if !ok {
			if t := parseSampled(s); t != triUnknown {
				c.sampled = t
			} else if bytes.EqualFold(s, []byte("recorded")) || bytes.EqualFold(s, []byte("none")) {
				// .NET's ActivityTraceFlags as printed: Recorded (sampled) or None.
				c.sampled = triOf(len(s) == len("recorded"))
			}
			return
		}
	case vkBool:
		c.sampled = triOf(v.b)
		return
	default:
		return
	}
	if fl > 0xff {
		return
	}
	c.sampled, c.xflags = triOf(fl&1 == 1), uint8(fl)&^1
}

// candidate is one source's reading of the record.
type candidate struct {
	ctx     spanCtx
	source  Source
	project []byte // the project of an existing Google resource name
	status  idStatus
	spanBad bool // the trace is fine but the span value was invalid
}

// setSampled sets the sampled flag when t says something (a traceparent-shaped trace value
// may have set it already).
func (c *candidate) setSampled(t tri) {
	if t != triUnknown {
		c.ctx.sampled = t
	}
}

// ids reads a (trace, span) pair into c. A trace value shaped as a W3C traceparent
// (.NET's Activity.Id logged as traceId) gives the trace, and the span and sampled flag
// when the record names none of its own.
func ids(c *candidate, src Source, tv *value, tr radix, sv *value, sr radix) {
	c.source = src
	var tpSpan uint64
	if tp, ok := traceparentValue(tv); ok {
		c.ctx.trace, c.status, c.ctx.sampled, c.ctx.xflags, tpSpan = tp.trace, idOK, tp.sampled, tp.xflags, tp.span
	} else if tv.kind == vkString && len(tv.s) >= 31 && len(tv.s) != 32 && len(tv.s) < 55 {
		// A whole header under a trace-id key (Lambda's "XRAY TraceId: 1-...").
		if sh, shSrc, ok := shapedTrace(trimSpace(tv.s)); ok {
			c.ctx, c.status, tpSpan, c.source = sh, idOK, sh.span, shSrc
			c.ctx.span = 0
		} else {
			c.ctx.trace, c.status = readTrace(tv, tr)
		}
	} else {
		c.ctx.trace, c.status = readTrace(tv, tr)
	}
	if c.status != idOK {
		return
	}
	var st idStatus
	c.ctx.span, st = readSpan(sv, sr)
	c.spanBad = st == idInvalid
	if tpSpan != 0 && c.ctx.span == 0 {
		c.ctx.span = tpSpan // the span the traceparent-shaped trace value carried
	}
}

// resolve picks the winning candidate (into win) and completes its span and sampled flag from other
// sources that name the same trace. invalid reports whether any id value was refused.
func (sc *scan) resolve(win *candidate) (invalid bool) {
	*win = candidate{}
	present := sc.presentCandidates() // bit i: detector i has something to read
	if present == 0 {
		return false
	}
	found := -1
	c := &sc.cand // in the scan, not on the stack: the detectors are called through the table
	for p := present; p != 0; p &= p - 1 {
		i := bits.TrailingZeros64(p)
		if !sc.candidate(i, c) {
			continue
		}
		if c.spanBad {
			// A malformed span next to a good trace: the trace links, the span is dropped
			// (another source naming the same trace may still supply one), and the record
			// counts as holding an invalid id.
			invalid = true
		}
		if c.status == idInvalid {
			invalid = true
		}
		if found < 0 && c.status == idOK {
			*win, found = *c, i
		}
	}
	if found < 0 {
		return invalid
	}
	others := present &^ (1 << found)
	complete := win.ctx.span != 0 && win.ctx.sampled != triUnknown &&
		!(win.source == SourceDatadog && win.ctx.trace.hi == 0)
	if detectors[found].final || others == 0 || complete {
		// A record already rewritten keeps exactly what its output keys say.
		return invalid
	}
	for p := others; p != 0; p &= p - 1 {
		if !sc.candidate(bits.TrailingZeros64(p), c) || c.status != idOK {
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
			win.ctx.sampled, win.ctx.xflags = c.ctx.sampled, c.ctx.xflags
		}
	}
	return invalid
}

// outputCandidate reads the record's own output keys: the trace context of a record that
// tracelink (or the application, in the target's own format) already wrote.
func (sc *scan) outputCandidate(c *candidate) bool {
	tv := &sc.outVals[outTrace]
	if !tv.set() {
		return false
	}
	be := sc.cfg.be
	c.source = be.source
	be.readOwn(c, tv, &sc.outVals[outSpan])
	if be.flags {
		readFlags(&c.ctx, &sc.outVals[outSampled])
	} else {
		c.ctx.sampled = readSampled(&sc.outVals[outSampled])
	}
	if c.ctx.sampled == triUnknown && be.sampledAlso != fNone {
		c.ctx.sampled = readSampled(&sc.vals[be.sampledAlso])
	}
	return true
}
