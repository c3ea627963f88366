package parser

import (
	"bytes"
	"errors"

	"github.com/tinylib/msgp/msgp"
)

// The keys the rewrite owns: written in place when the record already has them, appended otherwise.
const (
	outTrace = iota
	outSpan
	outSampled
	outSeverity
	outSourceLoc
	outMessage
	outService
	outEnv
	outVersion
	numOut
)

// outKeys returns the output key names for a config; "" means "never written".
func (c *config) outKeys() [numOut]string {
	k := [numOut]string{c.outTrace, c.outSpan, c.outSampled, c.outSeverity, c.outSourceLoc, "message", "service", "env", "version"}
	if c.format == FormatDatadog {
		k[outService], k[outEnv], k[outVersion] = "dd.service", "dd.env", "dd.version"
	}
	return k
}

// notePresent records which output keys the record already has at its top level, and
// returns outTrace, outSpan or outSampled when key is one of those (else -1): their values
// are what a record tracelink already rewrote says.
func (sc *scan) notePresent(key []byte) int {
	if len(key) >= 64 || sc.cfg.keyLens&(1<<len(key)) == 0 {
		return -1 // no output key has this length
	}
	id := -1
	for i := range sc.cfg.keys {
		if name := sc.cfg.keys[i]; name != "" && len(name) == len(key) && name == string(key) {
			sc.present[i] = true
			sc.anyPresent = true
			if id < 0 && i <= outSampled {
				id = i
			}
		}
	}
	return id
}

// plan is what the rewrite writes.
type plan struct {
	win   candidate
	level level
	loc   sourceLoc
	extra [numOut - outMessage][]byte // message/service/env/version values from grok or text
	want  [numOut]bool
}

// appendOut appends the msgpack value of output i.
func (p *Processor) appendOut(dst []byte, i int, pl *plan, sc *scan) []byte {
	c := &p.cfg
	ctx := pl.win.ctx
	b := sc.out[:0]
	switch i {
	case outTrace:
		switch c.format {
		case FormatStackdriver:
			if pl.win.project != nil {
				b = append(append(append(b, "projects/"...), pl.win.project...), "/traces/"...)
			} else {
				b = append(b, c.tracePrefix...)
			}
			b = appendTraceHex(b, ctx.trace)
		case FormatDatadog:
			if c.ddHex {
				b = appendTraceHex(b, ctx.trace)
			} else {
				b = appendDec64(b, ctx.trace.lo)
			}
		default:
			b = appendTraceHex(b, ctx.trace)
		}
	case outSpan:
		if c.format == FormatDatadog {
			b = appendDec64(b, ctx.span)
		} else {
			b = appendHex64(b, ctx.span)
		}
	case outSampled:
		if c.format == FormatStackdriver {
			return msgp.AppendBool(dst, ctx.sampled == triTrue)
		}
		if ctx.sampled == triTrue {
			b = append(b, "01"...)
		} else {
			b = append(b, "00"...)
		}
	case outSeverity:
		return msgp.AppendString(dst, pl.level.name(c.format))
	case outSourceLoc:
		n := uint32(0)
		if len(pl.loc.file) > 0 {
			n++
		}
		if pl.loc.hasLine {
			n++
		}
		if len(pl.loc.function) > 0 {
			n++
		}
		dst = msgp.AppendMapHeader(dst, n)
		if len(pl.loc.file) > 0 {
			dst = msgp.AppendStringFromBytes(msgp.AppendString(dst, "file"), pl.loc.file)
		}
		if pl.loc.hasLine {
			dst = msgp.AppendUint64(msgp.AppendString(dst, "line"), pl.loc.line)
		}
		if len(pl.loc.function) > 0 {
			dst = msgp.AppendStringFromBytes(msgp.AppendString(dst, "function"), pl.loc.function)
		}
		return dst
	default:
		return msgp.AppendStringFromBytes(dst, pl.extra[i-outMessage])
	}
	sc.out = b
	return msgp.AppendStringFromBytes(dst, b)
}

// rewrite appends the rewritten record to dst.
func (p *Processor) rewrite(dst, record []byte, pl *plan, sc *scan) ([]byte, error) {
	c := &p.cfg
	n, _, err := msgp.ReadMapHeaderBytes(record)
	if err != nil {
		return dst, err
	}
	if int(n) != len(sc.entries) {
		return dst, errEntries
	}
	nested := c.format == FormatDatadog && sc.ddNested && c.outTrace == "dd.trace_id"
	total := n
	for i := 0; i < numOut; i++ {
		if !pl.want[i] || sc.present[i] {
			continue
		}
		if nested && (i == outTrace || i == outSpan) {
			continue
		}
		total++
	}
	merge := c.mergeLog && sc.msgJSON
	var mergeCount uint32
	if merge {
		if mergeCount, err = p.buildMerge(pl, sc); err != nil {
			merge = false
		} else {
			total += mergeCount - 1 // the message field goes
		}
	}
	dst = msgp.AppendMapHeader(dst, total)
	for _, e := range sc.entries {
		key := e.key
		if key != nil {
			if merge && bytes.Equal(key, sc.msgKey) {
				continue
			}
			if o := sc.ownedIndex(key, pl); o >= 0 {
				dst = append(dst, record[e.start:e.val]...)
				dst = p.appendOut(dst, o, pl, sc)
				continue
			}
			if nested && string(key) == "dd" && msgp.NextType(record[e.val:]) == msgp.MapType {
				dst = append(dst, record[e.start:e.val]...)
				if dst, err = p.rewriteDDMap(dst, record[e.val:e.end], pl, sc); err != nil {
					return dst, err
				}
				continue
			}
		}
		dst = append(dst, record[e.start:e.end]...)
	}
	for i := 0; i < numOut; i++ {
		if !pl.want[i] || sc.present[i] || (nested && (i == outTrace || i == outSpan)) {
			continue
		}
		dst = msgp.AppendString(dst, c.keys[i])
		dst = p.appendOut(dst, i, pl, sc)
	}
	if merge {
		dst = append(dst, sc.merge...)
	}
	return dst, nil
}

// errEntries means the walk did not record every entry (it cannot happen for a record the
// walk accepted); the caller then passes the record on unchanged.
var errEntries = errors.New("rewrite: entry count mismatch")

// ownedIndex returns which wanted output key this record key is, or -1.
func (sc *scan) ownedIndex(key []byte, pl *plan) int {
	if !sc.anyPresent {
		return -1
	}
	for i := 0; i < numOut; i++ {
		if pl.want[i] && sc.present[i] && string(key) == sc.cfg.keys[i] {
			if i >= outMessage {
				return -1 // message/service/env/version are only added, never replaced
			}
			return i
		}
	}
	return -1
}

// rewriteDDMap rewrites a nested Datadog map {"trace_id": ..., "span_id": ...} in place.
func (p *Processor) rewriteDDMap(dst, b []byte, pl *plan, sc *scan) ([]byte, error) {
	n, body, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return dst, err
	}
	hasSpan := false
	for i, rest := uint32(0), body; i < n; i++ {
		var k []byte
		if msgp.NextType(rest) == msgp.StrType {
			k, rest, err = msgp.ReadStringZC(rest)
		} else {
			rest, err = msgp.Skip(rest)
		}
		if err != nil {
			return dst, err
		}
		if string(k) == "span_id" {
			hasSpan = true
		}
		if rest, err = msgp.Skip(rest); err != nil {
			return dst, err
		}
	}
	addSpan := !hasSpan && pl.want[outSpan]
	total := n
	if addSpan {
		total++
	}
	dst = msgp.AppendMapHeader(dst, total)
	for i := uint32(0); i < n; i++ {
		start := body
		var k []byte
		if msgp.NextType(body) == msgp.StrType {
			k, body, err = msgp.ReadStringZC(body)
		} else {
			body, err = msgp.Skip(body)
		}
		if err != nil {
			return dst, err
		}
		valStart := body
		if body, err = msgp.Skip(body); err != nil {
			return dst, err
		}
		switch {
		case string(k) == "trace_id":
			dst = append(dst, start[:len(start)-len(valStart)]...)
			dst = p.appendOut(dst, outTrace, pl, sc)
		case string(k) == "span_id" && pl.want[outSpan]:
			dst = append(dst, start[:len(start)-len(valStart)]...)
			dst = p.appendOut(dst, outSpan, pl, sc)
		default:
			dst = append(dst, start[:len(start)-len(body)]...)
		}
	}
	if addSpan {
		dst = msgp.AppendString(dst, "span_id")
		dst = p.appendOut(dst, outSpan, pl, sc)
	}
	return dst, nil
}
