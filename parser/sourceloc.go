package parser

import (
	"bytes"

	"github.com/tinylib/msgp/msgp"
)

// sourceLoc is a source location found in the record.
type sourceLoc struct {
	file, function []byte
	line           uint64
	hasLine        bool
}

func (l *sourceLoc) empty() bool { return len(l.file) == 0 && len(l.function) == 0 }

// lineOf reads a line number of any type.
func lineOf(v value) (uint64, bool) {
	switch v.kind {
	case vkUint:
		return v.u, true
	case vkString, vkNumber:
		return parseDec64(bytes.TrimSpace(v.s))
	case vkFloat:
		if v.float() >= 0 && v.float() < 1<<31 && v.float() == float64(uint64(v.float())) {
			return uint64(v.float()), true
		}
	}
	return 0, false
}

// locField classifies a key inside a source location map.
func locField(k []byte) field {
	var buf [16]byte
	l, ok := lowerInto(buf[:], k)
	if !ok {
		return fNone
	}
	switch string(l) {
	case "file", "filename", "filepath", "path":
		return fFile
	case "line", "lineno", "line_number":
		return fLine
	case "function", "func", "funcname", "method":
		return fFunction
	}
	return fNone
}

func (l *sourceLoc) take(f field, v value) {
	switch f {
	case fFile:
		if v.kind == vkString && len(l.file) == 0 {
			l.file = v.s
		}
	case fFunction:
		if v.kind == vkString && len(l.function) == 0 {
			l.function = v.s
		}
	case fLine:
		if n, ok := lineOf(v); ok && !l.hasLine {
			l.line, l.hasLine = n, true
		}
	}
}

// sourceLocation gathers the location from a location map, a "file:line" caller, or
// separate file/line/function keys, in that order.
func (sc *scan) sourceLocation(l *sourceLoc) {
	if sc.set&(1<<fSourceLoc|1<<fCaller|1<<fFile|1<<fLine|1<<fFunction) == 0 {
		return
	}
	if m := &sc.vals[fSourceLoc]; m.kind == vkMap {
		if m.json {
			sc.jsonLocation(m.s, l)
		} else {
			msgpackLocation(m.s, l)
		}
		if !l.empty() {
			return
		}
		*l = sourceLoc{}
	}
	if c := sc.vals[fCaller]; c.kind == vkString {
		s := bytes.TrimSpace(c.s)
		if i := bytes.LastIndexByte(s, ':'); i > 0 {
			if n, ok := parseDec64(s[i+1:]); ok {
				*l = sourceLoc{file: s[:i], line: n, hasLine: true}
				return
			}
		}
		if len(s) > 0 {
			l.file = s
			return
		}
	}
	l.take(fFile, sc.vals[fFile])
	l.take(fLine, sc.vals[fLine])
	l.take(fFunction, sc.vals[fFunction])
	if len(l.file) == 0 && len(l.function) == 0 {
		*l = sourceLoc{}
	}
}

func msgpackLocation(b []byte, l *sourceLoc) {
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return
	}
	for i := uint32(0); i < n; i++ {
		var k []byte
		if k, b, err = msgp.ReadStringZC(b); err != nil {
			return
		}
		var v value
		if v, b, err = readMsgpackScalar(b); err != nil {
			return
		}
		l.take(locField(k), v)
	}
}

func (sc *scan) jsonLocation(s []byte, l *sourceLoc) {
	s = skipWS(s)
	if len(s) == 0 || s[0] != '{' {
		return
	}
	s = skipWS(s[1:])
	for len(s) > 0 && s[0] == '"' {
		k, rest, _, ok := jsonString(s)
		if !ok {
			return
		}
		s = skipWS(rest)
		if len(s) == 0 || s[0] != ':' {
			return
		}
		v, rest2, ok := sc.readJSONScalar(skipWS(s[1:]))
		if !ok {
			return
		}
		l.take(locField(k), v)
		s = skipWS(rest2)
		if len(s) == 0 || s[0] != ',' {
			return
		}
		s = skipWS(s[1:])
	}
}
