package parser

import "bytes"

// Value shapes: a propagation header's value is recognisable by its syntax alone, under a
// key of any name (a header dump renamed, a logger's own field name) or standing in a text
// line. Each shape is tested first by a few byte compares, so a value of another kind costs
// almost nothing; only values that pass are parsed.

// minShaped is the length of the shortest value shapeField marks (a Jaeger context of two
// 13-digit ids); callers test it first, inline, so most values cost one compare.
const minShaped = 31

// shapeField says what a string under a key that is not ours holds: a trace resource name
// (fGoogleTraceValue), a propagation header's value (fShapedValue), or neither (fNone).
func shapeField(s []byte) field {
	n := len(s)
	if n < minShaped || n > 200 {
		return fNone
	}
	switch {
	case s[0] == 'p':
		if looksLikeTraceResource(s) {
			return fGoogleTraceValue
		}
	case n >= 55 && s[2] == '-' && s[35] == '-' && s[52] == '-': // W3C traceparent
		return fShapedValue
	case n == 35 && s[0] == '1' && s[1] == '-' && s[10] == '-': // an X-Ray trace id
		return fShapedValue
	case n >= 35 && s[32] == '/': // X-Cloud-Trace-Context TRACE/SPAN;o=F
		return fShapedValue
	case looksJaeger(s):
		return fShapedValue
	case (s[0] == 'R' || s[0] == 'S' || s[0] == 'P' || s[0] == 'L') && bytes.Contains(s, []byte("Root=1-")):
		return fShapedValue // an X-Amzn-Trace-Id header
	}
	return fNone
}

// looksJaeger is the cheap test for Jaeger's TRACE:SPAN:PARENT:FLAGS: long enough for two
// random ids, ending in one or two flag digits after a ':'.
func looksJaeger(s []byte) bool {
	n := len(s)
	return n >= 31 && n <= 70 && n != 32 && (s[n-2] == ':' || s[n-3] == ':') && isHexByte(s[0])
}

// shapedValue parses a value shapeField marked: each shape strictly, as an unlabelled value
// must be to count (an X-Cloud-Trace-Context needs its ";o=" and span, a Jaeger context two
// ids of random length).
func shapedValue(s []byte) (spanCtx, Source, bool) {
	s = trimSpace(s)
	n := len(s)
	switch {
	case n >= 55 && s[2] == '-':
		c, ok := parseTraceparent(s)
		return c, SourceTraceparent, ok
	case n == 35 && s[0] == '1' && s[1] == '-':
		t, ok := parseXRayTraceID(s)
		return spanCtx{trace: t}, SourceXRay, ok && !t.isZero()
	case n >= 35 && s[32] == '/':
		c, ok := parseCloudTraceStrict(s)
		return c, SourceCloudTrace, ok
	case looksJaeger(s):
		c, ok := parseJaegerStrict(s)
		return c, SourceJaeger, ok
	case bytes.Contains(s, []byte("Root=1-")):
		c, ok := parseXRay(s)
		return c, SourceXRay, ok
	}
	return spanCtx{}, SourceNone, false
}

// shapedTrace reads a value under a trace-id key that holds a whole propagation header's
// value instead of the bare id: a traceparent (.NET's Activity.Id logged as TraceId), an
// X-Ray trace id or header (AWS Lambda's "XRAY TraceId: 1-..."), a Jaeger context. Source
// is SourceNone for a traceparent (the key's own source counts) and the header's format
// for the others.
func shapedTrace(s []byte) (spanCtx, Source, bool) {
	n := len(s)
	if n < 31 || n == 32 {
		return spanCtx{}, SourceNone, false // the common case, a bare id
	}
	switch {
	case n >= 55 && s[2] == '-':
		c, ok := parseTraceparent(s)
		return c, SourceNone, ok
	case n == 35 && s[0] == '1' && s[1] == '-':
		t, ok := parseXRayTraceID(s)
		return spanCtx{trace: t}, SourceXRay, ok && !t.isZero()
	case s[0] == 'R' && n > 40 && bytes.HasPrefix(s, []byte("Root=1-")):
		c, ok := parseXRay(s)
		return c, SourceXRay, ok
	case looksJaeger(s):
		c, ok := parseJaegerStrict(s)
		return c, SourceJaeger, ok
	}
	return spanCtx{}, SourceNone, false
}

// parseJaegerStrict is parseJaeger for a value without its uber-trace-id key: ':' only,
// and ids as long as random ones printed without leading zeros are (a trace of 13-16 or
// 29-32 hex, a span of 13-16), so times and addresses with colons do not pass.
func parseJaegerStrict(s []byte) (spanCtx, bool) {
	i := bytes.IndexByte(s, ':')
	if i < 0 || !randomHexLen(i, true) {
		return spanCtx{}, false
	}
	j := bytes.IndexByte(s[i+1:], ':')
	if j < 0 || !randomHexLen(j, false) {
		return spanCtx{}, false
	}
	return parseJaeger(s)
}

// randomHexLen reports whether n hex digits are what a random 64-bit id (or a 128-bit one,
// when trace) prints as without leading zeros, but for one time in 4,096.
func randomHexLen(n int, trace bool) bool {
	return n >= 13 && n <= 16 || trace && n >= 29 && n <= 32
}

// parseCloudTraceStrict is parseCloudTrace for a value without its X-Cloud-Trace-Context
// key: TRACE/SPAN;o=F in full, the span decimal and non-zero, F a number.
func parseCloudTraceStrict(s []byte) (spanCtx, bool) {
	semi := bytes.IndexByte(s, ';')
	if semi < 34 || len(s) < semi+4 || string(s[semi+1:semi+3]) != "o=" || !allDigits(s[semi+3:]) || !allDigits(s[33:semi]) {
		return spanCtx{}, false
	}
	c, ok := parseCloudTrace(s)
	return c, ok && c.span != 0
}

// looseHexTrace reads a hex trace id printed without its leading zeros (Jaeger's and
// OpenTracing's clients do so): min to 16 digits, or 29 to 32 when min is 13 (a random
// 128-bit id), any length up to 32 otherwise.
func looseHexTrace(v value, min int) (traceID, bool) {
	if v.kind != vkString {
		return traceID{}, false
	}
	s := trimSpace(v.s)
	n := len(s)
	if n < min || n > 32 || min >= 13 && n > 16 && n < 29 || !allHex(s) {
		return traceID{}, false
	}
	t, ok := parseHex128(s)
	return t, ok && !t.isZero()
}

// looseHexSpan reads a hex span id of min to 16 digits, not zero.
func looseHexSpan(v value, min int) (uint64, bool) {
	if v.kind != vkString {
		return 0, false
	}
	s := trimSpace(v.s)
	if len(s) < min || len(s) > 16 || !allHex(s) {
		return 0, false
	}
	u, ok := parseHex64(s)
	return u, ok && u != 0
}

// tokenEnd reports whether c may follow a value standing alone in a text line: the end of
// a token (blank, quote, bracket, separator), not more of a word, a number or a path.
func tokenEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '\'', '`', ',', ';', ')', ']', '}', '>', '|', '&':
		return true
	}
	return false
}

// findBareTraceparent looks for a W3C traceparent standing alone in text:
// VV-<32 hex>-<16 hex>-<2 hex>, not inside a word, ended by the end of a token (version 00
// ends at its flags; a later version may continue after a '-'). A line naming two different
// traces this way is ambiguous (a header list "A, B" among them) and links neither.
func findBareTraceparent(s []byte) (spanCtx, bool, bool) {
	var found spanCtx
	n := 0
	sawCandidate := false
	for i := 0; i+55 <= len(s); i++ {
		if s[i+2] != '-' || s[i+35] != '-' || s[i+52] != '-' {
			continue
		}
		if i > 0 && isKeyChar(s[i-1]) && s[i-1] != '-' {
			continue
		}
		if !allHex(s[i:i+2]) || !allHex(s[i+3:i+35]) || !allHex(s[i+36:i+52]) || !allHex(s[i+53:i+55]) {
			continue
		}
		end := i + 55
		if end < len(s) && s[end] == '-' && !(s[i] == '0' && s[i+1] == '0') {
			for end < len(s) && !tokenEnd(s[end]) {
				end++ // a later version's fields; i then moves past them
			}
		}
		sawCandidate = true
		if end < len(s) && !tokenEnd(s[end]) {
			i = end
			continue // "...-01.", "...-01x": not a traceparent's end
		}
		c, ok := parseTraceparent(s[i:end])
		if ok {
			if n > 0 && c.trace != found.trace {
				return spanCtx{}, false, true
			}
			found, n = c, n+1
		}
		i = end - 1
	}
	return found, n > 0, sawCandidate
}

// findCloudTraceToken looks for an X-Cloud-Trace-Context value standing alone in a text
// line, as an access log's unlabelled field prints it: TRACE/SPAN;o=F in full.
func findCloudTraceToken(s []byte) (spanCtx, bool, bool) {
	seen := false
	for off := 0; ; {
		j := bytes.IndexByte(s[off:], '/')
		if j < 0 {
			return spanCtx{}, false, seen
		}
		i := off + j
		off = i + 1
		if i < 32 || !isHexByte(s[i-1]) || (i > 32 && isKeyChar(s[i-33])) || !allHex(s[i-32:i]) {
			continue
		}
		end := i + 1
		for end < len(s) && end < i+40 && (!tokenEnd(s[end]) || s[end] == ';') {
			end++ // SPAN (20 digits at most) and ;o=F: a token's scan stays short
		}
		tok := s[i-32 : end]
		if bytes.IndexByte(tok, ';') < 0 {
			continue
		}
		if c, ok := parseCloudTraceStrict(tok); ok {
			return c, true, true
		}
		seen = true
	}
}

// nrLinking is New Relic's logs-in-context decoration, appended to a line by its agents'
// local decorating: NR-LINKING|ENTITY_GUID|HOSTNAME|TRACE_ID|SPAN_ID|ENTITY_NAME|.
var nrLinking = []byte("NR-LINKING|")

// findNRLinking reads the trace and span ids of New Relic's NR-LINKING decoration: a trace
// id of 32 hex (W3C) or 16 (older agents), a span id of 16 hex or empty.
func findNRLinking(s []byte) (spanCtx, bool, bool) {
	i := bytes.Index(s, nrLinking)
	if i < 0 {
		return spanCtx{}, false, false
	}
	var parts [6][]byte
	n, _ := splitFields(s[i+len(nrLinking):], '|', parts[:])
	if n < 5 {
		return spanCtx{}, false, false
	}
	tr, sp := parts[2], parts[3]
	if len(tr) == 0 {
		return spanCtx{}, false, false // no transaction: no trace to link
	}
	if (len(tr) != 16 && len(tr) != 32) || !allHex(tr) {
		return spanCtx{}, false, true
	}
	t, _ := parseHex128(tr)
	if t.isZero() {
		return spanCtx{}, false, true
	}
	c := spanCtx{trace: t}
	if len(sp) == 16 && allHex(sp) {
		c.span, _ = parseHex64(sp)
	}
	return c, true, true
}

// findJaegerToken looks for a Jaeger span context standing alone in a text line
// (TRACE:SPAN:PARENT:FLAGS, as Jaeger clients print a span context: "Reporting span
// 51729f13a64c2ef3:258169797d519815:0:1", or key=CONTEXT under any key), held to
// parseJaegerStrict's lengths and ended by the end of a token.
func findJaegerToken(s []byte) (spanCtx, bool, bool) {
	for off := 0; ; {
		j := bytes.IndexByte(s[off:], ':')
		if j < 0 {
			return spanCtx{}, false, false
		}
		i := off + j
		off = i + 1
		k := i
		for k > 0 && i-k <= 32 && isHexByte(s[k-1]) {
			k--
		}
		if !randomHexLen(i-k, true) || k > 0 && (isKeyChar(s[k-1]) || s[k-1] == ':') {
			continue
		}
		end := i
		for end < len(s) && end-k <= 70 && !tokenEnd(s[end]) {
			end++
		}
		if end-k > 70 {
			off = end
			continue
		}
		if c, ok := parseJaegerStrict(s[k:end]); ok && looksJaeger(s[k:end]) {
			return c, true, true
		}
		off = end
	}
}

// findXRayToken looks for an X-Ray trace id standing alone in a text line
// (1-EPOCH-RANDOM: API Gateway's $context.xrayTraceId in a text access log format), not
// inside a word, ended by the end of a token, its epoch a plausible time (2014 to 2100).
func findXRayToken(s []byte) (spanCtx, bool, bool) {
	for off := 0; ; {
		j := bytes.Index(s[off:], []byte("1-"))
		if j < 0 {
			return spanCtx{}, false, false
		}
		i := off + j
		off = i + 1
		if i+35 > len(s) || s[i+10] != '-' || i > 0 && isKeyChar(s[i-1]) || i+35 < len(s) && !tokenEnd(s[i+35]) {
			continue
		}
		t, ok := parseXRayTraceID(s[i : i+35])
		if epoch := t.hi >> 32; !ok || epoch < 0x53000000 || epoch > 0xF4865700 {
			continue
		}
		return spanCtx{trace: t}, true, true
	}
}
