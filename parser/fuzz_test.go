package parser

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

var googleTraceRE = regexp.MustCompile(`^projects/[A-Za-z0-9][A-Za-z0-9.:_-]{0,99}/traces/[0-9a-f]{32}$`)

// checkProcess asserts the invariants every record must satisfy.
func checkProcess(t *testing.T, procs []*Processor, rec []byte) {
	for _, p := range procs {
		out, res := p.Process(nil, rec)
		if !res.Changed {
			if !bytes.Equal(out, rec) {
				t.Fatalf("%v: unchanged result differs from input", p.Format())
			}
			continue
		}
		rest, err := msgp.Skip(out)
		if err != nil || len(rest) != 0 || msgp.NextType(out) != msgp.MapType {
			t.Fatalf("%v: output is not one msgpack map: %v", p.Format(), err)
		}
		if !res.Linked() && !p.cfg.mergeLog {
			t.Fatalf("%v: changed without a link", p.Format()) // Merge_Log lifts unlinked JSON lines too
		}
		if p.Format() == FormatStackdriver {
			tr, _, err := msgp.ReadStringBytes(rawEntry(t, out, p.cfg.outTrace))
			if err != nil || !googleTraceRE.MatchString(tr) {
				t.Fatalf("bad trace %q: %v", tr, err)
			}
			if raw := rawEntry(t, out, p.cfg.outSpan); raw != nil {
				if sp, _, err := msgp.ReadStringBytes(raw); err != nil || len(sp) != 16 || sp == "0000000000000000" {
					t.Fatalf("bad span %q: %v", sp, err)
				}
			}
		}
		again, res2 := p.Process(nil, out)
		if !bytes.Equal(again, out) || res2.Changed {
			t.Fatalf("%v: processing the output again changed it\n%x\n%x", p.Format(), out, again)
		}
	}
}

func fuzzProcs(t testing.TB) []*Processor {
	return []*Processor{
		newProc(t), newProc(t, "format", "datadog"), newProc(t, "format", "otel", "merge_log", "on"),
		newProc(t, "grok_pattern", seedGrok1, "grok_pattern_1", seedGrok2),
	}
}

// FuzzLine feeds arbitrary log lines, as a container record's log field.
func FuzzLine(f *testing.F) {
	for _, v := range referenceVectors {
		f.Add(v.line)
	}
	f.Add(seedDDTraceLine)
	f.Add(appJSONLine)
	f.Add(`{"dd":{"trace_id":"1","span_id":"2"},"level":30,"time":1623982028786,"caller":"a.go:1"}`)
	f.Add(`[app,4bf92f3577b34da6a3ce929d0e0e4736,00f067aa0ba902b7,true] GET /`)
	procs := fuzzProcs(f)
	f.Fuzz(func(t *testing.T, line string) {
		checkProcess(t, procs, logLine(t, line))
	})
}

// FuzzRecord feeds arbitrary bytes as a record.
func FuzzRecord(f *testing.F) {
	f.Add(record(f, kv{"dd", []kv{{"trace_id", "2199711714951426111"}}}, kv{"traceparent", w3cLine}))
	f.Add(record(f, kv{"logging.googleapis.com/trace", "projects/p/traces/" + w3cTrace}, kv{"x", []any{1, nil}}))
	f.Add(k8sRecord(appJSONLine))
	f.Add([]byte{0x81, 0xa3, 'l', 'o', 'g', 0xc1})
	procs := fuzzProcs(f)
	f.Fuzz(func(t *testing.T, rec []byte) {
		checkProcess(t, procs, rec)
	})
}

// FuzzHeaders feeds arbitrary header values to every format parser.
func FuzzHeaders(f *testing.F) {
	for _, s := range []string{w3cLine, "80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-1-e457b5a2e4d86bd1",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "51729f13a64c2ef3%3A258169797d519815%3A0%3A1",
		"000000000000007b00000000000001c8/789;o=1", "projects/p/traces/" + w3cTrace, w3cTrace + "-" + w3cSpan + "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		for _, parse := range []func([]byte) (spanCtx, bool){parseTraceparent, parseB3Single, parseXRay, parseJaeger, parseCloudTrace, parseSentryTrace} {
			if c, ok := parse(b); ok && c.trace.isZero() {
				t.Fatalf("zero trace accepted from %q", s)
			}
		}
		parseGoogleTrace(b)
		parseSampled(b)
		parseZonedTime(b)
		findSleuth(b)
		findCloudTraceToken(b)
		findNRLinking(b)
		shapedValue(b)
		shapedTrace(b)
		findBareTraceparent(b)
		for _, r := range []radix{radixAuto, radixHex, radixDecimal, radixDatadog} {
			parseTraceString(b, r)
			parseSpanString(b, r)
		}
	})
}

// FuzzJSONString checks the word-at-a-time string scanner against a byte loop.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"0123456789abcdef"`, `"dd.trace_id\\"`, `"unterminated`, `"x\\\"y" tail`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) == 0 || s[0] != '"' {
			s = `"` + s
		}
		b := []byte(s)
		raw, rest, _, ok := jsonString(b)
		// Reference: the first unescaped quote after the opening one.
		end := -1
		for i := 1; i < len(b); i++ {
			if b[i] == '\\' {
				i++
				continue
			}
			if b[i] == '"' {
				end = i
				break
			}
		}
		if ok != (end >= 0) || ok && (len(raw) != end-1 || len(rest) != len(b)-end-1) {
			t.Fatalf("%q: got ok=%v raw=%q, reference end %d", s, ok, raw, end)
		}
	})
}

// FuzzShapes feeds arbitrary text to the finders and shape parsers added for values with no
// key of their own: whatever they accept has a non-zero trace, and a value shapeField does
// not mark is never parsed as a header by shapedValue.
func FuzzShapes(f *testing.F) {
	for _, s := range []string{
		"hello NR-LINKING|MTIzNDU2|web-1|" + w3cTrace + "|" + w3cSpan + "|checkout|",
		`"GET / HTTP/1.1" 200 "` + w3cTrace + `/67667974448284343;o=1"`,
		"51729f13a64c2ef3:258169797d519815:0:1", "ctx=1729f13a64c2ef3:58169797d519815:0:3",
		"Sampled=0;Root=1-5759e988-bd862e3fe1be46a994272793", "1-5759e988-bd862e3fe1be46a994272793",
		w3cLine + ", " + w3cLine, "hop " + w3cLine + ".what", "[!dt dt.trace_id=" + w3cTrace + ",dt.span_id=" + w3cSpan + "]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		for _, find := range []func([]byte) (spanCtx, bool, bool){findBareTraceparent, findCloudTraceToken, findNRLinking, findSleuth, findJaegerToken, findXRayToken} {
			if c, ok, seen := find(b); ok && (c.trace.isZero() || !seen) {
				t.Fatalf("finder accepted %q: %+v (seen %v)", s, c, seen)
			}
		}
		if c, _, ok := shapedValue(b); ok && c.trace.isZero() {
			t.Fatalf("zero trace from %q", s)
		}
		if c, _, ok := shapedTrace(b); ok && c.trace.isZero() {
			t.Fatalf("zero trace from %q", s)
		}
		if c, ok := parseJaegerStrict(b); ok && (c.trace.isZero() || c.span == 0) {
			t.Fatalf("jaeger %q: %+v", s, c)
		}
		vocabField(b)
		for _, min := range []int{1, 13} {
			looseHexTrace(value{kind: vkString, s: b}, min)
			looseHexSpan(value{kind: vkString, s: b}, min)
		}
	})
}
