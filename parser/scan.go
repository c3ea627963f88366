package parser

import (
	"bytes"
	"math"
	"math/bits"

	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/chunk"
)

// valKind is the type of a value found in the record.
type valKind uint8

const (
	vkNone   valKind = iota
	vkString         // s holds the text (unescaped)
	vkUint           // u holds a non-negative integer
	vkNeg            // a negative integer (never a valid id)
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

// entry locates one top-level record entry: key bytes and offsets into the record.
type entry struct {
	key             []byte // nil for a non-string key
	start, val, end int
}

// maxDepth bounds how deep nested maps are searched for trace context.
const maxDepth = 4

// scan is the per-record working state. It is pooled: nothing in it outlives one Process call.
type scan struct {
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
	msgRank int  // lower is better; 0 = Message_Key match
	msgJSON bool // the message held a JSON object that was scanned
	// which output keys already exist at the top level (rewritten in place)
	present    [numOut]bool
	anyPresent bool
	validated  bool // the record is known to be one well-formed map (see Scratch.Validated)
	lastEntry  bool // the walk is at the record's last top-level entry
	ddNested   bool // a top-level "dd" map carries trace_id (Datadog: rewrite inside it)
	path       [maxDepth][]byte
	entries    []entry // the record's top-level entries, as offsets into it
	merge      []byte  // Merge_Log: the lifted members, transcoded
	recLen     int     // length of the record being walked
	unesc      []byte  // scratch for unescaped JSON strings
	out        []byte  // scratch for formatted values
	grokCaps   []int
	grokVals   [numGrokFields]value
	grokRadix  [numGrokFields]radix
	textLevel  value
	textTime   value
}

func (sc *scan) reset(cfg *config) {
	for m := sc.set; m != 0; m &= m - 1 {
		sc.vals[bits.TrailingZeros64(m)] = value{}
	}
	sc.set = 0
	sc.cfg = cfg
	sc.keyTrace, sc.keySpan, sc.keySampled = value{}, value{}, value{}
	sc.msg, sc.msgKey, sc.msgRank, sc.msgJSON = value{}, nil, 1<<30, false
	sc.present = [numOut]bool{}
	sc.anyPresent = false
	sc.outVals = [3]value{}
	sc.ddNested = false
	sc.unesc, sc.out = sc.unesc[:0], sc.out[:0]
	sc.entries = sc.entries[:0]
	if len(cfg.grok) > 0 {
		sc.grokVals = [numGrokFields]value{}
	}
	sc.textLevel, sc.textTime = value{}, value{}
}

// keep stores v in slot f unless the slot is already taken (first occurrence wins).
func (sc *scan) keep(f field, v value) {
	if sc.set&(1<<f) == 0 {
		sc.vals[f] = v
		sc.set |= 1 << f
	}
}

// msgRankOf ranks a top-level key as the message field: Message_Key, else log, message, msg.
func (sc *scan) msgRankOf(key []byte) int {
	if sc.cfg.messageKey != "" {
		if bytes.EqualFold(key, []byte(sc.cfg.messageKey)) {
			return 0
		}
		return -1
	}
	switch string(key) {
	case "log":
		return 1
	case "message":
		return 2
	case "msg":
		return 3
	case "MESSAGE":
		return 4
	}
	return -1
}

// overrideMatch reports whether the key at the current path matches an explicit key path
// (element 0 is the whole property value as one flat key, the rest its dotted parts).
func (sc *scan) overrideMatch(keyPath []string, depth int, key []byte) bool {
	if len(keyPath) == 0 {
		return false
	}
	if depth == 0 && bytes.EqualFold(key, []byte(keyPath[0])) {
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

// overrideSlot returns the explicit-key slot (Trace_Key, Span_Key, Sampled_Key) the key at
// this path fills, or nil when it fills none or the slot is already taken.
func (sc *scan) overrideSlot(depth int, key []byte) *value {
	var slot *value
	switch cfg := sc.cfg; {
	case sc.overrideMatch(cfg.traceKey, depth, key):
		slot = &sc.keyTrace
	case sc.overrideMatch(cfg.spanKey, depth, key):
		slot = &sc.keySpan
	case sc.overrideMatch(cfg.sampledKey, depth, key):
		slot = &sc.keySampled
	}
	if slot != nil && slot.set() {
		return nil
	}
	return slot
}

// walkMsgpackMap scans a msgpack map for trace context. depth 0 is the record itself.
// It returns the bytes after the map.
func (sc *scan) walkMsgpackMap(b []byte, depth int, top bool) ([]byte, error) {
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return b, err
	}
	var parent []byte
	if depth > 0 {
		parent = sc.path[depth-1]
	}
	for i := uint32(0); i < n; i++ {
		var key []byte
		start := len(b)
		sc.lastEntry = depth == 0 && i == n-1
		t := msgp.NextType(b)
		if t == msgp.StrType {
			key, b, err = msgp.ReadStringZC(b)
		} else if t == msgp.BinType {
			key, b, err = msgp.ReadBytesZC(b)
		} else {
			b, err = skipValue(b) // non-string key: never ours
			val := len(b)
			if err == nil {
				b, err = skipValue(b)
			}
			if err != nil {
				return b, err
			}
			if depth == 0 {
				sc.entries = append(sc.entries, entry{start: sc.recLen - start, val: sc.recLen - val, end: sc.recLen - len(b)})
			}
			continue
		}
		if err != nil {
			return b, err
		}
		if depth == 0 && t == msgp.BinType {
			key = nil // a bin key is kept as it is, never matched
		}
		val := len(b)
		if depth == 0 {
			if o := sc.notePresent(key); o >= 0 && !sc.outVals[o].set() {
				v, rest, err := readMsgpackScalar(b)
				if err != nil {
					return rest, err
				}
				sc.outVals[o] = v
			}
		}
		if b, err = sc.onMsgpackEntry(b, key, parent, depth, top); err != nil {
			return b, err
		}
		if depth == 0 {
			sc.entries = append(sc.entries, entry{key: key, start: sc.recLen - start, val: sc.recLen - val, end: sc.recLen - len(b)})
		}
	}
	return b, nil
}

// onMsgpackEntry handles one key/value pair; b starts at the value.
func (sc *scan) onMsgpackEntry(b, key, parent []byte, depth int, top bool) ([]byte, error) {
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
	if depth == 0 {
		if r := sc.msgRankOf(key); r >= 0 && r < sc.msgRank {
			t := msgp.NextType(b)
			if t == msgp.StrType || t == msgp.BinType {
				v, rest, err := readMsgpackScalar(b)
				if err != nil {
					return rest, err
				}
				sc.msg, sc.msgRank, sc.msgKey = v, r, key
				return rest, nil
			}
		}
	}
	t := msgp.NextType(b)
	if t == msgp.MapType {
		if depth == 0 && string(key) == "kubernetes" && sc.lastEntry && sc.validated {
			// Fluent Bit's kubernetes filter appends its map last; the chunk walker already
			// checked the record, so the map simply runs to the record's end.
			return b[len(b):], nil
		}
		if depth+1 >= maxDepth || (depth == 0 && string(key) == "kubernetes") {
			return skipValue(b)
		}
		f := classifyAt(parent, key, top, depth == 1)
		if f == fSourceLoc {
			raw, rest, err := rawValue(b)
			if err == nil {
				sc.keep(f, value{kind: vkMap, s: raw})
			}
			return rest, err
		}
		if depth == 0 && string(key) == "dd" {
			sc.path[depth] = key
			before := sc.vals[fDDTrace].set()
			rest, err := sc.walkMsgpackMap(b, depth+1, false)
			if !before && sc.vals[fDDTrace].set() {
				sc.ddNested = true
			}
			return rest, err
		}
		sc.path[depth] = key
		return sc.walkMsgpackMap(b, depth+1, false)
	}
	f := classifyAt(parent, key, top, depth == 1)
	if f == fNone && t == msgp.StrType {
		v, rest, err := msgp.ReadStringZC(b)
		if err == nil && looksLikeTraceResource(v) {
			sc.keep(fGoogleTraceValue, value{kind: vkString, s: v})
		}
		return rest, err
	}
	if f == fNone || f == fSourceLoc {
		return skipValue(b)
	}
	if t == msgp.ArrayType {
		// Header dumps: {"Traceparent": ["00-..."]}: the first string counts.
		n, rest, err := msgp.ReadArrayHeaderBytes(b)
		if err != nil {
			return rest, err
		}
		for j := uint32(0); j < n; j++ {
			if j == 0 && msgp.NextType(rest) == msgp.StrType {
				var v value
				v, rest, err = readMsgpackScalar(rest)
				if err != nil {
					return rest, err
				}
				sc.keep(f, v)
				continue
			}
			if rest, err = skipValue(rest); err != nil {
				return rest, err
			}
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

// looksLikeTraceResource is a cheap test for "projects/P/traces/<32 hex>" under a key of any
// name (scraped or renamed logs lose the logging.googleapis.com/trace key, not the value).
func looksLikeTraceResource(v []byte) bool {
	return len(v) >= len("projects/a/traces/")+32 && len(v) <= 160 && v[0] == 'p' &&
		bytes.HasPrefix(v, []byte("projects/")) && v[len(v)-33] == '/' && bytes.Contains(v, []byte("/traces/"))
}

// skipValue returns b after the msgpack value at its start.
func skipValue(b []byte) ([]byte, error) {
	n, err := chunk.SkipValue(b)
	if err != nil {
		return b[n:], err
	}
	return b[n:], nil
}

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
			v.kind = vkNeg
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
