package parser

import (
	"bytes"
	"math"
	"math/bits"

	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/grok"
)

// valKind is the type of a value found in the record.
type valKind uint8

const (
	vkNone   valKind = iota
	vkString         // s holds the text (unescaped)
	vkUint           // u holds a non-negative integer
	vkNeg            // a negative integer; u holds its two's complement (a signed Datadog id)
	vkMulti          // several values where one is expected (a header sent twice): never an id
	vkFloat          // f holds a float
	vkNumber         // s holds a JSON number literal
	vkBool           // b holds the flag
	vkMap            // s holds a raw map: msgpack, or JSON text when json is set
)

// value is one value found in the record, referencing the record's bytes (or scratch).
type value struct {
	s    []byte
	u    uint64 // the integer, or the bits of the float (see float)
	kind valKind
	b    bool
	json bool
}

// float returns the value of a vkFloat.
func (v *value) float() float64 { return math.Float64frombits(v.u) }

func (v *value) set() bool { return v.kind != vkNone }

// entry locates one top-level record entry by offsets into the record: the entry runs from
// start to end, its key's bytes from key to val (key is -1 for a key that is not a string),
// its value from val to end.
type entry struct {
	start, key, val, end int
}

// maxDepth bounds how deep nested maps are searched for trace context.
const maxDepth = 4

// scan is the per-record working state. It is pooled: nothing in it outlives one Process call.
type scan struct {
	cand candidate // resolve's scratch candidate
	cfg  *config
	vals [numFields]value
	set  uint64 // bit f set when vals[f] holds a value
	// explicit Trace_Key / Span_Key / Sampled_Key values
	keyTrace, keySpan, keySampled value
	// the values under the output keys at the top level (a record tracelink already rewrote)
	outVals [3]value
	// the message field (log/message/msg or Message_Key) at the top level
	msg     value
	msgKey  []byte
	msgRank int    // lower is better; 0 = Message_Key match
	msgJSON bool   // the message held a JSON object that was scanned
	msgTail []byte // text after that object (New Relic appends its NR-LINKING there)
	// bit i: output key i already exists at the top level (it is rewritten in place)
	present     uint16
	memo        keyMemo // what the top-level keys mean
	textMemo    keyMemo // what the keys of text lines mean
	plan        plan    // what the rewrite writes
	validated   bool    // the record is known to be one well-formed map (see Scratch.Validated)
	ddNested    bool    // a top-level "dd" map carries trace_id (Datadog: rewrite inside it)
	path        [maxDepth][]byte
	entries     []entry // the record's top-level entries, as offsets into it
	merge       []byte  // Merge_Log: the lifted members, transcoded
	rec         []byte  // the record being processed
	unesc       []byte  // scratch for unescaped JSON strings
	grokCaps    []int
	grokMachine grok.Machine
	grokVals    [numGrokFields]value
	grokRadix   [numGrokFields]radix
	textLevel   value
	textTime    value
}

func (sc *scan) reset(cfg *config) {
	for m := sc.set; m != 0; m &= m - 1 {
		sc.vals[bits.TrailingZeros64(m)] = value{}
	}
	sc.set = 0
	sc.cfg = cfg
	sc.memo.forConfig(cfg)
	sc.textMemo.forConfig(cfg)
	// What is rarely set is cleared only when it was.
	if sc.keyTrace.kind|sc.keySpan.kind|sc.keySampled.kind != vkNone {
		sc.keyTrace, sc.keySpan, sc.keySampled = value{}, value{}, value{}
	}
	sc.msg, sc.msgKey, sc.msgRank, sc.msgJSON, sc.msgTail = value{}, nil, 1<<30, false, nil
	if sc.present != 0 { // outVals are only read from keys that set a present bit
		sc.outVals = [3]value{}
		sc.present = 0
	}
	sc.ddNested = false
	sc.unesc = sc.unesc[:0]
	sc.entries = sc.entries[:0]
	if len(cfg.grok) > 0 {
		sc.grokVals = [numGrokFields]value{}
	}
	if sc.textLevel.kind|sc.textTime.kind != vkNone {
		sc.textLevel, sc.textTime = value{}, value{}
	}
}

// keep stores v in slot f unless the slot is already taken (first occurrence wins).
func (sc *scan) keep(f field, v value) {
	if sc.set&(1<<f) == 0 {
		sc.vals[f] = v
		sc.set |= 1 << f
	}
}

// overrideMatch reports whether the key at the current path matches an explicit key path
// (element 0 is the whole property value as one flat key, the rest its dotted parts).
func (sc *scan) overrideMatch(keyPath []string, depth int, key []byte) bool {
	if len(keyPath) == 0 {
		return false
	}
	if depth == 0 && matchesFlat(keyPath, key) {
		return true
	}
	parts := keyPath[1:]
	if len(parts) < 2 || depth+1 != len(parts) {
		return false
	}
	for i := 0; i < depth; i++ {
		if !bytes.EqualFold(sc.path[i], []byte(parts[i])) {
			return false
		}
	}
	return bytes.EqualFold(key, []byte(parts[depth]))
}

// matchesFlat reports whether key is an explicit key path's whole value taken as one flat key.
func matchesFlat(keyPath []string, key []byte) bool {
	return len(keyPath) > 0 && bytes.EqualFold(key, []byte(keyPath[0]))
}

// overrideSlotOf returns the explicit-key slot numbered o (1 Trace_Key, 2 Span_Key,
// 3 Sampled_Key, as in topKey.override), or nil when o is 0 or the slot is already taken.
func (sc *scan) overrideSlotOf(o uint8) *value {
	var slot *value
	switch o {
	case 1:
		slot = &sc.keyTrace
	case 2:
		slot = &sc.keySpan
	case 3:
		slot = &sc.keySampled
	}
	if slot != nil && slot.set() {
		return nil
	}
	return slot
}

// overrideSlot returns the explicit-key slot (Trace_Key, Span_Key, Sampled_Key) the key at
// this path fills, or nil when it fills none or the slot is already taken.
func (sc *scan) overrideSlot(depth int, key []byte) *value {
	cfg := sc.cfg
	for i, path := range [...][]string{cfg.traceKey, cfg.spanKey, cfg.sampledKey} {
		if sc.overrideMatch(path, depth, key) {
			return sc.overrideSlotOf(uint8(i + 1))
		}
	}
	return nil
}

// walkRecord scans the record's top-level map for trace context and locates its entries.
// It reports false when the record is not one well-formed msgpack map.
func (sc *scan) walkRecord(rec []byte) bool {
	n, b, err := msgp.ReadMapHeaderBytes(rec)
	if err != nil {
		return false
	}
	sc.rec = rec
	for i := uint32(0); i < n; i++ {
		e := entry{start: len(rec) - len(b), key: -1}
		key, rest, ok := readStr(b)
		if !ok {
			// A non-string key (bin included) is never ours: the entry is kept as it is.
			if b, err = skipValue(b); err == nil {
				b, err = skipValue(b)
			}
			if err != nil {
				return false
			}
			e.end = len(rec) - len(b)
			sc.entries = append(sc.entries, e)
			continue
		}
		b = rest
		e.key, e.val = len(rec)-len(b)-len(key), len(rec)-len(b)
		if b, err = sc.onTopEntry(b, key, sc.memo.lookup(key, classifyTop), i == n-1); err != nil {
			return false
		}
		e.end = len(rec) - len(b)
		sc.entries = append(sc.entries, e)
	}
	return len(b) == 0
}

// onTopEntry handles one top-level key/value pair; b starts at the value. last says it is
// the record's last entry.
func (sc *scan) onTopEntry(b, key []byte, k topKey, last bool) ([]byte, error) {
	if k.present() != 0 {
		sc.present |= k.present()
		if o := k.out(); o >= 0 && !sc.outVals[o].set() {
			v, _, err := readMsgpackScalar(b)
			if err != nil {
				return b, err
			}
			sc.outVals[o] = v
		}
	}
	if k.override() != 0 {
		if slot := sc.overrideSlotOf(k.override()); slot != nil {
			v, rest, err := readMsgpackScalar(b)
			if err != nil {
				return rest, err
			}
			*slot = v
			return rest, nil
		}
	}
	if r := k.msgRank(); r >= 0 && r < sc.msgRank {
		if s, rest, ok := readStrOrBin(b); ok {
			sc.msg, sc.msgRank, sc.msgKey = value{kind: vkString, s: s}, r, key
			return rest, nil
		}
	}
	if len(b) == 0 {
		return b, msgp.ErrShortBytes
	}
	if isMap(b[0]) {
		if k.is(topKubernetes) {
			if last && sc.validated {
				// Fluent Bit's kubernetes filter appends its map last; the chunk walker already
				// checked the record, so the map simply runs to the record's end.
				return b[len(b):], nil
			}
			return skipValue(b)
		}
		if k.field() == fSourceLoc {
			raw, rest, err := rawValue(b)
			if err == nil {
				sc.keep(fSourceLoc, value{kind: vkMap, s: raw})
			}
			return rest, err
		}
		sc.path[0] = key
		if k.is(topDD) {
			before := sc.vals[fDDTrace].set()
			rest, err := sc.walkMsgpackMap(b, 1)
			if !before && sc.vals[fDDTrace].set() {
				sc.ddNested = true
			}
			return rest, err
		}
		return sc.walkMsgpackMap(b, 1)
	}
	if k.is(topScopes) && msgp.NextType(b) == msgp.ArrayType {
		sc.path[0] = key
		return sc.walkMsgpackMapArray(b, 1, isOTLPBatchKey(key))
	}
	return sc.onScalarEntry(b, k.field())
}

// walkMsgpackMapArray walks the maps of an array (see isScopesKey) as nested maps at depth
// (their key is sc.path[depth-1]); other elements are skipped, and so is the whole array
// when onlyOne is set and it does not hold exactly one element (see isOTLPBatchKey). It
// returns the bytes after the array.
func (sc *scan) walkMsgpackMapArray(b []byte, depth int, onlyOne bool) ([]byte, error) {
	if onlyOne {
		if n, _, err := msgp.ReadArrayHeaderBytes(b); err != nil || n != 1 {
			return skipValue(b)
		}
	}
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return b, err
	}
	for i := uint32(0); i < n; i++ {
		if len(b) > 0 && isMap(b[0]) && depth < maxDepth {
			b, err = sc.walkMsgpackMap(b, depth)
		} else {
			b, err = skipValue(b)
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// walkMsgpackMap scans a nested msgpack map (depth >= 1: its key is sc.path[depth-1]) for
// trace context. It returns the bytes after the map.
func (sc *scan) walkMsgpackMap(b []byte, depth int) ([]byte, error) {
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return b, err
	}
	parent := sc.path[depth-1]
	for i := uint32(0); i < n; i++ {
		key, rest, ok := readStrOrBin(b)
		if !ok {
			b, err = skipValue(b) // non-string key: never ours
			if err == nil {
				b, err = skipValue(b)
			}
			if err != nil {
				return b, err
			}
			continue
		}
		if b, err = sc.onMsgpackEntry(rest, key, parent, depth); err != nil {
			return b, err
		}
	}
	return b, nil
}

// onMsgpackEntry handles one key/value pair of a nested map; b starts at the value.
func (sc *scan) onMsgpackEntry(b, key, parent []byte, depth int) ([]byte, error) {
	if sc.cfg.hasKeys {
		if slot := sc.overrideSlot(depth, key); slot != nil {
			v, rest, err := readMsgpackScalar(b)
			if err != nil {
				return rest, err
			}
			*slot = v
			return rest, nil
		}
	}
	if len(b) == 0 {
		return b, msgp.ErrShortBytes
	}
	f := classifyAt(parent, key, false, depth == 1)
	if isMap(b[0]) {
		if f == fSourceLoc {
			raw, rest, err := rawValue(b)
			if err == nil {
				sc.keep(f, value{kind: vkMap, s: raw})
			}
			return rest, err
		}
		if depth+1 >= maxDepth {
			return skipValue(b)
		}
		sc.path[depth] = key
		return sc.walkMsgpackMap(b, depth+1)
	}
	if depth+1 < maxDepth && msgp.NextType(b) == msgp.ArrayType {
		if otlp := isOTLPBatchKey(key); otlp || isScopesKey(key) {
			sc.path[depth] = key
			return sc.walkMsgpackMapArray(b, depth+1, otlp)
		}
	}
	return sc.onScalarEntry(b, f)
}

// onScalarEntry handles a value that is not a map under a key meaning f; b starts at the value.
func (sc *scan) onScalarEntry(b []byte, f field) ([]byte, error) {
	if f == fNone {
		if s, rest, ok := readStr(b); ok {
			if len(s) >= minShaped {
				if g := shapeField(s); g != fNone {
					sc.keep(g, value{kind: vkString, s: s})
				}
			}
			return rest, nil
		}
		return skipValue(b)
	}
	if f == fSourceLoc {
		return skipValue(b)
	}
	if msgp.NextType(b) == msgp.ArrayType {
		// Header dumps: {"Traceparent": ["00-..."]}: the one string counts; two or more are
		// a header sent twice, which never links (see keepJSONArray).
		n, rest, err := msgp.ReadArrayHeaderBytes(b)
		if err != nil {
			return rest, err
		}
		var first value
		strs := 0
		for j := uint32(0); j < n; j++ {
			if msgp.NextType(rest) == msgp.StrType {
				if strs == 0 {
					if first, rest, err = readMsgpackScalar(rest); err != nil {
						return rest, err
					}
					strs++
					continue
				}
				strs++
			}
			if rest, err = skipValue(rest); err != nil {
				return rest, err
			}
		}
		switch {
		case strs == 1:
			sc.keep(f, first)
		case strs > 1:
			sc.keep(f, value{kind: vkMulti})
		}
		return rest, nil
	}
	v, rest, err := readMsgpackScalar(b)
	if err != nil {
		return rest, err
	}
	if v.set() {
		sc.keep(f, v)
	}
	return rest, nil
}

// isMap reports whether a msgpack type byte starts a map.
func isMap(c byte) bool { return c&0xf0 == 0x80 || c == 0xde || c == 0xdf }

// readStr reads the msgpack str at the start of b without copying.
func readStr(b []byte) (s, rest []byte, ok bool) {
	if len(b) > 0 && b[0]&0xe0 == 0xa0 { // fixstr, the common case
		n := 1 + int(b[0]&0x1f)
		if len(b) < n {
			return nil, b, false
		}
		return b[1:n], b[n:], true
	}
	return readStrLong(b)
}

func readStrLong(b []byte) (s, rest []byte, ok bool) {
	if msgp.NextType(b) != msgp.StrType {
		return nil, b, false
	}
	s, rest, err := msgp.ReadStringZC(b)
	return s, rest, err == nil
}

// readStrOrBin reads a msgpack str or bin at the start of b without copying.
func readStrOrBin(b []byte) (s, rest []byte, ok bool) {
	if s, rest, ok = readStr(b); ok || len(b) == 0 || msgp.NextType(b) != msgp.BinType {
		return s, rest, ok
	}
	s, rest, err := msgp.ReadBytesZC(b)
	return s, rest, err == nil
}

// looksLikeTraceResource is a cheap test for "projects/P/traces/<32 hex>" under a key of any
// name (scraped or renamed logs lose the logging.googleapis.com/trace key, not the value).
func looksLikeTraceResource(v []byte) bool {
	return len(v) >= len("projects/a/traces/")+32 && len(v) <= 160 && v[0] == 'p' &&
		bytes.HasPrefix(v, []byte("projects/")) && v[len(v)-33] == '/' && bytes.Contains(v, []byte("/traces/"))
}

// skipValue returns b after the msgpack value at its start.
func skipValue(b []byte) ([]byte, error) { return msgp.Skip(b) }

// rawValue returns the bytes of the msgpack value at the start of b.
func rawValue(b []byte) (raw, rest []byte, err error) {
	rest, err = skipValue(b)
	if err != nil {
		return nil, rest, err
	}
	return b[:len(b)-len(rest)], rest, nil
}

// readMsgpackScalar reads a string/bin/int/float/bool value; other types are skipped and
// come back unset.
func readMsgpackScalar(b []byte) (value, []byte, error) {
	var v value
	var err error
	switch msgp.NextType(b) {
	case msgp.StrType:
		v.kind = vkString
		v.s, b, err = msgp.ReadStringZC(b)
	case msgp.BinType:
		v.kind = vkString
		v.s, b, err = msgp.ReadBytesZC(b)
	case msgp.UintType:
		v.kind = vkUint
		v.u, b, err = msgp.ReadUint64Bytes(b)
	case msgp.IntType:
		var i int64
		i, b, err = msgp.ReadInt64Bytes(b)
		if i >= 0 {
			v.kind, v.u = vkUint, uint64(i)
		} else {
			v.kind, v.u = vkNeg, uint64(i)
		}
	case msgp.Float64Type:
		var f float64
		f, b, err = msgp.ReadFloat64Bytes(b)
		v.kind, v.u = vkFloat, math.Float64bits(f)
	case msgp.Float32Type:
		var f float32
		f, b, err = msgp.ReadFloat32Bytes(b)
		v.kind, v.u = vkFloat, math.Float64bits(float64(f))
	case msgp.BoolType:
		v.kind = vkBool
		v.b, b, err = msgp.ReadBoolBytes(b)
	default:
		b, err = skipValue(b)
	}
	return v, b, err
}
