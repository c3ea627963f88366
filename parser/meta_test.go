package parser

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestDataKitSeedPipeline(t *testing.T) {
	// The two grok calls of shared/seeds/datakit-python-log-trace.txt, as written there:
	// plain, with the pipeline's own "\\[" escaping, and as the quoted string literal.
	first := seedGrok1
	escaped := `%{TIMESTAMP_ISO8601:time}%{SPACE}%{WORD:level}%{SPACE}%{NOTSPACE}%{SPACE}%{NOTSPACE}%{SPACE}\\[%{GREEDYDATA:trace}\\]%{SPACE}-%{SPACE}%{GREEDYDATA:message}`
	for name, p1 := range map[string]string{"plain": first, "pipeline-escaped": escaped, "quoted": `"` + escaped + `"`} {
		t.Run(name, func(t *testing.T) {
			for _, format := range []string{"stackdriver", "datadog"} {
				p := newProc(t, "format", format, "grok_pattern", p1, "grok_pattern_1", seedGrok2, "severity", "on")
				m, res, _ := process(t, p, logLine(t, seedDDTraceLine))
				if res.Source != SourceGrok {
					t.Fatalf("source = %v", res.Source)
				}
				if m["message"] != "Hello, World!" || m["service"] != nil && format == "datadog" {
					t.Errorf("message/service: %v", m)
				}
				switch format {
				case "stackdriver":
					if m["logging.googleapis.com/trace"] != "projects/my-project/traces/0000000000000000df8c4126fda6fb67" ||
						m["logging.googleapis.com/spanId"] != "b22920973d13d1b7" || m["logging.googleapis.com/severity"] != "INFO" ||
						m["service"] != "Python-App" || m["env"] != "Testing" || m["version"] != "V1.1" {
						t.Errorf("stackdriver: %v", m)
					}
				case "datadog":
					if m["dd.trace_id"] != "16108321602917563239" || m["dd.span_id"] != "12837828046733169079" ||
						m["dd.service"] != "Python-App" || m["dd.env"] != "Testing" || m["dd.version"] != "V1.1" || m["status"] != "info" {
						t.Errorf("datadog: %v", m)
					}
				}
			}
		})
	}
}

func TestGrokRadixFromPattern(t *testing.T) {
	// %{NUMBER:span_id} is decimal even when it is 16 digits long; %{WORD:span_id} of 16 chars is hex.
	p := newProc(t, "grok_pattern", `t=%{NUMBER:trace_id} s=%{NUMBER:span_id}`, "grok_pattern_1", `T=%{WORD:trace_id} S=%{WORD:span_id}`)
	m, _, _ := process(t, p, logLine(t, "t=1234567890123456 s=1234567890123456"))
	if m["logging.googleapis.com/spanId"] != "000462d53c8abac0" {
		t.Errorf("decimal capture: %v", m)
	}
	m, _, _ = process(t, p, logLine(t, "T=1234567890123456 S=1234567890123456"))
	if m["logging.googleapis.com/spanId"] != "1234567890123456" {
		t.Errorf("hex capture: %v", m)
	}
}

func TestSeverity(t *testing.T) {
	cases := []struct {
		key              string
		val              any
		google, dd, otel string
	}{
		{"level", "WARN", "WARNING", "warning", "WARN"},
		{"levelname", "CRITICAL", "CRITICAL", "critical", "FATAL"},
		{"severity", "fatal", "CRITICAL", "critical", "FATAL"},
		{"level", "Information", "INFO", "info", "INFO"},
		{"level", "verbose", "DEBUG", "debug", "DEBUG"},
		{"level", "silly", "DEBUG", "debug", "DEBUG"},
		{"level", "http", "INFO", "info", "INFO"},
		{"lvl", "E", "ERROR", "error", "ERROR"},
		{"level", "SEVERE", "ERROR", "error", "ERROR"},
		{"level", "finest", "DEBUG", "debug", "TRACE"},
		{"level", "emerg", "EMERGENCY", "emergency", "FATAL"},
		{"level", 30, "INFO", "info", "INFO"},
		{"level", 50, "ERROR", "error", "ERROR"},
		{"level", 60, "CRITICAL", "critical", "FATAL"},
		{"level", 10, "DEBUG", "debug", "TRACE"},
		{"priority", "3", "ERROR", "error", "ERROR"},
		{"level", 0, "EMERGENCY", "emergency", "FATAL"},
		{"severity_number", 13, "WARNING", "warning", "WARN"},
		{"log.level", "notice", "NOTICE", "notice", "INFO"},
		{"@l", "Warning", "WARNING", "warning", "WARN"},
		{"log", []kv{{"level", "warn"}, {"logger", "app"}}, "WARNING", "warning", "WARN"}, // ECS nested log.level
		{"level", "bogus", "", "", ""},
		{"level", 35, "", "", ""},
	}
	procs := map[string]*Processor{"google": newProc(t), "dd": newProc(t, "format", "datadog"), "otel": newProc(t, "format", "otel")}
	keys := map[string]string{"google": "logging.googleapis.com/severity", "dd": "status", "otel": "severity_text"}
	for _, c := range cases {
		for name, p := range procs {
			m, _, _ := process(t, p, record(t, kv{c.key, c.val}, kv{"traceparent", w3cLine}))
			want := map[string]string{"google": c.google, "dd": c.dd, "otel": c.otel}[name]
			got, ok := m[keys[name]]
			if want == "" && ok && !(name == "dd" && c.key == "status") || want != "" && got != want {
				t.Errorf("%s=%v %s: got %v, want %q", c.key, c.val, name, got, want)
			}
		}
	}
	off := newProc(t, "severity", "off")
	if m, _, _ := process(t, off, record(t, kv{"level", "info"}, kv{"traceparent", w3cLine})); m["logging.googleapis.com/severity"] != nil {
		t.Error("Severity off still writes")
	}
}

func TestTextLineLevel(t *testing.T) {
	for line, want := range map[string]level{
		"2021-06-18 10:07:08,786 INFO [__main__] x":  lvInfo,
		"[ERROR] something":                          lvError,
		"WARN: disk":                                 lvWarning,
		"I0621 10:07:08.786 1 main.go:1] hi":         lvInfo,
		"E0621 10:07:08.786 1 main.go:1] hi":         lvError,
		"an error occurred, info follows":            lvNone,
		"level=warn msg=x":                           lvNone, // via key=value, not the token scan
		"2021-06-18T10:07:08Z DEBUG starting worker": lvDebug,
	} {
		if got := textLineLevel([]byte(line)); got != want {
			t.Errorf("%q: %v, want %v", line, got, want)
		}
	}
}

func TestEventTime(t *testing.T) {
	ts := func(s string) EventTime {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return EventTime{Sec: tm.Unix(), Nsec: int64(tm.Nanosecond())}
	}
	cases := []struct {
		rec  []kv
		want *EventTime
	}{
		{[]kv{{"time", "2025-09-10T16:30:45.123456789Z"}}, ptr(ts("2025-09-10T16:30:45.123456789Z"))},
		{[]kv{{"timestamp", "2025-09-10T16:30:45.5+02:00"}}, ptr(ts("2025-09-10T14:30:45.5Z"))},
		{[]kv{{"@timestamp", "2025-09-10 16:30:45,250-0700"}}, ptr(ts("2025-09-10T23:30:45.25Z"))},
		{[]kv{{"time", 1623982028786}}, ptr(ts("2021-06-18T02:07:08.786Z"))},
		{[]kv{{"ts", 1623982028.5}}, ptr(ts("2021-06-18T02:07:08.5Z"))},
		{[]kv{{"time", uint64(1623982028786000000)}}, ptr(ts("2021-06-18T02:07:08.786Z"))},
		{[]kv{{"time", "2021-06-18 10:07:08,786"}}, nil}, // no zone: ambiguous
		{[]kv{{"time", "2021-02-30T10:07:08Z"}}, nil},
		{[]kv{{"time", "2021-13-18T10:07:08Z"}}, nil},
		{[]kv{{"time", "2021-06-18T10:07:08.Z"}}, nil},                                                 // a fraction with no digits
		{[]kv{{"time", "2021-06-18T10:07:08.5 INFO"}}, nil},                                            // no zone after the fraction
		{[]kv{{"time", "2021-06-18T10:07:08+0x:00"}}, nil},                                             // a zone that is not digits
		{[]kv{{"time", "2021-06-18T1x:07:08.5+02:00"}}, nil},                                           // a zone, but the hour is not digits
		{[]kv{{"time", "2021-06-18T10:07:08.1234567891Z"}}, ptr(ts("2021-06-18T10:07:08.123456789Z"))}, // digits past the ninth
		{[]kv{{"time", "2021-06-18 10:07:08 +02:00"}}, ptr(ts("2021-06-18T08:07:08Z"))},
		{[]kv{{"time", 42}}, nil},
		{[]kv{{"log", "2021-06-18T10:07:08.786Z INFO traceparent=" + w3cLine}}, ptr(ts("2021-06-18T10:07:08.786Z"))},
		{[]kv{{"log", `{"time":"2021-06-18T10:07:08.786Z","traceparent":"` + w3cLine + `"}`}}, ptr(ts("2021-06-18T10:07:08.786Z"))},
	}
	p := newProc(t)
	for _, c := range cases {
		rec := c.rec
		if rec[0].k != "log" {
			rec = append(rec, kv{"traceparent", w3cLine})
		}
		_, res := p.Process(nil, record(t, rec...))
		if !res.Linked() {
			t.Fatalf("%v not linked", c.rec)
		}
		if c.want == nil && res.HasTime || c.want != nil && (!res.HasTime || res.Time != *c.want) {
			t.Errorf("%v: got %v %+v, want %v", c.rec, res.HasTime, res.Time, c.want)
		}
	}
	off := newProc(t, "event_time", "off")
	if _, res := off.Process(nil, record(t, kv{"time", 1623982028786}, kv{"traceparent", w3cLine})); res.HasTime {
		t.Error("Event_Time off still reads time")
	}
}

func ptr[T any](v T) *T { return &v }

func TestSourceLocation(t *testing.T) {
	cases := []struct {
		rec  []kv
		want map[string]any
	}{
		{[]kv{{"sourceLocation", []kv{{"file", "app.py"}, {"line", 21}, {"function", "wrapper"}}}}, map[string]any{"file": "app.py", "line": int64(21), "function": "wrapper"}},
		{[]kv{{"caller", "pkg/server.go:42"}}, map[string]any{"file": "pkg/server.go", "line": int64(42)}},
		{[]kv{{"filename", "lt.py"}, {"lineno", "26"}, {"funcName", "index"}}, map[string]any{"file": "lt.py", "line": int64(26), "function": "index"}},
		{[]kv{{"source", []kv{{"function", "main.run"}, {"file", "/src/main.go"}, {"line", 7}}}}, map[string]any{"file": "/src/main.go", "line": int64(7), "function": "main.run"}},
		{[]kv{{"log", `{"function":"on_participant_joined","line":205,"traceparent":"` + w3cLine + `"}`}}, map[string]any{"line": int64(205), "function": "on_participant_joined"}},
		{[]kv{{"line", 3}}, nil},
	}
	p := newProc(t)
	for _, c := range cases {
		rec := append(c.rec, kv{"traceparent", w3cLine})
		m, _, _ := process(t, p, record(t, rec...))
		got, ok := m["logging.googleapis.com/sourceLocation"].(map[string]any)
		if c.want == nil {
			if ok {
				t.Errorf("%v: unexpected %v", c.rec, got)
			}
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%v: got %v, want %v", c.rec, got, c.want)
			continue
		}
		for k, v := range c.want {
			g := got[k]
			if u, isU := g.(uint64); isU {
				g = int64(u)
			}
			if g != v {
				t.Errorf("%v: %s = %v (%T), want %v", c.rec, k, got[k], got[k], v)
			}
		}
	}
}

// TestLevelWord checks the word-load level table against a plain lookup of levelWords:
// every word in three cases, and random one-byte changes of them (case flips, bytes that
// differ from a letter only in bit 0x20, any byte), which must match exactly when the
// lower-cased result is a level word.
func TestLevelWord(t *testing.T) {
	want := func(w []byte) level {
		lower := make([]byte, len(w))
		for i, c := range w {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
		return levelWords[string(lower)] // lvNone when absent
	}
	if len(levelWords)*2 > levelSlots {
		t.Fatalf("%d level words fill over half of %d slots", len(levelWords), levelSlots)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for w, lv := range levelWords {
		if strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("level word %q: the table's keys need lower-case letters only", w)
		}
		for _, v := range []string{w, strings.ToUpper(w), strings.ToUpper(w[:1]) + w[1:]} {
			if got := levelWord([]byte(v)); got != lv {
				t.Errorf("levelWord(%q) = %v, want %v", v, got, lv)
			}
		}
		for n := 0; n < 2000; n++ {
			b := []byte(w)
			i := rng.IntN(len(b))
			switch n % 3 {
			case 0:
				b[i] ^= 0x20
			case 1:
				b[i] &^= 0x20 | 0x40 // a control character or digit where a letter was
			default:
				b[i] = byte(rng.IntN(256))
			}
			if rng.IntN(4) == 0 {
				b = append(b, "x_ \x00"[rng.IntN(4)])
			}
			if got := levelWord(b); got != want(b) {
				t.Fatalf("levelWord(%q) = %v, want %v", b, got, want(b))
			}
		}
	}
	for _, w := range []string{"", "inf", "infos", "informationalx", "informational-informational", " info"} {
		if got := levelWord([]byte(w)); got != lvNone {
			t.Errorf("levelWord(%q) = %v, want none", w, got)
		}
	}
}
