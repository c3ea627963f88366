package grok

import (
	"bytes"
	"unicode/utf8"
)

// frameKind says what a backtracking stack entry undoes or retries.
type frameKind uint8

const (
	frameChoice  frameKind = iota // resume at pc, pos (the other branch of a split)
	frameRestore                  // restore caps[pc] = aux
	frameGreedy                   // run at pc last ended at pos; retry shorter, not below aux
	frameLazy                     // run at pc last ended at pos; retry one rune longer
)

type frame struct {
	kind frameKind
	pc   int32
	pos  int32
	aux  int32
}

// machine is the per-call state of the backtracker, reused through a
// sync.Pool so Match does not allocate.
type machine struct {
	stack []frame
}

// Step budget of one search: proportional to len(line) * program size and
// capped, so a pathological expression gives up quickly and Go's linear-time
// regexp answers instead.
const (
	minSteps = 1 << 12
	maxSteps = 1 << 21
)

func stepBudget(lineLen, progLen int) int {
	return min(max(4*(lineLen+1)*progLen, minSteps), maxSteps)
}

// search finds the leftmost-first match of p in line, writing named capture
// offsets into caps (all -1 on entry). finished is false when the step budget
// ran out; caps is then unspecified.
func (m *machine) search(p *program, line []byte, caps []int) (matched, finished bool) {
	if p.required != nil && !bytes.Contains(line, p.required) {
		return false, true
	}
	budget := stepBudget(len(line), len(p.insts))
	n := len(line)
	switch {
	case p.anchored:
		return m.run(p, line, caps, 0, &budget)
	case p.nullable:
		for s := 0; ; s += runeWidth(line, s) {
			if matched, finished := m.run(p, line, caps, s, &budget); matched || !finished {
				return matched, finished
			}
			if s >= n {
				return false, true
			}
		}
	case p.firstASCII:
		// ASCII bytes always start a rune, so no UTF-8 decoding is needed.
		for s := 0; s < n; s++ {
			if !p.canStartWith(line[s]) {
				continue
			}
			if matched, finished := m.run(p, line, caps, s, &budget); matched || !finished {
				return matched, finished
			}
		}
		return false, true
	default:
		for s := 0; s < n; s += runeWidth(line, s) {
			if !p.canStartWith(line[s]) {
				continue
			}
			if matched, finished := m.run(p, line, caps, s, &budget); matched || !finished {
				return matched, finished
			}
		}
		return false, true
	}
}

// run tries to match p at exactly start, exploring alternatives in priority
// order (so the first match found is Go's leftmost-first one).
func (m *machine) run(p *program, line []byte, caps []int, start int, budget *int) (matched, finished bool) {
	insts := p.insts
	stack := m.stack[:0]
	steps := *budget
	n := len(line)
	pc := p.start
	pos := start
	for {
		steps--
		if steps < 0 {
			m.stack = stack[:0]
			return false, false
		}
		in := &insts[pc]
		switch in.op {
		case opMatch:
			m.stack = stack[:0]
			*budget = steps
			return true, true
		case opByte:
			if pos < n && line[pos] == in.b {
				pos++
				pc = in.out
				continue
			}
		case opLit:
			lit := p.lits[in.arg]
			if n-pos >= len(lit) && string(line[pos:pos+len(lit)]) == string(lit) {
				pos += len(lit)
				pc = in.out
				continue
			}
		case opSet:
			if pos < n {
				if w := p.sets[in.arg].width(line, pos); w > 0 {
					pos += w
					pc = in.out
					continue
				}
			}
		case opSplit:
			if in.hint >= 0 {
				if pos >= n || p.splitFirst[in.hint][line[pos]>>6]&(1<<(line[pos]&63)) == 0 {
					pc = in.arg // the preferred branch cannot start here
					continue
				}
			}
			stack = append(stack, frame{kind: frameChoice, pc: in.arg, pos: int32(pos)})
			pc = in.out
			continue
		case opCap:
			stack = append(stack, frame{kind: frameRestore, pc: in.arg, aux: int32(caps[in.arg])})
			caps[in.arg] = pos
			pc = in.out
			continue
		case opAssert:
			if assertHolds(in.b, line, pos) {
				pc = in.out
				continue
			}
		case opStar:
			set := &p.sets[in.arg]
			lowest := pos
			if in.b > 0 {
				if pos >= n {
					break
				}
				w := set.width(line, pos)
				if w == 0 {
					break
				}
				lowest += w
			}
			end := scanRun(set, line, lowest)
			steps -= (end - lowest) >> 2
			if in.hint >= 0 {
				if end = lastByteIn(line, lowest, end, byte(in.hint)); end < 0 {
					break
				}
			}
			stack = append(stack, frame{kind: frameGreedy, pc: pc, pos: int32(end), aux: int32(lowest)})
			pos = end
			pc = in.out
			continue
		case opLazyStar:
			set := &p.sets[in.arg]
			if in.b > 0 {
				if pos >= n {
					break
				}
				w := set.width(line, pos)
				if w == 0 {
					break
				}
				pos += w
			}
			if in.hint >= 0 {
				end := nextByteIn(set, line, pos, byte(in.hint))
				if end < 0 {
					break
				}
				steps -= (end - pos) >> 2
				pos = end
			}
			stack = append(stack, frame{kind: frameLazy, pc: pc, pos: int32(pos)})
			pc = in.out
			continue
		}

		// The thread failed: pop the stack to the next alternative.
	backtrack:
		for {
			if len(stack) == 0 {
				m.stack = stack
				*budget = steps
				return false, true
			}
			steps--
			f := &stack[len(stack)-1]
			switch f.kind {
			case frameRestore:
				caps[f.pc] = int(f.aux)
				stack = stack[:len(stack)-1]
			case frameChoice:
				pc, pos = f.pc, int(f.pos)
				stack = stack[:len(stack)-1]
				break backtrack
			case frameGreedy:
				in := &insts[f.pc]
				end, lowest := int(f.pos), int(f.aux)
				if end > lowest {
					if in.hint >= 0 {
						end = lastByteIn(line, lowest, end-1, byte(in.hint))
					} else {
						end -= lastRuneWidth(line[:end])
					}
				} else {
					end = -1
				}
				if end < 0 {
					stack = stack[:len(stack)-1]
					continue
				}
				f.pos = int32(end)
				pc, pos = in.out, end
				break backtrack
			case frameLazy:
				in := &insts[f.pc]
				end := int(f.pos)
				w := 0
				if end < n {
					w = p.sets[in.arg].width(line, end)
				}
				if w == 0 {
					stack = stack[:len(stack)-1]
					continue
				}
				end += w
				if in.hint >= 0 {
					next := nextByteIn(&p.sets[in.arg], line, end, byte(in.hint))
					if next < 0 {
						stack = stack[:len(stack)-1]
						continue
					}
					steps -= (next - end) >> 2
					end = next
				}
				f.pos = int32(end)
				pc, pos = in.out, end
				break backtrack
			}
		}
	}
}

// scanRun returns the end of the longest run of runes in set from pos.
func scanRun(set *charSet, line []byte, pos int) int {
	if set.allHigh {
		// Every byte >= 0x80 belongs to a rune of the set, so the run ends at
		// the first ASCII byte outside it (ASCII bytes always start a rune).
		switch set.stop {
		case noStop:
			return len(line)
		case manyStop:
			for pos < len(line) && set.continuesRun(line[pos]) {
				pos++
			}
			return pos
		default:
			if i := bytes.IndexByte(line[pos:], byte(set.stop)); i >= 0 {
				return pos + i
			}
			return len(line)
		}
	}
	for {
		for pos < len(line) && set.continuesRun(line[pos]) {
			pos++
		}
		if pos >= len(line) || line[pos] < utf8.RuneSelf {
			return pos
		}
		r, w := utf8.DecodeRune(line[pos:])
		if !set.hasHigh(r) {
			return pos
		}
		pos += w
	}
}

// lastByteIn returns the largest e in [lo, hi] with e < len(line) and
// line[e] == b, or -1.
func lastByteIn(line []byte, lo, hi int, b byte) int {
	hi = min(hi+1, len(line))
	if lo >= hi {
		return -1
	}
	if i := bytes.LastIndexByte(line[lo:hi], b); i >= 0 {
		return lo + i
	}
	return -1
}

// nextByteIn returns the smallest e >= pos with line[e] == b such that every
// rune in line[pos:e] is in set, or -1.
func nextByteIn(set *charSet, line []byte, pos int, b byte) int {
	if set.allHigh && set.stop != manyStop {
		i := bytes.IndexByte(line[pos:], b)
		if i < 0 {
			return -1
		}
		if set.stop != noStop && bytes.IndexByte(line[pos:pos+i], byte(set.stop)) >= 0 {
			return -1
		}
		return pos + i
	}
	for pos < len(line) {
		c := line[pos]
		if c == b {
			return pos
		}
		if c < utf8.RuneSelf {
			if !set.hasASCII(c) {
				return -1
			}
			pos++
			continue
		}
		r, w := utf8.DecodeRune(line[pos:])
		if !set.hasHigh(r) {
			return -1
		}
		pos += w
	}
	return -1
}

// runeWidth is the width of the rune starting at line[pos] as Go's regexp
// steps over it (1 for invalid UTF-8), or 1 at the end of line.
func runeWidth(line []byte, pos int) int {
	if pos >= len(line) || line[pos] < utf8.RuneSelf {
		return 1
	}
	_, w := utf8.DecodeRune(line[pos:])
	return w
}

// lastRuneWidth is the width of the last rune of b (len(b) > 0).
func lastRuneWidth(b []byte) int {
	if b[len(b)-1] < utf8.RuneSelf {
		return 1
	}
	_, w := utf8.DecodeLastRune(b)
	return w
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// assertHolds evaluates an empty-width assertion at pos, as Go's regexp does
// (\b and \B use ASCII word characters only).
func assertHolds(kind byte, line []byte, pos int) bool {
	switch kind {
	case assertBeginText:
		return pos == 0
	case assertEndText:
		return pos == len(line)
	case assertBeginLine:
		return pos == 0 || line[pos-1] == '\n'
	case assertEndLine:
		return pos == len(line) || line[pos] == '\n'
	}
	before := pos > 0 && isWordByte(line[pos-1])
	after := pos < len(line) && isWordByte(line[pos])
	if kind == assertWordBoundary {
		return before != after
	}
	return before == after
}
