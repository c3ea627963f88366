package parser

import "bytes"

// topKey is what a key at the top level (of the record, or of the app's JSON line) means to
// the scan: its field, its rank as the message field, the output keys it names and the
// explicit key it matches. It depends only on the key and the config.
type topKey struct {
	f       field
	msgRank int8   // rank as the message field (see msgRankOf); -1 when it is not one
	out     int8   // outTrace, outSpan or outSampled when the key is that output key, else -1
	present uint16 // bit i: the key is output key i
	// override is the explicit key it matches as a flat key: 1 Trace_Key, 2 Span_Key,
	// 3 Sampled_Key, 0 none.
	override   uint8
	kubernetes bool // the kubernetes filter's metadata map: never searched
	dd         bool // Datadog's nested "dd" map
}

// classifyTop computes topKey for a key; keyMemo remembers the answers.
func classifyTop(cfg *config, key []byte) topKey {
	k := topKey{f: classifyAt(nil, key, true, false), msgRank: -1, out: -1}
	if r := msgRankOf(cfg, key); r >= 0 {
		k.msgRank = int8(r)
	}
	if len(key) < 64 && cfg.keyLens&(1<<len(key)) != 0 {
		for i := range cfg.keys {
			if name := cfg.keys[i]; name != "" && name == string(key) {
				k.present |= 1 << i
				if k.out < 0 && i <= outSampled {
					k.out = int8(i)
				}
			}
		}
	}
	for i, path := range [...][]string{cfg.traceKey, cfg.spanKey, cfg.sampledKey} {
		if len(path) > 0 && bytes.EqualFold(key, []byte(path[0])) {
			k.override = uint8(i + 1)
			break
		}
	}
	k.kubernetes = string(key) == "kubernetes"
	k.dd = string(key) == "dd"
	return k
}

// msgRankOf ranks a top-level key as the message field: Message_Key (rank 0), else log,
// message, msg, MESSAGE; -1 for any other key.
func msgRankOf(cfg *config, key []byte) int {
	if cfg.messageKey != "" {
		if bytes.EqualFold(key, []byte(cfg.messageKey)) {
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

// keyMemo remembers classifyTop's answers. The records of one stream carry the same
// top-level keys record after record, so each distinct key is classified once, not once per
// record. It is a small open-addressed table: a key probes a few slots from its hash, and
// when they are all taken by other keys it replaces the first. The zero value is ready to use.
type keyMemo struct {
	cfg   *config
	slots [memoSlots]memoSlot
}

const (
	memoBits   = 7
	memoSlots  = 1 << memoBits
	memoProbes = 4
	memoKeyMax = 40 // longer keys are classified every time
)

type memoSlot struct {
	n    uint8 // key length; 0 = empty slot
	key  [memoKeyMax]byte
	info topKey
}

// forConfig empties the memo when it was filled under another config.
func (m *keyMemo) forConfig(cfg *config) {
	if m.cfg != cfg {
		for i := range m.slots {
			m.slots[i].n = 0
		}
		m.cfg = cfg
	}
}

// lookup returns classifyTop(m.cfg, key).
func (m *keyMemo) lookup(key []byte) topKey {
	n := len(key)
	if n == 0 || n > memoKeyMax {
		return classifyTop(m.cfg, key)
	}
	h := uint32(n) | uint32(key[0])<<8 | uint32(key[n>>1])<<16 | uint32(key[n-1])<<24
	home := (h * 0x9E3779B1) >> (32 - memoBits)
	s := &m.slots[home]
	for j := uint32(0); j < memoProbes; j++ {
		t := &m.slots[(home+j)&(memoSlots-1)]
		if int(t.n) == n && string(t.key[:n]) == string(key) {
			return t.info
		}
		if t.n == 0 {
			s = t
			break
		}
	}
	s.info = classifyTop(m.cfg, key)
	s.n = uint8(n)
	copy(s.key[:], key)
	return s.info
}
