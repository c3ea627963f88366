package parser

import (
	"bytes"

	"github.com/tracelink/tracelink/internal/swar"
)

// Character classes of the text scanner, looked up in one table.
const (
	ccKey       = 1 << iota // may appear in a key
	ccStop                  // ends any bare value
	ccStopField             // ends a bare value that is not a header value (;)
	ccDigit                 // 0-9
)

var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.' || b == '-' || b == '@' {
			t[c] |= ccKey
		}
	}
	for _, b := range []byte(" \t\n\r\"',])}>|") {
		t[b] |= ccStop
	}
	t[';'] |= ccStopField
	for c := '0'; c <= '9'; c++ {
		t[c] |= ccDigit
	}
	return t
}()

func isKeyChar(c byte) bool { return charClass[c]&ccKey != 0 }

// valueEnd returns where a bare (unquoted) value starting at s ends.
func valueEnd(s []byte, header bool) int {
	stop := uint8(ccStop | ccStopField)
	if header {
		stop = ccStop
	}
	for i, c := range s {
		if charClass[c]&stop != 0 {
			return i
		}
	}
	return len(s)
}

// scanText finds key=value, key="value", key: value and "key":"value" pairs in a text line,
// plus Spring Sleuth's [app,trace,span] and a bare W3C traceparent.
func (sc *scan) scanText(s []byte) {
	for i := nextSep(s, 0); i >= 0; i = nextSep(s, i+1) {
		c := s[i]
		j := i
		rocket := c == '=' && i+1 < len(s) && s[i+1] == '>' // Ruby's "key" => "value"
		if rocket {
			for j > 0 && s[j-1] == ' ' {
				j--
			}
		}
		if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
			j--
			if j > 0 && s[j-1] == '\\' {
				j-- // \"key\": JSON escaped inside a quoted text value
			}
		}
		k := j
		for k > 0 && isKeyChar(s[k-1]) {
			k--
		}
		if k == j || charClass[s[k]]&ccDigit != 0 {
			continue // no key of ours starts with a digit ("10:07:08" is a time)
		}
		f := sc.textMemo.lookup(s[k:j], classifyTextKey).field()
		if f == fNone {
			continue
		}
		if f == fSourceLoc || f == fCaller || f == fFile || f == fLine || f == fFunction {
			continue
		}
		v := s[i+1:]
		switch {
		case c == ':':
			v = skipWS(v)
		case rocket:
			v = skipWS(v[1:])
		case len(v) > 0 && (v[0] == ' ' || v[0] == '\t'):
			continue // "a = b" is prose more often than a pair
		}
		if len(v) > 1 && v[0] == '[' && headerValued(f) {
			v = v[1:] // Go's http.Header printed: Traceparent:[00-...]
		}
		var val []byte
		var end int
		if len(v) > 2 && v[0] == '\\' && v[1] == '"' {
			// \"value\": JSON escaped inside a quoted text value.
			e := bytes.Index(v[2:], []byte{'\\', '"'})
			if e < 0 {
				continue
			}
			val, end = v[2:2+e], 4+e
		} else if len(v) > 0 && (v[0] == '"' || v[0] == '\'') {
			q := v[0]
			e := bytes.IndexByte(v[1:], q)
			if e < 0 {
				continue
			}
			val, end = v[1:1+e], 2+e
		} else {
			end = valueEnd(v, headerValued(f))
			val = v[:end]
		}
		if len(val) == 0 {
			continue
		}
		if f == fXRayRoot {
			if !bytes.HasPrefix(val, []byte("1-")) {
				continue
			}
			val = s[k : len(s)-len(v)+end] // Root=1-...;Parent=...;Sampled=1
			f = fXRay
		}
		if f == fTraceparent && end < len(v) && v[end] == ',' {
			// "traceparent: A, B": a header sent twice, folded into a list (RFC 9110 5.3),
			// which W3C trace-context treats as invalid: keep it so, it never links.
			if next := skipWS(v[end+1:]); len(next) >= 55 && next[2] == '-' && next[35] == '-' {
				sc.keep(f, value{kind: vkMulti})
				i = len(s) - len(v) + end - 1
				continue
			}
		}
		switch f {
		case fLevel:
			if !sc.textLevel.set() {
				sc.textLevel = value{kind: vkString, s: val}
			}
		case fTime:
			if !sc.textTime.set() {
				sc.textTime = value{kind: vkString, s: val}
			}
		case fLevelNumber:
		default:
			sc.keep(f, value{kind: vkString, s: val})
		}
		i = len(s) - len(v) + end - 1
	}
}

// nextSep returns the index of the first '=' or ':' in s at or after i, or -1.
func nextSep(s []byte, i int) int {
	if j := swar.Index2(s[i:], '=', ':'); j >= 0 {
		return i + j
	}
	return -1
}

// findSleuth looks for Spring Sleuth's "[app,TRACE,SPAN]" or "[app,TRACE,SPAN,exportable]",
// and for Spring Boot's correlation id (3.2 and later, Micrometer Tracing): "[TRACE-SPAN]",
// or "[TRACE|SPAN]" in newer versions. TRACE is 16 or 32 hex, SPAN 16 hex.
func findSleuth(s []byte) (spanCtx, bool, bool) {
	for {
		i := bytes.IndexByte(s, '[')
		if i < 0 {
			return spanCtx{}, false, false
		}
		s = s[i+1:]
		e := bytes.IndexByte(s, ']')
		if e < 0 {
			return spanCtx{}, false, false
		}
		inner := s[:e]
		if c, ok := parseCorrelationID(inner); ok {
			return c, true, true
		}
		var parts [4][]byte
		if n, ok := splitFields(inner, ',', parts[:]); ok && (n == 3 || n == 4) {
			if c, ok := parseHexPair(bytes.TrimSpace(parts[1]), bytes.TrimSpace(parts[2])); ok {
				if n == 4 {
					c.sampled = parseSampled(bytes.TrimSpace(parts[3]))
				}
				return c, true, true
			}
		}
	}
}

// parseCorrelationID reads Spring Boot's "TRACE-SPAN" or "TRACE|SPAN" (the brackets removed).
func parseCorrelationID(s []byte) (spanCtx, bool) {
	if (len(s) != 33 && len(s) != 49) || (s[len(s)-17] != '-' && s[len(s)-17] != '|') {
		return spanCtx{}, false
	}
	return parseHexPair(s[:len(s)-17], s[len(s)-16:])
}

// parseHexPair reads a trace id of 16 or 32 hex and a span id of 16 hex, neither all zeros.
func parseHexPair(tr, sp []byte) (spanCtx, bool) {
	if (len(tr) != 16 && len(tr) != 32) || len(sp) != 16 || !allHex(tr) || !allHex(sp) {
		return spanCtx{}, false
	}
	t, _ := parseHex128(tr)
	span, _ := parseHex64(sp)
	if t.isZero() || span == 0 {
		return spanCtx{}, false
	}
	return spanCtx{trace: t, span: span}, true
}

func isHexByte(c byte) bool {
	_, ok := hexVal(c)
	return ok
}
