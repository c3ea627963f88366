package parser

import (
	"bytes"

	"github.com/tracelink/tracelink/internal/swar"
)

// topKey is what a key at the top level (of the record, or of the app's JSON line) means to
// the scan: its field, its rank as the message field, the output keys it names and the
// explicit key it matches. It depends only on the key and the config.
type topKey struct {
	f       field
	msg     int8   // rank as the message field + 1 (0: not a message field)
	outKey  int8   // outTrace/outSpan/outSampled + 1 when the key is that output key (else 0)
	outs    uint16 // bit i: the key is output key i
	explict uint8  // the explicit key it matches as a flat key: 1 Trace_Key, 2 Span_Key, 3 Sampled_Key
	flags   topFlag
}

// topFlag marks the top-level keys the scan treats specially.
type topFlag uint8

const (
	topKubernetes topFlag = 1 << iota // the kubernetes filter's metadata map (never searched)
	topDD                             // Datadog's nested "dd" map
	topScopes                         // an array of maps searched like nested maps (see isScopesKey)
)

func (k topKey) field() field         { return k.f }
func (k topKey) msgRank() int         { return int(k.msg) - 1 }
func (k topKey) out() int             { return int(k.outKey) - 1 }
func (k topKey) present() uint16      { return k.outs }
func (k topKey) override() uint8      { return k.explict }
func (k topKey) is(flag topFlag) bool { return k.flags&flag != 0 }

// classifyTop computes topKey for a key; keyMemo remembers the answers.
func classifyTop(cfg *config, key []byte) topKey {
	k := topKey{f: classifyAt(nil, key, true, false)}
	if r := msgRankOf(cfg, key); r >= 0 {
		k.msg = int8(r + 1)
	}
	if len(key) < 64 && cfg.keyLens&(1<<len(key)) != 0 {
		out := -1
		for i := range cfg.keys {
			if name := cfg.keys[i]; name != "" && name == string(key) {
				k.outs |= 1 << i
				if out < 0 && i <= outSampled {
					out = i
				}
			}
		}
		k.outKey = int8(out + 1)
	}
	for i, path := range [...][]string{cfg.traceKey, cfg.spanKey, cfg.sampledKey} {
		if matchesFlat(path, key) {
			k.explict = uint8(i + 1)
			break
		}
	}
	if string(key) == "kubernetes" {
		k.flags |= topKubernetes
	}
	if string(key) == "dd" {
		k.flags |= topDD
	}
	if isScopesKey(key) || isOTLPBatchKey(key) {
		k.flags |= topScopes
	}
	return k
}

// isScopesKey reports whether key holds an array whose maps are searched like nested maps:
// the "Scopes" of Microsoft.Extensions.Logging's JSON console formatter, one object per
// logging scope (dd-trace-dotnet's dd_trace_id/dd_span_id, or TraceId/SpanId of the
// activity scope). Other arrays of maps are not searched: their maps often describe other
// operations (span links, batch items), whose ids would make a wrong link.
func isScopesKey(key []byte) bool { return bytes.EqualFold(key, []byte("scopes")) }

// isOTLPBatchKey reports whether key is one of the arrays of an OTLP/JSON logs batch, as
// the OpenTelemetry Collector's file exporter writes it: resourceLogs, scopeLogs,
// logRecords (or their proto field names). Such an array is searched only when it holds
// exactly one element: a batch of one LogRecord is that log; the LogRecords of a larger
// batch are different logs, and no single link fits the line.
func isOTLPBatchKey(key []byte) bool {
	switch string(key) {
	case "resourceLogs", "scopeLogs", "logRecords", "resource_logs", "scope_logs", "log_records":
		return true
	}
	return false
}

// classifyTextKey is classifyTop for a key found in a text line, where only the field counts.
func classifyTextKey(_ *config, key []byte) topKey { return topKey{f: classifyText(key)} }

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

// keyMemo remembers the answers of one classifier (classifyTop, or classifyTextKey for text
// lines). The records of one stream carry the same
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
	w0, w1 uint64 // the key's first 16 bytes, zero-padded
	n      uint8  // key length; 0 = empty slot
	tail   [memoKeyMax - 16]byte
	info   topKey
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

// lookup returns classify(m.cfg, key). A memo must always be asked with the same classifier.
func (m *keyMemo) lookup(key []byte, classify func(*config, []byte) topKey) topKey {
	n := len(key)
	if n == 0 || n > memoKeyMax {
		return classify(m.cfg, key)
	}
	w0, w1 := swar.Words16(key)
	h := (w0 ^ w1*0x9E3779B97F4A7C15 ^ uint64(n)) * 0xBF58476D1CE4E5B9
	home := uint32(h >> (64 - memoBits))
	var tail []byte
	if n > 16 {
		tail = key[16:]
	}
	s := &m.slots[home]
	for j := uint32(0); j < memoProbes; j++ {
		t := &m.slots[(home+j)&(memoSlots-1)]
		if t.w0 == w0 && t.w1 == w1 && int(t.n) == n && (tail == nil || string(t.tail[:len(tail)]) == string(tail)) {
			return t.info
		}
		if t.n == 0 {
			s = t
			break
		}
	}
	s.info = classify(m.cfg, key)
	s.w0, s.w1, s.n = w0, w1, uint8(n)
	copy(s.tail[:], tail)
	return s.info
}
