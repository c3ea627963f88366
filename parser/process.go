package parser

import (
	"bytes"
	"math/bits"
	"sync"
)

var scratchPool = sync.Pool{New: func() any { return new(Scratch) }}

// Scratch is the working memory of one Process call. Reusing one per goroutine (a flush
// loop, a CLI) saves Process a pool round trip per record. The zero value is ready to use;
// a Scratch must not be used by two goroutines at once.
type Scratch struct {
	sc scan
	// Validated says the records given to ProcessWith were already checked to be single,
	// well-formed msgpack maps (chunk.Walker does this for every event it returns), so the
	// walk may skip re-validating what it does not read. Leave it false for other input.
	Validated bool
	// rng is the random state Sample_Rate draws from for records without a trace.
	rng uint64
}

// Process appends record (one msgpack map) to dst: rewritten when it carries a valid trace
// context, byte-identical otherwise (no trace, invalid ids, or a record that is not a
// well-formed map). It never fails; Result says what happened. It is safe for concurrent use.
func (p *Processor) Process(dst, record []byte) ([]byte, Result) {
	s := scratchPool.Get().(*Scratch)
	defer scratchPool.Put(s)
	return p.ProcessWith(s, dst, record)
}

// ProcessWith is Process with caller-owned working memory.
func (p *Processor) ProcessWith(s *Scratch, dst, record []byte) ([]byte, Result) {
	sc := &s.sc
	sc.reset(&p.cfg)
	sc.validated = s.Validated
	var res Result

	if !sc.walkRecord(record) {
		return append(dst, record...), res
	}
	msg := trimSpace(sc.msg.s)
	if len(msg) > 0 && msg[0] == '{' {
		sc.scanMessageJSON(msg)
	}
	pl := &sc.plan
	win := &pl.win
	invalid := sc.resolve(win)
	fromGrok, textScanned := false, false
	var structured uint64 // fields found before the text scan
	if win.status != idOK && len(msg) > 0 {
		if len(p.cfg.grok) > 0 {
			sc.runGrok(msg)
			if sc.grokVals[gTrace].set() {
				c := sc.grokCandidate()
				if c.spanBad {
					invalid = true // the trace links, without the malformed span
				}
				if c.status == idInvalid {
					invalid = true
				}
				if c.status == idOK {
					*win, fromGrok = c, true
				}
			}
		}
		if win.status != idOK && !sc.msgJSON {
			structured = sc.set
			textScanned = true
			sc.scanText(msg)
			if sc.resolve(win) {
				invalid = true
			}
			if win.status != idOK {
				c, seen := findText(msg)
				if c.status == idOK {
					*win = c
				}
				invalid = invalid || seen && c.status != idOK
			}
		}
		if win.status != idOK && sc.msgJSON && len(sc.msgTail) > 0 {
			// Text after the app's JSON object (New Relic's NR-LINKING decoration).
			c, seen := findText(sc.msgTail)
			if c.status == idOK {
				*win = c
			}
			invalid = invalid || seen && c.status != idOK
		}
	}
	res.Invalid = invalid
	c := &p.cfg
	lv, haveLevel := lvNone, false
	if c.sample.on {
		lv, haveLevel = sc.level(msg, fromGrok), true
		if !c.sample.keep(lv, win.status == idOK, &win.ctx, &s.rng) {
			res.Dropped = true
			return dst, res
		}
	}
	if win.status != idOK {
		if c.mergeLog && sc.mergeable() {
			return p.mergeOnly(dst, record, sc, res)
		}
		return append(dst, record...), res
	}
	res.Source = win.source

	pl.level, pl.loc, pl.want = lvNone, sourceLoc{}, 0 // pl.extra is read only where pl.want says
	pl.setWant(outTrace, true)
	pl.setWant(outSpan, win.ctx.span != 0)
	pl.setWant(outSampled, c.outSampled != "" && win.ctx.sampled != triUnknown)
	if c.severity && c.outSeverity != "" {
		if !haveLevel {
			lv = sc.level(msg, fromGrok)
		}
		pl.level = lv
		pl.setWant(outSeverity, pl.level != lvNone)
	}
	res.Link = Link{
		TraceHi: win.ctx.trace.hi, TraceLo: win.ctx.trace.lo, Span: win.ctx.span,
		Sampled: win.ctx.sampled == triTrue, SampledKnown: win.ctx.sampled != triUnknown,
		Flags: win.ctx.flagsByte(),
	}
	if pl.level != lvNone {
		res.Link.Severity, res.Link.SeverityText = otelSeverityNumber[pl.level], pl.level.name(FormatOTel)
	}
	if c.sourceLoc && c.outSourceLoc != "" {
		sc.sourceLocation(&pl.loc)
		pl.setWant(outSourceLoc, !pl.loc.empty())
	}
	if fromGrok {
		for _, g := range [...][2]int{{gMessage, outMessage}, {gService, outService}, {gEnv, outEnv}, {gVersion, outVersion}} {
			if v := sc.grokVals[g[0]]; v.set() && sc.present&(1<<g[1]) == 0 {
				pl.extra[g[1]-outMessage] = v.s
				pl.setWant(g[1], true)
			}
		}
	} else if c.be.textAttrs && textScanned {
		// dd.service/env/version found in a text line become attributes; structured ones already are.
		for _, g := range [...][2]int{{int(fDDService), outService}, {int(fDDEnv), outEnv}, {int(fDDVersion), outVersion}} {
			if v := sc.vals[g[0]]; v.kind == vkString && structured&(1<<g[0]) == 0 && sc.present&(1<<g[1]) == 0 {
				pl.extra[g[1]-outMessage] = v.s
				pl.setWant(g[1], true)
			}
		}
	}
	if c.eventTime {
		res.Time, res.HasTime = sc.eventTime(msg, fromGrok)
	}
	return p.apply(dst, record, pl, sc, res)
}

// mergeOnly applies Merge_Log to a record with no link: its JSON line is lifted into the
// record like a linked one's, so every record of a stream has the same structure.
func (p *Processor) mergeOnly(dst, record []byte, sc *scan, res Result) ([]byte, Result) {
	pl := &sc.plan
	pl.level, pl.loc, pl.want = lvNone, sourceLoc{}, 0
	return p.apply(dst, record, pl, sc, res)
}

// apply appends the record rewritten by plan pl and sets res.Changed. When the record
// cannot be rewritten it is appended as it came, with a result that says only whether it
// held an invalid id.
func (p *Processor) apply(dst, record []byte, pl *plan, sc *scan, res Result) ([]byte, Result) {
	start := len(dst)
	out, err := p.rewrite(dst, record, pl, sc)
	if err != nil {
		return append(dst[:start], record...), Result{Invalid: res.Invalid}
	}
	// Appending a key always changes the record; only in-place rewrites can leave it as it was.
	res.Changed = len(out)-start != len(record) || !bytes.Equal(out[start:], record)
	return out, res
}

// trimSpace is bytes.TrimSpace with an inlined fast path for the common case: nothing to trim.
func trimSpace(s []byte) []byte {
	if len(s) == 0 || (s[0] > ' ' && s[0] < 0x80 && s[len(s)-1] > ' ' && s[len(s)-1] < 0x80) {
		return s
	}
	return bytes.TrimSpace(s)
}

// level picks the record's level: structured keys first, then grok, then text.
func (sc *scan) level(msg []byte, fromGrok bool) level {
	if v := sc.vals[fLevel]; v.set() {
		if lv := levelOf(v, false); lv != lvNone {
			return lv
		}
	}
	if v := sc.vals[fLevelNumber]; v.set() {
		if lv := levelOf(v, true); lv != lvNone {
			return lv
		}
	}
	if fromGrok && sc.grokVals[gLevel].set() {
		return levelFromWord(sc.grokVals[gLevel].s)
	}
	if sc.textLevel.set() {
		if lv := levelFromWord(sc.textLevel.s); lv != lvNone {
			return lv
		}
	}
	if len(msg) > 0 && !sc.msgJSON {
		return textLineLevel(msg)
	}
	return lvNone
}

// eventTime picks the log's own timestamp when it is unambiguous (zoned, or an epoch number).
func (sc *scan) eventTime(msg []byte, fromGrok bool) (EventTime, bool) {
	if v := sc.vals[fTime]; v.set() {
		return timeOf(v)
	}
	if fromGrok && sc.grokVals[gTime].set() {
		return timeOf(sc.grokVals[gTime])
	}
	if sc.textTime.set() {
		return timeOf(sc.textTime)
	}
	if len(msg) > 0 && !sc.msgJSON {
		s := msg
		if s[0] == '[' {
			s = s[1:]
		}
		if t, n, ok := parseZonedTime(s); ok && (n == len(s) || s[n] == ' ' || s[n] == ']' || s[n] == '\t') {
			return t, true
		}
	}
	return EventTime{}, false
}

// mergeable reports whether Merge_Log may replace the message field by its members: the
// line is one JSON object and nothing else (text after it, as New Relic appends its
// NR-LINKING decoration, would be lost with the field).
func (sc *scan) mergeable() bool { return sc.msgJSON && len(sc.msgTail) == 0 }

// scanMessageJSON scans the app's JSON line. When the line turns out not to be well-formed
// JSON, whatever the partial scan found is forgotten: the line is then read as text.
func (sc *scan) scanMessageJSON(msg []byte) {
	before := sc.set
	kt, ks, kS := sc.keyTrace, sc.keySpan, sc.keySampled
	var rest []byte
	rest, sc.msgJSON = sc.walkJSONObject(msg, 0)
	if sc.msgJSON {
		sc.msgTail = trimSpace(rest)
		return
	}
	for m := sc.set &^ before; m != 0; m &= m - 1 {
		sc.vals[bits.TrailingZeros64(m)] = value{}
	}
	sc.set = before
	sc.keyTrace, sc.keySpan, sc.keySampled = kt, ks, kS
}
