package parser

import (
	"bytes"

	"github.com/tracelink/tracelink/internal/jsonmp"
	"github.com/tracelink/tracelink/internal/swar"
)

func skipWS(s []byte) []byte {
	for len(s) > 0 && s[0] <= ' ' && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	return s
}

// jsonString splits a JSON string token at the start of s (which begins with '"').
// raw is the content between the quotes, escaped says whether it holds backslashes.
func jsonString(s []byte) (raw, rest []byte, escaped, ok bool) {
	i := swar.Index2(s[1:], '"', '\\') + 1
	switch {
	case i == 0:
		return nil, nil, false, false
	case s[i] == '"':
		return s[1:i], s[i+1:], false, true
	}
	return jsonStringSlow(s)
}

// jsonStringSlow is jsonString for long or escaped strings.
func jsonStringSlow(s []byte) (raw, rest []byte, escaped, ok bool) {
	i := 1
	for {
		q := bytes.IndexByte(s[i:], '"')
		if q < 0 {
			return nil, nil, false, false
		}
		q += i
		// The quote is escaped when an odd run of backslashes precedes it.
		bs := 0
		for j := q - 1; j >= 1 && s[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			raw = s[1:q]
			return raw, s[q+1:], escaped || bytes.IndexByte(raw, '\\') >= 0, true
		}
		escaped = true
		i = q + 1
	}
}

// unescapeJSON appends the unescaped form of a JSON string body to dst.
func unescapeJSON(dst, raw []byte) ([]byte, bool) {
	out, err := jsonmp.AppendUnescaped(dst, raw)
	return out, err == nil
}

// skipJSONValue returns the input after the JSON value at its start.
func skipJSONValue(s []byte) ([]byte, bool) {
	s = skipWS(s)
	if len(s) == 0 {
		return s, false
	}
	switch s[0] {
	case '"':
		_, rest, _, ok := jsonString(s)
		return rest, ok
	case '{', '[':
		depth := 0
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return s[i+1:], true
				}
			case '"':
				_, rest, _, ok := jsonString(s[i:])
				if !ok {
					return nil, false
				}
				i = len(s) - len(rest) - 1
			}
		}
		return nil, false
	}
	i := 0
	for i < len(s) && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r' {
		i++
	}
	if i == 0 {
		return s, false
	}
	// A bare value is a number or a literal, as readJSONScalarInto reads it: a line is then
	// well-formed JSON or not whichever of its members a pass reads or skips.
	switch tok := s[:i]; tok[0] {
	case 't', 'f', 'n':
		if string(tok) != "true" && string(tok) != "false" && string(tok) != "null" {
			return s, false
		}
	default:
		if tok[0] != '-' && (tok[0] < '0' || tok[0] > '9') {
			return s, false
		}
	}
	return s[i:], true
}

// walkJSONObject scans the JSON object at the start of s for trace context, like
// walkMsgpackMap does for msgpack. It reports false when the text is not a well-formed object.
func (sc *scan) walkJSONObject(s []byte, depth int) ([]byte, bool) {
	s = skipWS(s)
	if len(s) == 0 || s[0] != '{' {
		return s, false
	}
	s = skipWS(s[1:])
	var parent []byte
	if depth > 0 {
		parent = sc.path[depth-1]
	}
	if len(s) > 0 && s[0] == '}' {
		return s[1:], true
	}
	for {
		if len(s) == 0 || s[0] != '"' {
			return s, false
		}
		key, rest, esc, ok := jsonString(s)
		if !ok {
			return s, false
		}
		if esc {
			start := len(sc.unesc)
			if sc.unesc, ok = unescapeJSON(sc.unesc, key); !ok {
				return s, false
			}
			key = sc.unesc[start:]
		}
		s = skipWS(rest)
		if len(s) == 0 || s[0] != ':' {
			return s, false
		}
		s = skipWS(s[1:])
		if s, ok = sc.onJSONEntry(s, key, parent, depth); !ok {
			return s, false
		}
		s = skipWS(s)
		if len(s) == 0 {
			return s, false
		}
		if s[0] == '}' {
			return s[1:], true
		}
		if s[0] != ',' {
			return s, false
		}
		s = skipWS(s[1:])
	}
}

// onJSONEntry handles one member; s starts at the value.
func (sc *scan) onJSONEntry(s, key, parent []byte, depth int) ([]byte, bool) {
	var f field
	var slot *value // the explicit key's slot this member fills
	scopes := false // an array of maps to search (see isScopesKey, isOTLPBatchKey)
	if depth == 0 {
		k := sc.memo.lookup(key, classifyTop)
		if k.override() != 0 {
			slot = sc.overrideSlotOf(k.override())
		}
		f, scopes = k.field(), k.is(topScopes)
	} else {
		if sc.cfg.hasKeys {
			slot = sc.overrideSlot(depth, key)
		}
		f = classifyAt(parent, key, false, depth == 1)
		scopes = len(s) > 0 && s[0] == '[' && (isScopesKey(key) || isOTLPBatchKey(key))
	}
	if slot != nil {
		v, rest, ok := sc.readJSONScalar(s)
		*slot = v
		return rest, ok
	}
	if len(s) == 0 {
		return s, false
	}
	switch s[0] {
	case '{':
		if f == fSourceLoc {
			rest, ok := skipJSONValue(s)
			if ok {
				sc.keep(f, value{kind: vkMap, s: s[:len(s)-len(rest)], json: true})
			}
			return rest, ok
		}
		if depth+1 >= maxDepth {
			return skipJSONValue(s)
		}
		sc.path[depth] = key
		return sc.walkJSONObject(s, depth+1)
	case '[':
		if scopes && depth+1 < maxDepth && (!isOTLPBatchKey(key) || singleJSONElement(s)) {
			sc.path[depth] = key
			return sc.walkJSONObjectArray(s, depth+1)
		}
		if !isIDField(f) {
			return skipJSONValue(s)
		}
		sc.keepJSONArray(f, s)
		return skipJSONValue(s)
	}
	if f == fNone && s[0] == '"' {
		raw, rest, esc, ok := jsonString(s)
		if ok && !esc && len(raw) >= minShaped {
			if g := shapeField(raw); g != fNone {
				sc.keep(g, value{kind: vkString, s: raw})
			}
		}
		return rest, ok
	}
	if f == fNone || f == fSourceLoc || sc.set&(1<<f) != 0 {
		return skipJSONValue(s) // not ours, or the first occurrence already won
	}
	rest, ok := sc.readJSONScalarInto(&sc.vals[f], s)
	if ok && sc.vals[f].set() {
		sc.set |= 1 << f
	} else {
		sc.vals[f] = value{}
	}
	return rest, ok
}

// keepJSONArray keeps the string of a header dump's one-element array under f
// ({"traceparent": ["00-..."]}). Two strings or more are a header sent twice: the value is
// kept as vkMulti, which never links (W3C trace-context's test suite,
// test_traceparent_duplicated: a receiver given two traceparent headers starts a new trace).
func (sc *scan) keepJSONArray(f field, s []byte) {
	inner := skipWS(s[1:])
	var first value
	n := 0
	for len(inner) > 0 && inner[0] != ']' && n < 2 {
		if inner[0] == '"' {
			if n == 0 {
				v, _, ok := sc.readJSONScalar(inner)
				if !ok {
					return
				}
				first = v
			}
			n++
		}
		var ok bool
		if inner, ok = skipJSONValue(inner); !ok {
			return
		}
		if inner = skipWS(inner); len(inner) > 0 && inner[0] == ',' {
			inner = skipWS(inner[1:])
		}
	}
	switch n {
	case 1:
		sc.keep(f, first)
	case 2:
		sc.keep(f, value{kind: vkMulti})
	}
}

// singleJSONElement reports whether the JSON array at the start of s holds exactly one element.
func singleJSONElement(s []byte) bool {
	inner := skipWS(s[1:])
	if len(inner) == 0 || inner[0] == ']' {
		return false
	}
	rest, ok := skipJSONValue(inner)
	rest = skipWS(rest)
	return ok && len(rest) > 0 && rest[0] == ']'
}

// walkJSONObjectArray walks the objects of the JSON array at the start of s (see
// isScopesKey) as nested objects at depth; other elements are skipped.
func (sc *scan) walkJSONObjectArray(s []byte, depth int) ([]byte, bool) {
	s = skipWS(s[1:])
	if len(s) > 0 && s[0] == ']' {
		return s[1:], true
	}
	for {
		var ok bool
		if len(s) > 0 && s[0] == '{' {
			s, ok = sc.walkJSONObject(s, depth)
		} else {
			s, ok = skipJSONValue(s)
		}
		if !ok {
			return s, false
		}
		s = skipWS(s)
		if len(s) == 0 {
			return s, false
		}
		if s[0] == ']' {
			return s[1:], true
		}
		if s[0] != ',' {
			return s, false
		}
		s = skipWS(s[1:])
	}
}

// readJSONScalar reads a string, number, true/false or null at the start of s.
func (sc *scan) readJSONScalar(s []byte) (value, []byte, bool) {
	var v value
	rest, ok := sc.readJSONScalarInto(&v, s)
	return v, rest, ok
}

// readJSONScalarInto is readJSONScalar writing into *v (which must be the zero value).
func (sc *scan) readJSONScalarInto(v *value, s []byte) ([]byte, bool) {
	if len(s) == 0 {
		return s, false
	}
	switch c := s[0]; {
	case c == '"':
		raw, rest, esc, ok := jsonString(s)
		if !ok {
			return s, false
		}
		if esc {
			start := len(sc.unesc)
			if sc.unesc, ok = unescapeJSON(sc.unesc, raw); !ok {
				return s, false
			}
			raw = sc.unesc[start:]
		}
		v.kind, v.s = vkString, raw
		return rest, true
	case c == 't' || c == 'f' || c == 'n':
		rest, ok := skipJSONValue(s)
		lit := s[:len(s)-len(rest)]
		switch string(lit) {
		case "true":
			v.kind, v.b = vkBool, true
		case "false":
			v.kind = vkBool
		case "null":
		default:
			return s, false
		}
		return rest, ok
	case c == '-' || (c >= '0' && c <= '9'):
		rest, ok := skipJSONValue(s)
		v.kind, v.s = vkNumber, s[:len(s)-len(rest)]
		return rest, ok
	case c == '{' || c == '[':
		rest, ok := skipJSONValue(s)
		return rest, ok
	}
	return s, false
}
