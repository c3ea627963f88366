package parser

import (
	"bytes"
	"errors"
	"math/bits"

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
	a := c.be.attrs
	return [numOut]string{c.outTrace, c.outSpan, c.outSampled, c.outSeverity, c.outSourceLoc, "message", a[0], a[1], a[2]}
}

// plan is what the rewrite writes.
type plan struct {
	win   candidate
	level level
	loc   sourceLoc
	extra [numOut - outMessage][]byte // message/service/env/version values from grok or text
	want  uint16                      // bit i: output i is written
}

func (pl *plan) wants(i int) bool { return pl.want&(1<<i) != 0 }

func (pl *plan) setWant(i int, on bool) {
	if on {
		pl.want |= 1 << i
	}
}

// appendStrHeader appends the header of a msgpack str of n bytes.
func appendStrHeader(dst []byte, n int) []byte {
	switch {
	case n < 32:
		return append(dst, 0xa0|byte(n))
	case n < 1<<8:
		return append(dst, 0xd9, byte(n))
	case n < 1<<16:
		return append(dst, 0xda, byte(n>>8), byte(n))
	}
	return append(dst, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// appendOut appends the msgpack value of output i.
func (p *Processor) appendOut(dst []byte, i int, pl *plan, sc *scan) []byte {
	c := &p.cfg
	ctx := &pl.win.ctx
	switch i {
	case outTrace:
		return c.be.appendTrace(dst, c, &pl.win)
	case outSpan:
		return c.be.appendSpan(dst, ctx.span)
	case outSampled:
		return c.be.appendSampled(dst, ctx)
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
	}
	return msgp.AppendStringFromBytes(dst, pl.extra[i-outMessage])
}

// rewrite appends the rewritten record to dst.
func (p *Processor) rewrite(dst, record []byte, pl *plan, sc *scan) ([]byte, error) {
	c := &p.cfg
	n, body, err := msgp.ReadMapHeaderBytes(record)
	if err != nil {
		return dst, err
	}
	if int(n) != len(sc.entries) {
		return dst, errEntries
	}
	nested := c.be.nestDD && sc.ddNested && c.outTrace == c.be.trace
	add := pl.want &^ sc.present // outputs appended as new keys
	if nested {
		add &^= 1<<outTrace | 1<<outSpan
	}
	total := n + uint32(bits.OnesCount16(add))
	merge := c.mergeLog && sc.mergeable()
	var mergeCount uint32
	if merge {
		if mergeCount, err = p.buildMerge(pl, sc); err != nil {
			merge = false
		} else {
			total += mergeCount - 1 // the message field goes
		}
	}
	dst = msgp.AppendMapHeader(dst, total)
	if owned := pl.want & sc.present & ownedMask; owned == 0 && !nested && !merge {
		dst = append(dst, body...) // no entry changes: the record's entries go as they are
	} else {
		for _, e := range sc.entries {
			if e.key < 0 {
				dst = append(dst, record[e.start:e.end]...)
				continue
			}
			key := record[e.key:e.val]
			if merge && bytes.Equal(key, sc.msgKey) {
				continue
			}
			if o := c.ownedIndex(key, owned); o >= 0 {
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
			dst = append(dst, record[e.start:e.end]...)
		}
	}
	for ; add != 0; add &= add - 1 {
		i := bits.TrailingZeros16(add)
		dst = append(dst, c.encKeys[i]...)
		dst = p.appendOut(dst, i, pl, sc)
	}
	if merge {
		dst = append(dst, sc.merge...)
	}
	return dst, nil
}

// ownedMask has the outputs that replace an existing key in place; message, service, env and
// version are only ever added.
const ownedMask = 1<<outMessage - 1

// ownedIndex returns which of the owned outputs key is, or -1.
func (c *config) ownedIndex(key []byte, owned uint16) int {
	for ; owned != 0; owned &= owned - 1 {
		if i := bits.TrailingZeros16(owned); string(key) == c.keys[i] {
			return i
		}
	}
	return -1
}

// errEntries means the walk did not record every entry (it cannot happen for a record the
// walk accepted); the caller then passes the record on unchanged.
var errEntries = errors.New("rewrite: entry count mismatch")

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
	addSpan := !hasSpan && pl.wants(outSpan)
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
		case string(k) == "span_id" && pl.wants(outSpan):
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
