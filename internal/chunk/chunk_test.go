package chunk

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// Hand-built msgpack pieces.
var (
	// {"log":"hi"}
	recHi = []byte{0x81, 0xa3, 'l', 'o', 'g', 0xa2, 'h', 'i'}
	// {"k":1}
	recK1 = []byte{0x81, 0xa1, 'k', 0x01}
	// {} (empty metadata)
	emptyMap = []byte{0x80}
	// {"m":true}
	metaM = []byte{0x81, 0xa1, 'm', 0xc3}
	// EventTime 1700000000.5: sec 0x6553F100, nsec 500000000 = 0x1DCD6500
	evTime = []byte{0xd7, 0x00, 0x65, 0x53, 0xf1, 0x00, 0x1d, 0xcd, 0x65, 0x00}
	// the same as ext 8 with an explicit length
	evTimeExt8 = []byte{0xc7, 0x08, 0x00, 0x65, 0x53, 0xf1, 0x00, 0x1d, 0xcd, 0x65, 0x00}
	// group start / end EventTimes
	groupStartTime = []byte{0xd7, 0x00, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}
	groupEndTime   = []byte{0xd7, 0x00, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0}
)

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func v1(ts, rec []byte) []byte       { return cat([]byte{0x92}, ts, rec) }
func v2(ts, meta, rec []byte) []byte { return cat([]byte{0x92, 0x92}, ts, meta, rec) }

func walkAll(t *testing.T, data []byte) []Event {
	t.Helper()
	w := NewWalker(data)
	var out []Event
	var ev Event
	for w.Next(&ev) {
		out = append(out, ev)
	}
	if err := w.Err(); err != nil {
		t.Fatalf("walk: %v", err)
	}
	if w.Offset() != len(data) {
		t.Fatalf("walk stopped at %d of %d", w.Offset(), len(data))
	}
	return out
}

func TestWalkShapesAndTimes(t *testing.T) {
	tests := []struct {
		name   string
		event  []byte
		kind   Kind
		shape  Shape
		format TimeFormat
		time   Time
		meta   []byte
		record []byte
	}{
		{"v1 eventtime", v1(evTime, recHi), KindLog, ShapeV1, TimeEventTime, Time{1700000000, 500000000}, nil, recHi},
		{"v1 eventtime ext8", v1(evTimeExt8, recHi), KindLog, ShapeV1, TimeEventTime, Time{1700000000, 500000000}, nil, recHi},
		{"v2 eventtime empty meta", v2(evTime, emptyMap, recHi), KindLog, ShapeV2, TimeEventTime, Time{1700000000, 500000000}, emptyMap, recHi},
		{"v2 eventtime meta", v2(evTime, metaM, recK1), KindLog, ShapeV2, TimeEventTime, Time{1700000000, 500000000}, metaM, recK1},
		{"v1 uint32 seconds", v1([]byte{0xce, 0x65, 0x53, 0xf1, 0x00}, recK1), KindLog, ShapeV1, TimeInt, Time{1700000000, 0}, nil, recK1},
		{"v1 fixint seconds", v1([]byte{0x05}, recK1), KindLog, ShapeV1, TimeInt, Time{5, 0}, nil, recK1},
		{"v1 int64 seconds", v1([]byte{0xd3, 0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00}, recK1), KindLog, ShapeV1, TimeInt, Time{1700000000, 0}, nil, recK1},
		{"v2 int seconds", v2([]byte{0xce, 0x65, 0x53, 0xf1, 0x00}, emptyMap, recK1), KindLog, ShapeV2, TimeInt, Time{1700000000, 0}, emptyMap, recK1},
		// 1700000000.25 as float64: 0x41D954FC40100000
		{"v1 float64", v1([]byte{0xcb, 0x41, 0xd9, 0x54, 0xfc, 0x40, 0x10, 0, 0}, recK1), KindLog, ShapeV1, TimeFloat, Time{1700000000, 250000000}, nil, recK1},
		// 2.5 as float32: 0x40200000
		{"v1 float32", v1([]byte{0xca, 0x40, 0x20, 0, 0}, recK1), KindLog, ShapeV1, TimeFloat, Time{2, 500000000}, nil, recK1},
		{"v2 group start eventtime", v2(groupStartTime, metaM, recK1), KindGroupStart, ShapeV2, TimeEventTime, Time{0xFFFFFFFF, 0}, metaM, recK1},
		{"v2 group end eventtime", v2(groupEndTime, emptyMap, emptyMap), KindGroupEnd, ShapeV2, TimeEventTime, Time{0xFFFFFFFE, 0}, emptyMap, emptyMap},
		{"v2 group start int -1", v2([]byte{0xff}, metaM, recK1), KindGroupStart, ShapeV2, TimeInt, Time{}, metaM, recK1},
		{"v2 group end int -2", v2([]byte{0xfe}, emptyMap, emptyMap), KindGroupEnd, ShapeV2, TimeInt, Time{}, emptyMap, emptyMap},
		{"v1 group start int8 -1", v1([]byte{0xd0, 0xff}, recK1), KindGroupStart, ShapeV1, TimeInt, Time{}, nil, recK1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Put the event between two others to check offsets and boundaries.
			before := v1(evTime, recK1)
			after := v2(evTime, emptyMap, recHi)
			data := cat(before, tt.event, after)
			evs := walkAll(t, data)
			if len(evs) != 3 {
				t.Fatalf("got %d events, want 3", len(evs))
			}
			ev := evs[1]
			if ev.Offset != len(before) || !bytes.Equal(ev.Raw, tt.event) {
				t.Errorf("offset %d raw %x, want %d %x", ev.Offset, ev.Raw, len(before), tt.event)
			}
			if ev.Kind != tt.kind || ev.Shape != tt.shape || ev.TimeFormat != tt.format {
				t.Errorf("kind %d shape %d format %d, want %d %d %d", ev.Kind, ev.Shape, ev.TimeFormat, tt.kind, tt.shape, tt.format)
			}
			if ev.IsGroup() != (tt.kind != KindLog) {
				t.Errorf("IsGroup = %v", ev.IsGroup())
			}
			if tt.kind == KindLog && ev.Time != tt.time {
				t.Errorf("time %+v, want %+v", ev.Time, tt.time)
			}
			if !bytes.Equal(ev.Metadata, tt.meta) || (tt.meta == nil) != (ev.Metadata == nil) {
				t.Errorf("metadata %x, want %x", ev.Metadata, tt.meta)
			}
			if !bytes.Equal(ev.Record, tt.record) {
				t.Errorf("record %x, want %x", ev.Record, tt.record)
			}
			if got := AppendEvent(nil, &ev, ev.Record); !bytes.Equal(got, tt.event) {
				t.Errorf("AppendEvent unchanged = %x, want %x", got, tt.event)
			}
		})
	}
}

func TestWalkEmpty(t *testing.T) {
	w := NewWalker(nil)
	var ev Event
	if w.Next(&ev) || w.Err() != nil {
		t.Fatalf("empty chunk: Next true or err %v", w.Err())
	}
}

func TestWalkErrors(t *testing.T) {
	good := v1(evTime, recHi)
	tests := []struct {
		name   string
		data   []byte
		offset int
		what   string
	}{
		{"not an array", cat(good, []byte{0xa1, 'x'}), len(good), "not a msgpack array"},
		{"array of 3", cat(good, []byte{0x93, 0x01, 0x80, 0x80}), len(good), "array of 3 elements"},
		{"v2 header of 3", []byte{0x92, 0x93, 0x01, 0x80, 0x80, 0x80}, 1, "V2 event header is an array of 3"},
		{"timestamp string", []byte{0x92, 0xa1, 'x', 0x80}, 1, "timestamp is str"},
		{"timestamp negative", []byte{0x92, 0xfb, 0x80}, 1, "negative"},
		{"timestamp uint64 too big", []byte{0x92, 0xcf, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x80}, 1, "out of range"},
		{"timestamp NaN", []byte{0x92, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1, 0x80}, 1, "float timestamp"},
		{"timestamp negative float", []byte{0x92, 0xcb, 0xbf, 0xf0, 0, 0, 0, 0, 0, 0, 0x80}, 1, "out of range"},
		{"ext type 1", []byte{0x92, 0xd7, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}, 1, "ext type 1"},
		{"ext of 4 bytes", []byte{0x92, 0xd6, 0x00, 0, 0, 0, 0, 0x80}, 1, "not an 8-byte EventTime"},
		{"record not a map", []byte{0x92, 0x01, 0x91, 0x01}, 2, "record is array"},
		{"metadata not a map", []byte{0x92, 0x92, 0x01, 0xc0, 0x80}, 3, "V2 metadata is nil"},
		{"record truncated", []byte{0x92, 0x01, 0x81, 0xa1, 'k'}, 5, "record map is malformed"},
		{"record missing", []byte{0x92, 0x01}, 2, "record missing"},
		{"metadata missing", []byte{0x92, 0x92, 0x01}, 3, "metadata missing"},
		{"eventtime truncated", []byte{0x92, 0xd7, 0x00, 0x01}, 1, "EventTime truncated"},
		{"bad prefix in record", []byte{0x92, 0x01, 0x81, 0xc1, 0x01}, 3, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWalker(tt.data)
			var ev Event
			for w.Next(&ev) {
			}
			err := w.Err()
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *chunk.Error", err)
			}
			if ce.Offset != tt.offset || !strings.Contains(err.Error(), tt.what) {
				t.Errorf("err = %q (offset %d), want offset %d and %q", err, ce.Offset, tt.offset, tt.what)
			}
			if !strings.Contains(err.Error(), "byte offset") {
				t.Errorf("error %q does not name the byte offset", err)
			}
		})
	}
}

// Every proper prefix of a valid chunk must fail cleanly (never panic, never succeed past the cut).
func TestWalkTruncatedPrefixes(t *testing.T) {
	data := cat(v1(evTime, recHi), v2(evTimeExt8, metaM, recK1), v2([]byte{0xff}, metaM, recK1),
		v1([]byte{0xcb, 0x41, 0xd9, 0x54, 0xfc, 0x40, 0x10, 0, 0}, recHi))
	boundaries := map[int]bool{0: true}
	for _, ev := range walkAll(t, data) {
		boundaries[ev.Offset+len(ev.Raw)] = true
	}
	for n := 0; n < len(data); n++ {
		w := NewWalker(data[:n])
		var ev Event
		for w.Next(&ev) {
		}
		if boundaries[n] {
			if w.Err() != nil {
				t.Errorf("prefix %d ends on an event boundary but failed: %v", n, w.Err())
			}
			continue
		}
		if w.Err() == nil {
			t.Errorf("prefix %d (mid-event) walked without error", n)
		}
	}
}

func TestAppendEventTime(t *testing.T) {
	newTime := Time{Sec: 0x01020304, Nsec: 0x05060708}
	newTS := []byte{0xd7, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}
	tests := []struct {
		name  string
		event []byte
		want  []byte
	}{
		{"v1 eventtime", v1(evTime, recHi), v1(newTS, recK1)},
		{"v1 int", v1([]byte{0x05}, recHi), v1(newTS, recK1)},
		{"v1 float", v1([]byte{0xca, 0x40, 0x20, 0, 0}, recHi), v1(newTS, recK1)},
		{"v2 keeps metadata", v2(evTimeExt8, metaM, recHi), v2(newTS, metaM, recK1)},
		{"group start unchanged", v2(groupStartTime, metaM, recHi), v2(groupStartTime, metaM, recK1)},
		{"group end int unchanged", v2([]byte{0xfe}, emptyMap, recHi), v2([]byte{0xfe}, emptyMap, recK1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := walkAll(t, tt.event)
			prefix := []byte("keep")
			got, err := AppendEventTime(append([]byte(nil), prefix...), &evs[0], newTime, recK1)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, cat(prefix, tt.want)) {
				t.Errorf("got %x, want %x", got, cat(prefix, tt.want))
			}
		})
	}
}

func TestAppendEventTimeRange(t *testing.T) {
	evs := walkAll(t, v1(evTime, recHi))
	for _, tm := range []Time{{-1, 0}, {0xFFFFFFFE, 0}, {0xFFFFFFFF, 0}, {1 << 40, 0}, {1, -1}, {1, 1e9}} {
		got, err := AppendEventTime([]byte("x"), &evs[0], tm, recHi)
		if !errors.Is(err, ErrTimeRange) || string(got) != "x" {
			t.Errorf("time %+v: got %q, %v; want dst unchanged and ErrTimeRange", tm, got, err)
		}
		if ValidEventTime(tm) {
			t.Errorf("ValidEventTime(%+v) = true", tm)
		}
	}
	if !ValidEventTime(Time{0xFFFFFFFD, 999999999}) {
		t.Error("ValidEventTime rejects the largest log time")
	}
}

func FuzzWalk(f *testing.F) {
	f.Add(cat(v1(evTime, recHi), v2(evTime, metaM, recK1)))
	f.Add(cat(v2(groupStartTime, metaM, recK1), v2(evTimeExt8, emptyMap, recHi), v2(groupEndTime, emptyMap, emptyMap)))
	f.Add(v1([]byte{0xcb, 0x41, 0xd9, 0x54, 0xfc, 0x40, 0x10, 0, 0}, recHi))
	f.Add(v1([]byte{0xce, 0x65, 0x53, 0xf1, 0x00}, recK1))
	f.Add([]byte{0x92, 0x92, 0xff, 0x80, 0x80})
	f.Add([]byte{0x92, 0x01, 0xdf, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		w := NewWalker(data)
		var ev Event
		var again []byte
		for w.Next(&ev) {
			if ev.Offset+len(ev.Raw) > len(data) || !bytes.Equal(data[ev.Offset:ev.Offset+len(ev.Raw)], ev.Raw) {
				t.Fatalf("event at %d does not alias the chunk", ev.Offset)
			}
			again = AppendEvent(again, &ev, ev.Record)
			// A rewritten timestamp must walk back to the same event.
			out, err := AppendEventTime(nil, &ev, Time{Sec: 1, Nsec: 2}, ev.Record)
			if err != nil {
				t.Fatal(err)
			}
			w2 := NewWalker(out)
			var ev2 Event
			if !w2.Next(&ev2) {
				t.Fatalf("re-encoded event does not walk: %v", w2.Err())
			}
			if ev2.Shape != ev.Shape || ev2.Kind != ev.Kind || !bytes.Equal(ev2.Metadata, ev.Metadata) || !bytes.Equal(ev2.Record, ev.Record) {
				t.Fatalf("re-encoded event differs: %+v vs %+v", ev2, ev)
			}
			if !ev.IsGroup() && ev2.Time != (Time{1, 2}) {
				t.Fatalf("re-encoded time %+v", ev2.Time)
			}
		}
		if w.Err() == nil && !bytes.Equal(again, data) {
			t.Fatalf("re-encoding the walked chunk changed it:\n%x\n%x", again, data)
		}
		if w.Err() != nil && !bytes.Equal(again, data[:w.Offset()]) {
			t.Fatalf("events before the error do not re-encode to the prefix")
		}
	})
}

func TestSkip(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		end  int
		err  bool
	}{
		{"fixint", []byte{0x05, 0xff}, 1, false},
		{"negative fixint", []byte{0xe0}, 1, false},
		{"fixstr", []byte{0xa2, 'h', 'i'}, 3, false},
		{"str8", []byte{0xd9, 0x01, 'x'}, 3, false},
		{"str16", []byte{0xda, 0x00, 0x01, 'x'}, 4, false},
		{"str32", []byte{0xdb, 0, 0, 0, 1, 'x'}, 6, false},
		{"bin8", []byte{0xc4, 0x02, 1, 2}, 4, false},
		{"nested map", cat([]byte{0x82, 0xa1, 'a', 0x91, 0x80, 0xa1, 'b', 0xc0}), 8, false},
		{"array16", []byte{0xdc, 0x00, 0x02, 0xc2, 0xc3}, 5, false},
		{"map32", []byte{0xdf, 0, 0, 0, 1, 0x01, 0x02}, 7, false},
		{"float64", []byte{0xcb, 0, 0, 0, 0, 0, 0, 0, 0}, 9, false},
		{"fixext16", append([]byte{0xd8, 0x01}, make([]byte, 16)...), 18, false},
		{"ext8", []byte{0xc7, 0x02, 0x05, 1, 2}, 5, false},
		{"ext32", []byte{0xc9, 0, 0, 0, 1, 0x05, 1}, 7, false},
		{"empty", nil, 0, true},
		{"invalid c1", []byte{0x91, 0xc1}, 1, true},
		{"str overruns", []byte{0x92, 0x01, 0xa5, 'a'}, 2, true},
		{"map missing value", []byte{0x81, 0xa1, 'k'}, 3, true},
		{"array32 claims too much", []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}, 6, true},
		{"str32 header cut", []byte{0xdb, 0, 0}, 0, true},
	}
	for _, tt := range tests {
		end, err := skip(tt.b, 0)
		if (err != nil) != tt.err || end != tt.end {
			t.Errorf("%s: skip = %d, %v; want %d, error %v", tt.name, end, err, tt.end, tt.err)
		}
	}
}

// FuzzSkip checks skip against msgp.Skip, the reference.
func FuzzSkip(f *testing.F) {
	f.Add(cat(v1(evTime, recHi), v2(evTime, metaM, recK1)))
	f.Add([]byte{0xdf, 0, 0, 0, 1, 0xd9, 1, 'k', 0xc7, 0x01, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		end, err := skip(b, 0)
		rest, refErr := msgp.Skip(b)
		if errors.Is(refErr, msgp.ErrRecursion) {
			return // skip has no depth limit
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("skip err %v, msgp.Skip err %v", err, refErr)
		}
		if err == nil && end != len(b)-len(rest) {
			t.Fatalf("skip ends at %d, msgp.Skip at %d", end, len(b)-len(rest))
		}
		if err != nil && (end < 0 || end > len(b)) {
			t.Fatalf("error offset %d outside [0, %d]", end, len(b))
		}
	})
}
