package output

import (
	"strconv"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/jsonmp"
)

// flushStdout rewrites the chunk and writes one JSON line per event:
//
//	{"tag":"app","time":1700000000.500000000,"record":{...}}
//	{"tag":"app","group":"start","time":...,"metadata":{...},"record":{...}}
//
// time is seconds with nine decimals; metadata appears for V2 events with a non-empty
// metadata map. A malformed tail is reported as {"tag":...,"error":"...","unparsed_bytes":N}.
// All the chunk's lines go out in one Write call.
func (in *Instance) flushStdout(tag string, data []byte) int {
	fb := in.buffers.get()
	defer in.buffers.put(fb)

	var fc flushCounts
	entries, _ := in.rewrite(fb, data, &fc)
	if in.chunkDebug {
		in.logChunk(tag, &fc, fb.reasons)
	}

	// fb.out may hold entries: render into fb.rec, which rewrite no longer needs.
	lines := fb.rec[:0]
	tagJSON := jsonmp.AppendQuoted(nil, []byte(tag))
	w := chunk.NewWalker(entries)
	var ev chunk.Event
	for w.Next(&ev) {
		lines = append(lines, `{"tag":`...)
		lines = append(lines, tagJSON...)
		switch ev.Kind {
		case chunk.KindGroupStart:
			lines = append(lines, `,"group":"start"`...)
		case chunk.KindGroupEnd:
			lines = append(lines, `,"group":"end"`...)
		}
		if !ev.IsGroup() {
			lines = append(lines, `,"time":`...)
			lines = appendSeconds(lines, ev.Time)
		}
		if len(ev.Metadata) > 1 { // 0x80 is the empty map
			lines = append(lines, `,"metadata":`...)
			lines = appendJSONOrNull(lines, ev.Metadata)
		}
		lines = append(lines, `,"record":`...)
		lines = appendJSONOrNull(lines, ev.Record)
		lines = append(lines, "}\n"...)
	}
	if err := w.Err(); err != nil {
		lines = append(lines, `{"tag":`...)
		lines = append(lines, tagJSON...)
		lines = append(lines, `,"error":`...)
		lines = jsonmp.AppendQuoted(lines, []byte(err.Error()))
		lines = append(lines, `,"unparsed_bytes":`...)
		lines = strconv.AppendInt(lines, int64(len(entries)-w.Offset()), 10)
		lines = append(lines, "}\n"...)
	}
	fb.rec = lines

	if _, err := in.stdout.Write(lines); err != nil {
		in.count(Stats{Retries: 1})
		in.log.Logf(LevelError, "could not write %d bytes to standard output, Fluent Bit will retry the chunk: %v", len(lines), err)
		return FlushRetry
	}
	in.count(fc.delta())
	return FlushOK
}

// appendSeconds appends t as a JSON number of seconds with nine decimals.
func appendSeconds(dst []byte, t chunk.Time) []byte {
	dst = strconv.AppendInt(dst, t.Sec, 10)
	ns := t.Nsec
	if ns < 0 || ns >= 1e9 {
		ns = 0
	}
	var frac [10]byte
	frac[0] = '.'
	for i := 9; i >= 1; i-- {
		frac[i] = byte('0' + ns%10)
		ns /= 10
	}
	return append(dst, frac[:]...)
}

// appendJSONOrNull renders a msgpack value as JSON, or null if it cannot be rendered.
func appendJSONOrNull(dst, mp []byte) []byte {
	out, _, err := jsonmp.AppendJSON(dst, mp)
	if err != nil {
		return append(dst, "null"...)
	}
	return out
}
