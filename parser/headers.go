package parser

import "bytes"

// tri is a three-valued sampled flag.
type tri int8

const (
	triUnknown tri = iota
	triFalse
	triTrue
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// spanCtx is a parsed trace context: trace, optional span, optional sampled flag.
type spanCtx struct {
	trace   traceID
	span    uint64
	sampled tri
	// xflags are the W3C trace-flags bits other than sampled (bit 0), as the tracer wrote
	// them (01 sampled, 02 random, ...): a backend that takes the flags byte gets it whole.
	xflags uint8
}

// flagsByte is the W3C trace-flags byte: the sampled bit and the other bits as written.
func (c *spanCtx) flagsByte() uint8 {
	if c.sampled == triTrue {
		return c.xflags | 1
	}
	return c.xflags &^ 1
}

// parseTraceparent reads a W3C traceparent: VERSION-TRACEID-PARENTID-FLAGS
// (https://www.w3.org/TR/trace-context/#traceparent-header-field-values). Every field is
// lowercase hex (3.2.2: "HEXDIGLC"; a receiver ignores a header that breaks this); version
// ff is invalid; version 00 ends at the flags (55 bytes), a later version may continue only
// after a '-' (3.2.4); an all-zero trace or parent id is invalid; the flags are a bit field
// whose bit 0 is sampled (3.2.2.5).
func parseTraceparent(s []byte) (spanCtx, bool) {
	s = bytes.TrimSpace(s)
	if len(s) < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return spanCtx{}, false
	}
	if !lowerHex(s[0:2]) || !lowerHex(s[3:35]) || !lowerHex(s[36:52]) || !lowerHex(s[53:55]) {
		return spanCtx{}, false
	}
	ver := hexTable[s[0]]<<4 | hexTable[s[1]]
	if ver == 0xff {
		return spanCtx{}, false
	}
	if ver == 0 && len(s) != 55 {
		return spanCtx{}, false
	}
	if len(s) > 55 && s[55] != '-' {
		return spanCtx{}, false
	}
	t, _ := parseHex128(s[3:35])
	sp, _ := parseHex64(s[36:52])
	fl := hexTable[s[53]]<<4 | hexTable[s[54]]
	if t.isZero() || sp == 0 {
		return spanCtx{}, false
	}
	return spanCtx{trace: t, span: sp, sampled: triOf(fl&1 == 1), xflags: fl &^ 1}, true
}

// parseB3Single reads "b3: TRACEID-SPANID[-SAMPLING[-PARENTSPANID]]" (or just SAMPLING, which
// carries no ids and yields false).
func parseB3Single(s []byte) (spanCtx, bool) {
	var parts [4][]byte
	n, ok := splitFields(bytes.TrimSpace(s), '-', parts[:])
	if !ok || n < 2 {
		return spanCtx{}, false
	}
	// B3's ids are lower-hex (https://github.com/openzipkin/b3-propagation#traceid): Brave's
	// and OpenTelemetry's B3 extractors refuse upper case.
	if !lowerHex(parts[0]) || !lowerHex(parts[1]) {
		return spanCtx{}, false
	}
	c, ok := parseHexPair(parts[0], parts[1])
	if !ok {
		return spanCtx{}, false
	}
	if n >= 3 {
		switch string(parts[2]) {
		case "1", "d":
			c.sampled = triTrue
		case "0":
			c.sampled = triFalse
		default:
			return spanCtx{}, false
		}
	}
	if n == 4 && (len(parts[3]) != 16 || !allHex(parts[3])) {
		return spanCtx{}, false
	}
	return c, true
}

// splitFields splits s at sep into parts. It reports false when s has more fields than
// parts can hold.
func splitFields(s []byte, sep byte, parts [][]byte) (int, bool) {
	for n := range parts {
		i := bytes.IndexByte(s, sep)
		if i < 0 {
			parts[n] = s
			return n + 1, true
		}
		parts[n], s = s[:i], s[i+1:]
	}
	return len(parts), false
}

// parseXRay reads "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
// in any field order, or a bare trace id "1-5759e988-bd862e3fe1be46a994272793".
func parseXRay(s []byte) (spanCtx, bool) {
	var c spanCtx
	var haveRoot bool
	if t, ok := parseXRayTraceID(bytes.TrimSpace(s)); ok {
		// A bare trace id, as Lambda Powertools logs it under xray_trace_id.
		c.trace = t
		return c, !t.isZero()
	}
	for len(s) > 0 {
		var field []byte
		if i := bytes.IndexByte(s, ';'); i >= 0 {
			field, s = s[:i], s[i+1:]
		} else {
			field, s = s, nil
		}
		field = bytes.TrimSpace(field)
		eq := bytes.IndexByte(field, '=')
		if eq < 0 {
			continue
		}
		k, v := field[:eq], field[eq+1:]
		switch {
		case bytes.EqualFold(k, []byte("root")):
			t, ok := parseXRayTraceID(v)
			if !ok {
				return spanCtx{}, false
			}
			c.trace, haveRoot = t, true
		case bytes.EqualFold(k, []byte("parent")):
			if len(v) != 16 || !allHex(v) {
				return spanCtx{}, false
			}
			c.span, _ = parseHex64(v)
		case bytes.EqualFold(k, []byte("sampled")):
			switch string(v) {
			case "1":
				c.sampled = triTrue
			case "0":
				c.sampled = triFalse
			}
		}
	}
	if !haveRoot || c.trace.isZero() {
		return spanCtx{}, false
	}
	return c, true
}

// parseXRayTraceID reads an X-Ray trace id, 1-<8 hex epoch>-<24 hex>, as the 128-bit id
// made of its 32 hex digits.
func parseXRayTraceID(v []byte) (traceID, bool) {
	if len(v) != 35 || v[0] != '1' || v[1] != '-' || v[10] != '-' || !allHex(v[2:10]) || !allHex(v[11:35]) {
		return traceID{}, false
	}
	hi, _ := parseHex64(v[2:10])
	mid, _ := parseHex64(v[11:19])
	lo, _ := parseHex64(v[19:35])
	return traceID{hi: hi<<32 | mid, lo: lo}, true
}

// parseJaeger reads "uber-trace-id: TRACE:SPAN:PARENT:FLAGS" (':' possibly URL-encoded as %3A).
func parseJaeger(s []byte) (spanCtx, bool) {
	s = bytes.TrimSpace(s)
	var parts [4][]byte
	n := 0
	for len(s) > 0 && n < 4 {
		i := bytes.IndexByte(s, ':')
		j := indexFold(s, "%3a")
		sep := 1
		if j >= 0 && (i < 0 || j < i) {
			i, sep = j, 3
		}
		if i < 0 {
			parts[n] = s
			n++
			s = nil
			break
		}
		parts[n] = s[:i]
		s = s[i+sep:]
		n++
		if len(s) == 0 {
			return spanCtx{}, false
		}
	}
	if n != 4 || len(s) != 0 {
		return spanCtx{}, false
	}
	if len(parts[0]) > 32 || len(parts[1]) > 16 || !allHex(parts[0]) || !allHex(parts[1]) || !allHex(parts[2]) || !allHex(parts[3]) {
		return spanCtx{}, false
	}
	t, _ := parseHex128(parts[0])
	sp, _ := parseHex64(parts[1])
	fl, ok := parseHex64(parts[3])
	if !ok || t.isZero() || sp == 0 {
		return spanCtx{}, false
	}
	return spanCtx{trace: t, span: sp, sampled: triOf(fl&1 == 1)}, true
}

// parseCloudTrace reads X-Cloud-Trace-Context "TRACE[/SPAN][;o=OPT]" where SPAN is decimal.
func parseCloudTrace(s []byte) (spanCtx, bool) {
	s = bytes.TrimSpace(s)
	var c spanCtx
	opts := []byte(nil)
	if i := bytes.IndexByte(s, ';'); i >= 0 {
		s, opts = s[:i], s[i+1:]
	}
	spanPart := []byte(nil)
	hasSlash := false
	if i := bytes.IndexByte(s, '/'); i >= 0 {
		s, spanPart, hasSlash = s[:i], s[i+1:], true
	}
	if len(s) != 32 || !allHex(s) {
		return spanCtx{}, false
	}
	c.trace, _ = parseHex128(s)
	if c.trace.isZero() {
		return spanCtx{}, false
	}
	if hasSlash && len(spanPart) > 0 {
		v, ok := parseDec64(spanPart)
		if !ok {
			return spanCtx{}, false
		}
		c.span = v // 0 means "no span": the trace still links
	}
	if len(opts) > 0 {
		if o, ok := bytes.CutPrefix(bytes.TrimSpace(opts), []byte("o=")); ok {
			switch string(o) {
			case "1":
				c.sampled = triTrue
			case "0":
				c.sampled = triFalse
			}
		}
	}
	return c, true
}

// parseGoogleTrace reads "projects/P/traces/TRACE" or a bare 32-hex TRACE. It returns the
// project named in the resource name (nil when bare).
func parseGoogleTrace(s []byte) (traceID, []byte, bool) {
	s = bytes.TrimSpace(s)
	var project []byte
	if rest, ok := bytes.CutPrefix(s, []byte("projects/")); ok {
		i := bytes.Index(rest, []byte("/traces/"))
		if i <= 0 {
			return traceID{}, nil, false
		}
		project, s = rest[:i], rest[i+len("/traces/"):]
		if !projectIDPattern.Match(project) {
			return traceID{}, nil, false
		}
	}
	if len(s) != 32 || !allHex(s) {
		return traceID{}, nil, false
	}
	t, _ := parseHex128(s)
	if t.isZero() {
		return traceID{}, nil, false
	}
	return t, project, true
}

// parseSampled reads a sampled flag from text: 1/0, true/false, yes/no, 01/00 (W3C flags, bit 0), d (B3 debug).
func parseSampled(s []byte) tri {
	s = bytes.TrimSpace(s)
	switch len(s) {
	case 0:
		return triUnknown
	case 1:
		switch s[0] {
		case '1', 'd', 'D':
			return triTrue
		case '0':
			return triFalse
		}
	case 2:
		if v, ok := parseHex64(s); ok {
			return triOf(v&1 == 1)
		}
	}
	switch {
	case bytes.EqualFold(s, []byte("true")), bytes.EqualFold(s, []byte("yes")):
		return triTrue
	case bytes.EqualFold(s, []byte("false")), bytes.EqualFold(s, []byte("no")):
		return triFalse
	}
	return triUnknown
}

// ddTagsTid finds _dd.p.tid=HEX16 in an x-datadog-tags header value.
func ddTagsTid(s []byte) (uint64, bool) {
	i := bytes.Index(s, []byte("_dd.p.tid="))
	if i < 0 {
		return 0, false
	}
	v := s[i+len("_dd.p.tid="):]
	if j := bytes.IndexByte(v, ','); j >= 0 {
		v = v[:j]
	}
	if len(v) != 16 || !allHex(v) {
		return 0, false
	}
	return parseHex64(v)
}

// indexFold is bytes.Index for an ASCII lowercase needle, ignoring case.
func indexFold(s []byte, lowerNeedle string) int {
	n := len(lowerNeedle)
	for i := 0; i+n <= len(s); i++ {
		match := true
		for j := 0; j < n; j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lowerNeedle[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// parseSentryTrace reads Sentry's "sentry-trace: TRACEID-SPANID[-SAMPLED]": a 32-hex trace
// id, a 16-hex span id, and an optional sampled flag, 1 or 0.
func parseSentryTrace(s []byte) (spanCtx, bool) {
	var parts [3][]byte
	n, ok := splitFields(bytes.TrimSpace(s), '-', parts[:])
	if !ok || n < 2 || len(parts[0]) != 32 {
		return spanCtx{}, false
	}
	// Sentry's header is lower-case hex ([0-9a-f]{32}-[0-9a-f]{16}, the SDKs' regex).
	if !lowerHex(parts[0]) || !lowerHex(parts[1]) {
		return spanCtx{}, false
	}
	c, ok := parseHexPair(parts[0], parts[1])
	if !ok {
		return spanCtx{}, false
	}
	if n == 3 {
		switch string(parts[2]) {
		case "1":
			c.sampled = triTrue
		case "0":
			c.sampled = triFalse
		default:
			return spanCtx{}, false
		}
	}
	return c, true
}
