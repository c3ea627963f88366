package grok

import (
	"fmt"
	"math/bits"
	"regexp/syntax"
	"sort"
	"unicode"
	"unicode/utf8"
)

// opcode is a backtracker instruction.
type opcode uint8

const (
	opMatch    opcode = iota // success
	opFail                   // never matches
	opByte                   // line[pos] == b (an ASCII literal)
	opLit                    // line[pos:] starts with lits[arg]
	opSet                    // one rune in sets[arg]
	opSplit                  // try out, then arg
	opCap                    // caps[arg] = pos
	opAssert                 // empty-width assertion b (assert*)
	opStar                   // greedy run of runes in sets[arg], at least b of them
	opLazyStar               // non-greedy run of runes in sets[arg], at least b of them
)

// Empty-width assertions.
const (
	assertBeginLine byte = iota
	assertEndLine
	assertBeginText
	assertEndText
	assertWordBoundary
	assertNoWordBoundary
)

type inst struct {
	op opcode
	b  byte
	// hint is, for opStar/opLazyStar, the ASCII byte the rest of the program
	// requires right after the run (or -1): only such end positions are tried.
	// For opSplit it indexes program.splitFirst (or is -1).
	hint int16
	out  int32
	arg  int32
}

// program is a compiled regular expression for the backtracker.
type program struct {
	insts []inst
	start int32
	lits  [][]byte
	sets  []charSet
	ncap  int // number of capture slots (2 per named capture)

	anchored   bool      // every match starts at 0 (leading \A)
	nullable   bool      // may match the empty string
	first      [4]uint64 // bytes a match can start with (when !nullable)
	firstASCII bool      // first holds only ASCII bytes
	required   []byte    // a literal every match contains, or nil
	// splitFirst[i] holds the bytes the preferred branch (out) of the splits with hint i
	// can start with; that branch cannot match the empty string, so when the next byte
	// is not among them the branch is skipped without pushing a choice.
	splitFirst [][4]uint64
}

func (p *program) canStartWith(c byte) bool { return p.first[c>>6]&(1<<(c&63)) != 0 }

// charSet is a set of runes: a bitmap for ASCII and sorted ranges above.
type charSet struct {
	ascii   [2]uint64
	ranges  []rune // lo, hi pairs, all >= utf8.RuneSelf
	allHigh bool   // every rune >= utf8.RuneSelf (and invalid UTF-8) is in the set
	// inRun holds the ASCII members, plus every byte >= 0x80 for allHigh
	// sets: runs of such bytes can be scanned without decoding UTF-8. When an
	// allHigh set lacks exactly one ASCII byte, stop is that byte (a run ends
	// at its first occurrence); when it lacks none, stop is noStop.
	inRun [4]uint64
	stop  int16
}

// stop values of charSet besides an ASCII byte.
const (
	noStop   = 256 // the set holds every rune
	manyStop = -1  // the set lacks several ASCII bytes (or is not allHigh)
)

func (s *charSet) continuesRun(c byte) bool { return s.inRun[c>>6]&(1<<(c&63)) != 0 }

func (s *charSet) hasASCII(c byte) bool { return s.ascii[c>>6]&(1<<(c&63)) != 0 }

func (s *charSet) hasHigh(r rune) bool {
	if s.allHigh {
		return true
	}
	rs := s.ranges
	// binary search over pairs
	lo, hi := 0, len(rs)/2
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch {
		case r < rs[2*m]:
			hi = m
		case r > rs[2*m+1]:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// width returns the byte width of the rune at line[pos] if it is in the set,
// else 0. pos < len(line).
func (s *charSet) width(line []byte, pos int) int {
	c := line[pos]
	if c < utf8.RuneSelf {
		if s.hasASCII(c) {
			return 1
		}
		return 0
	}
	r, w := utf8.DecodeRune(line[pos:])
	if s.hasHigh(r) {
		return w
	}
	return 0
}

// newCharSet builds a set from lo, hi rune pairs.
func newCharSet(pairs []rune) charSet {
	var s charSet
	var high []rune
	for i := 0; i+1 < len(pairs); i += 2 {
		lo, hi := pairs[i], pairs[i+1]
		for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
			s.ascii[r>>6] |= 1 << (r & 63)
		}
		if hi >= utf8.RuneSelf {
			high = append(high, max(lo, utf8.RuneSelf), hi)
		}
	}
	sortPairs(high)
	// merge overlapping or adjacent pairs
	var merged []rune
	for i := 0; i < len(high); i += 2 {
		if n := len(merged); n > 0 && high[i] <= merged[n-1]+1 {
			merged[n-1] = max(merged[n-1], high[i+1])
			continue
		}
		merged = append(merged, high[i], high[i+1])
	}
	s.ranges = merged
	s.allHigh = len(merged) == 2 && merged[0] == utf8.RuneSelf && merged[1] >= unicode.MaxRune
	s.stop = manyStop
	s.inRun = [4]uint64{s.ascii[0], s.ascii[1], 0, 0}
	if s.allHigh {
		s.inRun[2], s.inRun[3] = ^uint64(0), ^uint64(0)
		missing := 128 - bits.OnesCount64(s.ascii[0]) - bits.OnesCount64(s.ascii[1])
		switch missing {
		case 0:
			s.stop = noStop
		case 1:
			for c := range utf8.RuneSelf {
				if !s.hasASCII(byte(c)) {
					s.stop = int16(c)
				}
			}
		}
	}
	return s
}

func sortPairs(p []rune) {
	n := len(p) / 2
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return p[2*idx[a]] < p[2*idx[b]] })
	out := make([]rune, 0, len(p))
	for _, i := range idx {
		out = append(out, p[2*i], p[2*i+1])
	}
	copy(p, out)
}

// foldOrbit returns r and every rune equivalent to it under simple case
// folding, as lo, hi pairs (Go's regexp folds literals this way).
func foldOrbit(r rune) []rune {
	pairs := []rune{r, r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		pairs = append(pairs, f, f)
	}
	return pairs
}

// compiler turns a simplified syntax tree into a program, building it
// backwards: emit(re, next) returns the entry of re's code continuing at next.
type compiler struct {
	p      *program
	slotOf []int // syntax group index -> named capture index, -1 if unnamed
}

// compileProgram compiles a simplified regexp; slotOf maps group indices to
// named capture indices (-1 for groups that are not reported).
func compileProgram(re *syntax.Regexp, slotOf []int) (*program, error) {
	c := &compiler{p: &program{}, slotOf: slotOf}
	for _, s := range slotOf {
		if s >= 0 {
			c.p.ncap = max(c.p.ncap, 2*s+2)
		}
	}
	match := c.add(inst{op: opMatch})
	start, err := c.emit(re, match)
	if err != nil {
		return nil, err
	}
	c.p.start = start
	c.setHints()
	c.p.setSplitFirsts()
	c.p.anchored = startsWithBeginText(re)
	var first [4]uint64
	c.p.nullable = firstBytes(re, &first)
	c.p.first = first
	c.p.firstASCII = first[2] == 0 && first[3] == 0
	c.p.required = requiredLiteral(re)
	return c.p, nil
}

// setSplitFirsts computes splitFirst for every split whose preferred branch cannot match
// the empty string. Alternations of words (LOGLEVEL and the like) then cost one bit test
// per alternative that cannot start at the current byte, instead of a push and a pop.
func (p *program) setSplitFirsts() {
	seen := make([]bool, len(p.insts))
	for pc := range p.insts {
		in := &p.insts[pc]
		if in.op != opSplit {
			continue
		}
		in.hint = -1
		clear(seen)
		var set [4]uint64
		if p.firstFrom(in.out, &set, seen) || len(p.splitFirst) >= 1<<15-1 {
			continue
		}
		in.hint = int16(len(p.splitFirst))
		p.splitFirst = append(p.splitFirst, set)
	}
}

// firstFrom adds to set the bytes a match of the program from pc can start with, and
// reports whether it can reach opMatch without consuming a byte (then set is incomplete
// and must not be used). Assertions are passed through: the set is a superset.
func (p *program) firstFrom(pc int32, set *[4]uint64, seen []bool) (nullable bool) {
	if seen[pc] {
		return false // already counted (or on the current cycle, which others complete)
	}
	seen[pc] = true
	in := &p.insts[pc]
	switch in.op {
	case opFail:
		return false
	case opByte:
		set[in.b>>6] |= 1 << (in.b & 63)
		return false
	case opLit:
		if lit := p.lits[in.arg]; len(lit) > 0 {
			set[lit[0]>>6] |= 1 << (lit[0] & 63)
			return false
		}
		return p.firstFrom(in.out, set, seen)
	case opSet:
		p.sets[in.arg].addFirst(set)
		return false
	case opSplit:
		a := p.firstFrom(in.out, set, seen)
		b := p.firstFrom(in.arg, set, seen)
		return a || b
	case opCap, opAssert:
		return p.firstFrom(in.out, set, seen)
	case opStar, opLazyStar:
		p.sets[in.arg].addFirst(set)
		if in.b > 0 {
			return false
		}
		return p.firstFrom(in.out, set, seen)
	}
	return true // opMatch, or anything unknown: no filtering
}

// addFirst adds the bytes a rune of s can start with: its ASCII members, and every byte
// from 0x80 when it holds any other rune (invalid UTF-8 included, conservatively).
func (s *charSet) addFirst(set *[4]uint64) {
	set[0] |= s.ascii[0]
	set[1] |= s.ascii[1]
	if s.allHigh || len(s.ranges) > 0 {
		set[2], set[3] = ^uint64(0), ^uint64(0)
	}
}

func (c *compiler) add(in inst) int32 {
	c.p.insts = append(c.p.insts, in)
	return int32(len(c.p.insts) - 1)
}

func (c *compiler) addSet(s charSet) int32 {
	c.p.sets = append(c.p.sets, s)
	return int32(len(c.p.sets) - 1)
}

func (c *compiler) emit(re *syntax.Regexp, next int32) (int32, error) {
	switch re.Op {
	case syntax.OpNoMatch:
		return c.add(inst{op: opFail}), nil
	case syntax.OpEmptyMatch:
		return next, nil
	case syntax.OpLiteral:
		return c.literal(re.Rune, re.Flags&syntax.FoldCase != 0, next), nil
	case syntax.OpCharClass, syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		if re.Op == syntax.OpCharClass && len(re.Rune) == 0 {
			return c.add(inst{op: opFail}), nil
		}
		return c.add(inst{op: opSet, arg: c.addSet(singleSet(re)), out: next}), nil
	case syntax.OpBeginLine:
		return c.add(inst{op: opAssert, b: assertBeginLine, out: next}), nil
	case syntax.OpEndLine:
		return c.add(inst{op: opAssert, b: assertEndLine, out: next}), nil
	case syntax.OpBeginText:
		return c.add(inst{op: opAssert, b: assertBeginText, out: next}), nil
	case syntax.OpEndText:
		return c.add(inst{op: opAssert, b: assertEndText, out: next}), nil
	case syntax.OpWordBoundary:
		return c.add(inst{op: opAssert, b: assertWordBoundary, out: next}), nil
	case syntax.OpNoWordBoundary:
		return c.add(inst{op: opAssert, b: assertNoWordBoundary, out: next}), nil
	case syntax.OpCapture:
		slot := -1
		if re.Cap < len(c.slotOf) {
			slot = c.slotOf[re.Cap]
		}
		if slot < 0 {
			return c.emit(re.Sub[0], next)
		}
		end := c.add(inst{op: opCap, arg: int32(2*slot + 1), out: next})
		body, err := c.emit(re.Sub[0], end)
		if err != nil {
			return 0, err
		}
		return c.add(inst{op: opCap, arg: int32(2 * slot), out: body}), nil
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		return c.repeat(re, next)
	case syntax.OpConcat:
		for i := len(re.Sub) - 1; i >= 0; i-- {
			var err error
			if next, err = c.emit(re.Sub[i], next); err != nil {
				return 0, err
			}
		}
		return next, nil
	case syntax.OpAlternate:
		cur, err := c.emit(re.Sub[len(re.Sub)-1], next)
		if err != nil {
			return 0, err
		}
		for i := len(re.Sub) - 2; i >= 0; i-- {
			branch, err := c.emit(re.Sub[i], next)
			if err != nil {
				return 0, err
			}
			cur = c.add(inst{op: opSplit, out: branch, arg: cur})
		}
		return cur, nil
	default: // OpRepeat does not survive Simplify; anything else is unknown
		return 0, fmt.Errorf("%w: %s", errUnsupported, re.Op)
	}
}

// literal emits runes as byte comparisons where that is exact, and as rune
// sets for case-folded runes and for U+FFFD (which invalid UTF-8 decodes to).
func (c *compiler) literal(runes []rune, fold bool, next int32) int32 {
	type item struct {
		bytes []byte
		set   []rune
	}
	var items []item
	var buf []byte
	flush := func() {
		if len(buf) > 0 {
			items = append(items, item{bytes: buf})
			buf = nil
		}
	}
	for _, r := range runes {
		if fold {
			if orbit := foldOrbit(r); len(orbit) > 2 {
				flush()
				items = append(items, item{set: orbit})
				continue
			}
		}
		if r == utf8.RuneError || !utf8.ValidRune(r) {
			flush()
			items = append(items, item{set: []rune{r, r}})
			continue
		}
		buf = utf8.AppendRune(buf, r)
	}
	flush()
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		switch {
		case it.set != nil:
			next = c.add(inst{op: opSet, arg: c.addSet(newCharSet(it.set)), out: next})
		case len(it.bytes) == 1:
			next = c.add(inst{op: opByte, b: it.bytes[0], out: next})
		default:
			c.p.lits = append(c.p.lits, it.bytes)
			next = c.add(inst{op: opLit, arg: int32(len(c.p.lits) - 1), out: next})
		}
	}
	return next
}

// isSingleRune reports whether re always matches exactly one rune.
func isSingleRune(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpCharClass:
		return len(re.Rune) > 0
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpLiteral:
		return len(re.Rune) == 1
	}
	return false
}

// singleSet is the set of runes a single-rune regexp matches.
func singleSet(re *syntax.Regexp) charSet {
	switch re.Op {
	case syntax.OpAnyChar:
		return newCharSet([]rune{0, unicode.MaxRune})
	case syntax.OpAnyCharNotNL:
		return newCharSet([]rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune})
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return newCharSet(foldOrbit(re.Rune[0]))
		}
		return newCharSet([]rune{re.Rune[0], re.Rune[0]})
	default:
		return newCharSet(re.Rune)
	}
}

func (c *compiler) repeat(re *syntax.Regexp, next int32) (int32, error) {
	greedy := re.Flags&syntax.NonGreedy == 0
	sub := re.Sub[0]
	if re.Op != syntax.OpQuest {
		if nullable(sub) {
			// Go compiles x* with an empty-matching x specially and prunes
			// empty iterations; leave such loops to Go's regexp.
			return 0, fmt.Errorf("%w: loop over an expression that can match empty", errUnsupported)
		}
		if isSingleRune(sub) {
			op := opStar
			if !greedy {
				op = opLazyStar
			}
			var least byte
			if re.Op == syntax.OpPlus {
				least = 1
			}
			return c.add(inst{op: op, b: least, arg: c.addSet(singleSet(sub)), out: next, hint: -1}), nil
		}
	}
	split := c.add(inst{op: opSplit})
	bodyNext := next
	if re.Op != syntax.OpQuest {
		bodyNext = split // loop back
	}
	body, err := c.emit(sub, bodyNext)
	if err != nil {
		return 0, err
	}
	in := &c.p.insts[split]
	if greedy {
		in.out, in.arg = body, next
	} else {
		in.out, in.arg = next, body
	}
	if re.Op == syntax.OpPlus {
		return body, nil
	}
	return split, nil
}

// setHints records, for each run instruction, the ASCII byte that must follow
// it (when the next consuming instruction is a literal).
func (c *compiler) setHints() {
	insts := c.p.insts
	for i := range insts {
		if insts[i].op != opStar && insts[i].op != opLazyStar {
			continue
		}
		pc := insts[i].out
		for insts[pc].op == opCap {
			pc = insts[pc].out
		}
		switch next := insts[pc]; next.op {
		case opByte:
			insts[i].hint = int16(next.b)
		case opLit:
			if b := c.p.lits[next.arg][0]; b < utf8.RuneSelf {
				insts[i].hint = int16(b)
			}
		}
	}
}

// nullable reports whether re can match the empty string.
func nullable(re *syntax.Regexp) bool {
	var dummy [4]uint64
	return firstBytes(re, &dummy)
}

// firstBytes adds to set every byte a non-empty match of re can start with
// (a superset) and reports whether re can match the empty string.
func firstBytes(re *syntax.Regexp, set *[4]uint64) bool {
	addRange := func(lo, hi int) {
		for b := lo; b <= hi; b++ {
			set[b>>6] |= 1 << (b & 63)
		}
	}
	addRune := func(r rune) {
		if r < utf8.RuneSelf {
			addRange(int(r), int(r))
		} else {
			addRange(0x80, 0xff)
		}
	}
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			orbit := foldOrbit(re.Rune[0])
			for i := 0; i < len(orbit); i += 2 {
				addRune(orbit[i])
			}
		} else {
			addRune(re.Rune[0])
		}
		return false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if lo < utf8.RuneSelf {
				addRange(int(lo), int(min(hi, utf8.RuneSelf-1)))
			}
			if hi >= utf8.RuneSelf {
				addRange(0x80, 0xff)
			}
		}
		return false
	case syntax.OpAnyCharNotNL:
		addRange(0, '\n'-1)
		addRange('\n'+1, 0xff)
		return false
	case syntax.OpAnyChar:
		addRange(0, 0xff)
		return false
	case syntax.OpNoMatch:
		return false
	case syntax.OpCapture, syntax.OpPlus:
		return firstBytes(re.Sub[0], set)
	case syntax.OpStar, syntax.OpQuest:
		firstBytes(re.Sub[0], set)
		return true
	case syntax.OpRepeat:
		n := firstBytes(re.Sub[0], set)
		return n || re.Min == 0
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !firstBytes(sub, set) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		any := false
		for _, sub := range re.Sub {
			if firstBytes(sub, set) {
				any = true
			}
		}
		return any
	default: // empty match and empty-width assertions
		return true
	}
}

// startsWithBeginText reports whether every match of re must start with \A.
func startsWithBeginText(re *syntax.Regexp) bool {
	for {
		switch re.Op {
		case syntax.OpBeginText:
			return true
		case syntax.OpCapture:
			re = re.Sub[0]
		case syntax.OpConcat:
			if len(re.Sub) == 0 {
				return false
			}
			re = re.Sub[0]
		default:
			return false
		}
	}
}

// requiredLiteral returns the longest case-sensitive literal every match of
// re contains (from its top-level concatenation), or nil.
func requiredLiteral(re *syntax.Regexp) []byte {
	var best []byte
	var walk func(re *syntax.Regexp)
	walk = func(re *syntax.Regexp) {
		switch re.Op {
		case syntax.OpLiteral:
			if re.Flags&syntax.FoldCase != 0 {
				return
			}
			var b []byte
			for _, r := range re.Rune {
				if r == utf8.RuneError || !utf8.ValidRune(r) {
					return
				}
				b = utf8.AppendRune(b, r)
			}
			if len(b) > len(best) {
				best = b
			}
		case syntax.OpCapture, syntax.OpPlus:
			walk(re.Sub[0])
		case syntax.OpConcat:
			for _, sub := range re.Sub {
				walk(sub)
			}
		}
	}
	walk(re)
	if len(best) < 2 {
		return nil
	}
	return best
}
