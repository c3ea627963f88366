// Package chunk walks and rebuilds Fluent Bit chunks: concatenations of msgpack events,
// each either [timestamp, record] (V1) or [[timestamp, metadata], record] (V2).
//
// The walker is zero-copy: every byte slice it hands out aliases the chunk. It never
// panics on malformed input; errors name the byte offset and what was wrong.
package chunk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/tinylib/msgp/msgp"
)

// Shape is the layout of one event.
type Shape uint8

// The event layouts Fluent Bit uses.
const (
	// ShapeV1 is [timestamp, record] (Fluent Bit before 2.1, and the Forward protocol).
	ShapeV1 Shape = 1
	// ShapeV2 is [[timestamp, metadata], record] (Fluent Bit 2.1 and later).
	ShapeV2 Shape = 2
)

// TimeFormat is how an event's timestamp was encoded.
type TimeFormat uint8

// The timestamp encodings Fluent Bit accepts.
const (
	// TimeEventTime is msgpack ext type 0 with 8 bytes: big-endian uint32 seconds, uint32 nanoseconds.
	TimeEventTime TimeFormat = 1
	// TimeInt is an integer number of seconds.
	TimeInt TimeFormat = 2
	// TimeFloat is a float number of seconds.
	TimeFloat TimeFormat = 3
)

// Kind tells log events from OpenTelemetry group markers.
type Kind uint8

// The event kinds.
const (
	// KindLog is an ordinary log event.
	KindLog Kind = iota
	// KindGroupStart opens a group (EventTime seconds 0xFFFFFFFF, or integer -1).
	KindGroupStart
	// KindGroupEnd closes a group (EventTime seconds 0xFFFFFFFE, or integer -2).
	KindGroupEnd
)

// The EventTime seconds values that mark groups.
const (
	groupStartSec = 0xFFFFFFFF
	groupEndSec   = 0xFFFFFFFE
)

// Time is a point in time as Fluent Bit carries it.
type Time struct {
	Sec  int64
	Nsec int64
}

// ValidEventTime reports whether t can be written as an EventTime of a log event:
// seconds in [0, 0xFFFFFFFE) (the top two values mark groups), nanoseconds in [0, 1e9).
func ValidEventTime(t Time) bool {
	return t.Sec >= 0 && t.Sec < groupEndSec && t.Nsec >= 0 && t.Nsec < 1e9
}

// Event is one decoded event. Every slice aliases the chunk it was read from.
type Event struct {
	// Offset is the byte offset of the event in the chunk.
	Offset int
	// Raw is the whole event, exactly as it appears in the chunk.
	Raw []byte
	// Kind says whether this is a log event or a group marker.
	Kind Kind
	// Shape is V1 or V2.
	Shape Shape
	// TimeFormat is how the timestamp was encoded.
	TimeFormat TimeFormat
	// Time is the decoded timestamp (meaningless for group markers).
	Time Time
	// Metadata is the raw msgpack metadata map of a V2 event; nil for V1.
	Metadata []byte
	// Record is the raw msgpack record map.
	Record []byte
	// timeRaw is the timestamp's raw msgpack bytes.
	timeRaw []byte
}

// IsGroup reports whether the event is a group start or end marker, which callers
// must pass through untouched.
func (e *Event) IsGroup() bool { return e.Kind != KindLog }

// prefix is everything in Raw before the record: array headers, timestamp, metadata.
func (e *Event) prefix() []byte { return e.Raw[:len(e.Raw)-len(e.Record)] }

// Error is a malformed chunk: the byte offset and what was wrong there.
type Error struct {
	// Offset is the byte offset in the chunk where the problem was found.
	Offset int
	// What describes the problem.
	What string
	// Err is the underlying msgpack error, if any.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("chunk: byte offset %d: %s: %v", e.Offset, e.What, e.Err)
	}
	return fmt.Sprintf("chunk: byte offset %d: %s", e.Offset, e.What)
}

func (e *Error) Unwrap() error { return e.Err }

// Walker iterates over the events of a chunk.
//
//	w := chunk.NewWalker(data)
//	var ev chunk.Event
//	for w.Next(&ev) { ... }
//	if err := w.Err(); err != nil { ... }
type Walker struct {
	data []byte
	off  int
	err  error
}

// NewWalker returns a Walker over data. The Walker does not copy data.
func NewWalker(data []byte) Walker { return Walker{data: data} }

// Offset is the byte offset of the next event (or of the error, once Next returned false with an error).
func (w *Walker) Offset() int { return w.off }

// Err returns the error that stopped the walk, or nil at the clean end of the chunk.
func (w *Walker) Err() error { return w.err }

// Next decodes the next event into ev and reports whether there was one.
// It returns false at the end of the chunk or on the first malformed event (see Err).
func (w *Walker) Next(ev *Event) bool {
	if w.err != nil || w.off >= len(w.data) {
		return false
	}
	if err := decodeEvent(w.data, w.off, ev); err != nil {
		w.err = err
		return false
	}
	w.off += len(ev.Raw)
	return true
}

// errAt builds an *Error for the byte at pos of the chunk.
func errAt(pos int, what string, err error) *Error {
	return &Error{Offset: pos, What: what, Err: err}
}

// decodeEvent decodes the event starting at data[off].
func decodeEvent(data []byte, off int, ev *Event) error {
	b := data[off:]
	pos := func(rest []byte) int { return len(data) - len(rest) }

	n, rest, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return errAt(off, "event is not a msgpack array", err)
	}
	if n != 2 {
		return errAt(off, fmt.Sprintf("event is an array of %d elements, want 2 ([timestamp, record] or [[timestamp, metadata], record])", n), nil)
	}
	*ev = Event{Offset: off}
	if msgp.NextType(rest) == msgp.ArrayType {
		ev.Shape = ShapeV2
		hpos := pos(rest)
		m, r, err := msgp.ReadArrayHeaderBytes(rest)
		if err != nil {
			return errAt(hpos, "V2 event header is not a msgpack array", err)
		}
		if m != 2 {
			return errAt(hpos, fmt.Sprintf("V2 event header is an array of %d elements, want 2 ([timestamp, metadata])", m), nil)
		}
		if rest, err = decodeTime(data, r, ev); err != nil {
			return err
		}
		ev.timeRaw = r[:len(r)-len(rest)]
		mpos := pos(rest)
		if t := msgp.NextType(rest); t != msgp.MapType {
			if len(rest) == 0 {
				return errAt(mpos, "V2 metadata missing: chunk truncated", msgp.ErrShortBytes)
			}
			return errAt(mpos, fmt.Sprintf("V2 metadata is %s, want a map", t), nil)
		}
		end, err := skip(data, mpos)
		if err != nil {
			return errAt(end, "V2 metadata map is malformed", err)
		}
		ev.Metadata = data[mpos:end]
		rest = data[end:]
	} else {
		ev.Shape = ShapeV1
		t := rest
		if rest, err = decodeTime(data, rest, ev); err != nil {
			return err
		}
		ev.timeRaw = t[:len(t)-len(rest)]
	}
	rpos := pos(rest)
	if t := msgp.NextType(rest); t != msgp.MapType {
		if len(rest) == 0 {
			return errAt(rpos, "record missing: chunk truncated", msgp.ErrShortBytes)
		}
		return errAt(rpos, fmt.Sprintf("record is %s, want a map", t), nil)
	}
	end, err := skip(data, rpos)
	if err != nil {
		return errAt(end, "record map is malformed", err)
	}
	ev.Record = data[rpos:end]
	ev.Raw = data[off:end]
	return nil
}

// decodeTime decodes the timestamp at the start of b (a suffix of data) into ev.
func decodeTime(data, b []byte, ev *Event) ([]byte, error) {
	tpos := len(data) - len(b)
	if len(b) == 0 {
		return b, errAt(tpos, "timestamp missing: chunk truncated", msgp.ErrShortBytes)
	}
	if isExt(b[0]) {
		var payload, rest []byte
		switch {
		case b[0] == 0xd7 && len(b) >= 10: // fixext 8
			if b[1] != 0 {
				return b, errAt(tpos, fmt.Sprintf("timestamp is msgpack ext type %d, want 0 (EventTime)", int8(b[1])), nil)
			}
			payload, rest = b[2:10], b[10:]
		case b[0] == 0xc7 && len(b) >= 3 && b[1] == 8: // ext 8 holding 8 bytes
			if b[2] != 0 {
				return b, errAt(tpos, fmt.Sprintf("timestamp is msgpack ext type %d, want 0 (EventTime)", int8(b[2])), nil)
			}
			if len(b) < 11 {
				return b, errAt(tpos, "EventTime truncated", msgp.ErrShortBytes)
			}
			payload, rest = b[3:11], b[11:]
		case b[0] == 0xd7:
			return b, errAt(tpos, "EventTime truncated", msgp.ErrShortBytes)
		default:
			return b, errAt(tpos, "timestamp is a msgpack ext that is not an 8-byte EventTime", nil)
		}
		sec := binary.BigEndian.Uint32(payload)
		nsec := binary.BigEndian.Uint32(payload[4:])
		ev.TimeFormat = TimeEventTime
		ev.Time = Time{Sec: int64(sec), Nsec: int64(nsec)}
		switch sec {
		case groupStartSec:
			ev.Kind = KindGroupStart
		case groupEndSec:
			ev.Kind = KindGroupEnd
		}
		return rest, nil
	}
	switch t := msgp.NextType(b); t {
	case msgp.IntType:
		i, rest, err := msgp.ReadInt64Bytes(b)
		if err != nil {
			return b, errAt(tpos, "integer timestamp is malformed", err)
		}
		ev.TimeFormat = TimeInt
		switch {
		case i == -1:
			ev.Kind = KindGroupStart
		case i == -2:
			ev.Kind = KindGroupEnd
		case i < 0:
			return b, errAt(tpos, fmt.Sprintf("integer timestamp %d is negative (only -1 and -2, group markers, are allowed)", i), nil)
		default:
			ev.Time = Time{Sec: i}
		}
		return rest, nil
	case msgp.UintType:
		u, rest, err := msgp.ReadUint64Bytes(b)
		if err != nil {
			return b, errAt(tpos, "integer timestamp is malformed", err)
		}
		if u > math.MaxInt64 {
			return b, errAt(tpos, fmt.Sprintf("integer timestamp %d is out of range", u), nil)
		}
		ev.TimeFormat = TimeInt
		ev.Time = Time{Sec: int64(u)}
		return rest, nil
	case msgp.Float64Type, msgp.Float32Type:
		f, rest, err := msgp.ReadFloat64Bytes(b)
		if err != nil {
			return b, errAt(tpos, "float timestamp is malformed", err)
		}
		if math.IsNaN(f) || f < 0 || f >= 1<<62 {
			return b, errAt(tpos, fmt.Sprintf("float timestamp %g is out of range", f), nil)
		}
		sec, frac := math.Modf(f)
		nsec := int64(math.Round(frac * 1e9))
		if nsec >= 1e9 {
			sec, nsec = sec+1, nsec-1e9
		}
		ev.TimeFormat = TimeFloat
		ev.Time = Time{Sec: int64(sec), Nsec: nsec}
		return rest, nil
	default:
		return b, errAt(tpos, fmt.Sprintf("timestamp is %s, want EventTime (ext 0), integer or float", t), nil)
	}
}

// isExt reports whether lead is the first byte of a msgpack ext (fixext 1-16, ext 8/16/32).
func isExt(lead byte) bool { return (lead >= 0xd4 && lead <= 0xd8) || (lead >= 0xc7 && lead <= 0xc9) }

// AppendEvent appends ev to dst with record in place of its record, keeping every other
// byte of the event (headers, timestamp, metadata) as it was. AppendEvent(dst, ev, ev.Record)
// reproduces the event byte for byte.
func AppendEvent(dst []byte, ev *Event, record []byte) []byte {
	dst = append(dst, ev.prefix()...)
	return append(dst, record...)
}

// ErrTimeRange is returned by AppendEventTime for a time that cannot be an EventTime of a log event.
var ErrTimeRange = errors.New("chunk: time out of EventTime range (seconds 0 to 4294967293, nanoseconds 0 to 999999999)")

// AppendEventTime appends ev to dst with the timestamp t, written as an EventTime, and
// record in place of its record. The shape (V1 or V2) and the metadata bytes are kept.
// Group markers are appended unchanged (their timestamp is their kind); a t outside the
// EventTime range fails with ErrTimeRange and dst unchanged.
func AppendEventTime(dst []byte, ev *Event, t Time, record []byte) ([]byte, error) {
	if ev.IsGroup() {
		return AppendEvent(dst, ev, record), nil
	}
	if !ValidEventTime(t) {
		return dst, ErrTimeRange
	}
	dst = append(dst, 0x92) // fixarray 2
	if ev.Shape == ShapeV2 {
		dst = append(dst, 0x92)
	}
	dst = AppendEventTimeValue(dst, t)
	if ev.Shape == ShapeV2 {
		dst = append(dst, ev.Metadata...)
	}
	return append(dst, record...), nil
}

// AppendEventMetadata appends ev to dst as a V2 event, [[time, metadata], record], with
// metadata (a msgpack map) in place of its metadata, record in place of its record, and
// the timestamp t when t is not nil (an EventTime; ErrTimeRange and dst unchanged when out
// of range), else ev's own timestamp bytes. A V1 event becomes V2. Group markers are
// appended unchanged.
func AppendEventMetadata(dst []byte, ev *Event, t *Time, metadata, record []byte) ([]byte, error) {
	if ev.IsGroup() {
		return AppendEvent(dst, ev, record), nil
	}
	if t != nil && !ValidEventTime(*t) {
		return dst, ErrTimeRange
	}
	dst = append(dst, 0x92, 0x92)
	if t != nil {
		dst = AppendEventTimeValue(dst, *t)
	} else {
		dst = append(dst, ev.timeRaw...)
	}
	dst = append(dst, metadata...)
	return append(dst, record...), nil
}

// AppendEventTimeValue appends t as a msgpack EventTime (fixext 8, type 0). The caller
// checks the range with ValidEventTime; out-of-range parts are truncated to 32 bits.
func AppendEventTimeValue(dst []byte, t Time) []byte {
	dst = append(dst, 0xd7, 0x00)
	dst = binary.BigEndian.AppendUint32(dst, uint32(t.Sec))
	return binary.BigEndian.AppendUint32(dst, uint32(t.Nsec))
}
