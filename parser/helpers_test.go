package parser

import (
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// kv is an ordered key/value pair for building test records.
type kv struct {
	k string
	v any
}

// record builds a msgpack map from ordered pairs. Values: string, []byte (bin), int, uint64,
// float64, bool, nil, []kv (nested map, ordered), []any (array), msgp.Extension.
func record(tb testing.TB, pairs ...kv) []byte {
	tb.Helper()
	return appendPairs(tb, nil, pairs)
}

func appendPairs(tb testing.TB, b []byte, pairs []kv) []byte {
	b = msgp.AppendMapHeader(b, uint32(len(pairs)))
	for _, p := range pairs {
		b = msgp.AppendString(b, p.k)
		b = appendValue(tb, b, p.v)
	}
	return b
}

func appendValue(tb testing.TB, b []byte, v any) []byte {
	switch x := v.(type) {
	case []kv:
		return appendPairs(tb, b, x)
	case []any:
		b = msgp.AppendArrayHeader(b, uint32(len(x)))
		for _, e := range x {
			b = appendValue(tb, b, e)
		}
		return b
	}
	b, err := msgp.AppendIntf(b, v)
	if err != nil {
		tb.Fatalf("appendValue(%T): %v", v, err)
	}
	return b
}

// logLine is the record tail + CRI produce for one line.
func logLine(tb testing.TB, line string) []byte { return record(tb, kv{"log", line}) }

// decode turns a msgpack record into a map for assertions.
func decode(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	v, rest, err := msgp.ReadIntfBytes(b)
	if err != nil || len(rest) != 0 {
		tb.Fatalf("decode: %v (rest %d bytes)", err, len(rest))
	}
	m, ok := v.(map[string]any)
	if !ok {
		tb.Fatalf("decode: not a map: %T", v)
	}
	return m
}

// keysInOrder lists a msgpack map's top-level keys in their order.
func keysInOrder(tb testing.TB, b []byte) []string {
	tb.Helper()
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		tb.Fatal(err)
	}
	var keys []string
	for i := uint32(0); i < n; i++ {
		var k string
		if k, b, err = msgp.ReadStringBytes(b); err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, k)
		if b, err = msgp.Skip(b); err != nil {
			tb.Fatal(err)
		}
	}
	return keys
}

// rawEntry returns the raw value bytes of a top-level key.
func rawEntry(tb testing.TB, b []byte, key string) []byte {
	tb.Helper()
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		tb.Fatal(err)
	}
	for i := uint32(0); i < n; i++ {
		var k string
		if msgp.NextType(b) == msgp.StrType {
			if k, b, err = msgp.ReadStringBytes(b); err != nil {
				tb.Fatal(err)
			}
		} else if b, err = msgp.Skip(b); err != nil {
			tb.Fatal(err)
		}
		rest, err := msgp.Skip(b)
		if err != nil {
			tb.Fatal(err)
		}
		if k == key {
			return b[:len(b)-len(rest)]
		}
		b = rest
	}
	return nil
}

func newProc(tb testing.TB, props ...string) *Processor {
	tb.Helper()
	m := map[string]string{"project_id": "my-project"}
	for i := 0; i+1 < len(props); i += 2 {
		m[props[i]] = props[i+1]
	}
	p, err := New(m)
	if err != nil {
		tb.Fatalf("New(%v): %v", m, err)
	}
	return p
}

func process(tb testing.TB, p *Processor, rec []byte) (map[string]any, Result, []byte) {
	tb.Helper()
	out, res := p.Process(nil, rec)
	return decode(tb, out), res, out
}
