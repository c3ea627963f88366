package output

import (
	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/parser"
)

// otlpKey is the event metadata key Fluent Bit's opentelemetry output reads a LogRecord's
// fields from by default (logs_metadata_key otlp): $otlp['trace_id'], ['span_id'],
// ['trace_flags'], ['severity_number'], ['severity_text'] (Fluent Bit v5.1.1,
// plugins/out_opentelemetry).
const otlpKey = "otlp"

// otlpLinkKeys are the entries of the otlp map that the link sets.
var otlpLinkKeys = [...]string{"trace_id", "span_id", "trace_flags", "severity_number", "severity_text"}

// legacyFlagsKey is the metadata key the opentelemetry output of Fluent Bit v3.2 to v5.0.4
// reads a LogRecord's flags from (logs_trace_flags_metadata_key $TraceFlags); it reads the
// ids from the otlp map, but not the flags.
const legacyFlagsKey = "TraceFlags"

// appendOTLPMetadata appends the event metadata map old (nil for a V1 event) with its otlp
// map carrying l: trace_id (32 hex), span_id (16 hex) when known, trace_flags (1 or 0) when
// the sampled flag is known, severity_number and severity_text when a level was found.
// With legacy, the flags also go under TraceFlags, for hosts whose output reads them only
// there. Every other entry of old, and of its otlp map, is kept as it was. old must be a
// well-formed map (chunk.Walker checked it).
func appendOTLPMetadata(dst, old []byte, l *parser.Link, legacy bool) []byte {
	var n uint32
	var rest []byte
	if len(old) > 0 {
		var err error
		if n, rest, err = msgp.ReadMapHeaderBytes(old); err != nil {
			n, rest = 0, nil
		}
	}
	legacy = legacy && l.SampledKnown
	replaced := func(k []byte) bool { return string(k) == otlpKey || (legacy && string(k) == legacyFlagsKey) }
	// Count the entries kept, find the existing otlp map.
	var prevOTLP []byte
	kept := uint32(0)
	for b, i := rest, uint32(0); i < n; i++ {
		k, v, next, ok := nextEntry(b)
		if !ok {
			break
		}
		if string(k) == otlpKey && msgp.NextType(v) == msgp.MapType {
			prevOTLP = v
		} else if !replaced(k) {
			kept++
		}
		b = next
	}
	added := uint32(1)
	if legacy {
		added++
	}
	dst = msgp.AppendMapHeader(dst, kept+added)
	for b, i := rest, uint32(0); i < n; i++ {
		k, _, next, ok := nextEntry(b)
		if !ok {
			break
		}
		if !replaced(k) {
			dst = append(dst, b[:len(b)-len(next)]...)
		}
		b = next
	}
	if legacy {
		dst = msgp.AppendString(dst, legacyFlagsKey)
		dst = msgp.AppendUint64(dst, otlpFlags(l))
	}
	dst = msgp.AppendString(dst, otlpKey)
	return appendOTLPMap(dst, prevOTLP, l)
}

// otlpFlags is the W3C trace-flags byte of l as the tracer wrote it (0x03: sampled and
// random), its bit 0 always the sampled flag.
func otlpFlags(l *parser.Link) uint64 {
	f := uint64(l.Flags)
	if l.Sampled {
		return f | 1
	}
	return f &^ 1
}

// appendOTLPMap appends the otlp map: prev's entries other than the link's, then the link.
func appendOTLPMap(dst, prev []byte, l *parser.Link) []byte {
	set := uint32(1)
	if l.Span != 0 {
		set++
	}
	if l.SampledKnown {
		set++
	}
	if l.Severity != 0 {
		set += 2
	}
	var n uint32
	var rest []byte
	if prev != nil {
		n, rest, _ = msgp.ReadMapHeaderBytes(prev)
	}
	keep := func(k []byte) bool {
		for _, lk := range otlpLinkKeys {
			if string(k) == lk {
				return false
			}
		}
		return true
	}
	kept := uint32(0)
	for b, i := rest, uint32(0); i < n; i++ {
		k, _, next, ok := nextEntry(b)
		if !ok {
			break
		}
		if keep(k) {
			kept++
		}
		b = next
	}
	dst = msgp.AppendMapHeader(dst, kept+set)
	for b, i := rest, uint32(0); i < n; i++ {
		k, _, next, ok := nextEntry(b)
		if !ok {
			break
		}
		if keep(k) {
			dst = append(dst, b[:len(b)-len(next)]...)
		}
		b = next
	}
	dst = msgp.AppendString(dst, "trace_id")
	dst = l.AppendTraceHex(append(dst, 0xd9, 32)) // str 8 of 32 bytes
	if l.Span != 0 {
		dst = msgp.AppendString(dst, "span_id")
		dst = l.AppendSpanHex(append(dst, 0xa0|16)) // fixstr of 16 bytes
	}
	if l.SampledKnown {
		dst = msgp.AppendString(dst, "trace_flags")
		dst = msgp.AppendUint64(dst, otlpFlags(l))
	}
	if l.Severity != 0 {
		dst = msgp.AppendString(dst, "severity_number")
		dst = msgp.AppendUint64(dst, uint64(l.Severity))
		dst = msgp.AppendString(dst, "severity_text")
		dst = msgp.AppendString(dst, l.SeverityText)
	}
	return dst
}

// nextEntry splits the first key/value pair off b.
func nextEntry(b []byte) (key, val, rest []byte, ok bool) {
	vstart, err := msgp.Skip(b)
	if err != nil {
		return nil, nil, nil, false
	}
	key = b[:len(b)-len(vstart)]
	if k, _, err := msgp.ReadStringZC(key); err == nil {
		key = k
	}
	rest, err = msgp.Skip(vstart)
	if err != nil {
		return nil, nil, nil, false
	}
	return key, vstart[:len(vstart)-len(rest)], rest, true
}
