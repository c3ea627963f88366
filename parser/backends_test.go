package parser

import (
	"errors"
	"testing"
)

// Every backend entry is complete: a new one that forgets a part fails here, not in a
// user's pipeline.
func TestBackendsComplete(t *testing.T) {
	seen := map[string]Format{}
	for f := range numFormats {
		be := f.backend()
		if len(be.names) == 0 {
			t.Fatalf("Format %d has no name", f)
		}
		for _, n := range be.names {
			if g, dup := seen[n]; dup {
				t.Errorf("name %q of %s is also %s's", n, f, g)
			}
			seen[n] = f
			if got, err := parseFormat(" " + n + " "); err != nil || got != f {
				t.Errorf("parseFormat(%q) = %v, %v; want %s", n, got, err, f)
			}
		}
		if be.trace == "" || be.span == "" || be.severity == "" {
			t.Errorf("%s: trace %q, span %q, severity %q: the trace, span and severity keys are required", f, be.trace, be.span, be.severity)
		}
		if be.appendTrace == nil || be.appendSpan == nil || be.appendSampled == nil || be.readOwn == nil {
			t.Errorf("%s: an encoder or readOwn is missing", f)
		}
		for lv := lvTrace; lv < numLevels; lv++ {
			if be.levels[lv] == "" {
				t.Errorf("%s: no severity name for level %d", f, lv)
			}
		}
		if be.source == SourceNone {
			t.Errorf("%s: no source", f)
		}
	}
	var pe *PropertyError
	if _, err := parseFormat("kafka"); !errors.As(err, &pe) || pe.Accepted != "stackdriver, datadog, otel" {
		t.Errorf("parseFormat(kafka) = %v, want a PropertyError accepting stackdriver, datadog, otel", err)
	}
}

// What a backend writes, it reads back as the same link (a record rewritten twice keeps
// its link): the encoders and readOwn agree.
func TestBackendsReadTheirOwnKeys(t *testing.T) {
	line := `{"message":"x","dd":{"trace_id":"1234567890123456789","span_id":"987654321987654321"},"trace_flags":"01"}`
	for f := range numFormats {
		t.Run(f.String(), func(t *testing.T) {
			p := mustProcessor(t, map[string]string{"format": f.String(), "project_id": "demo"})
			once, res1 := p.Process(nil, k8sRecord(line))
			twice, res2 := p.Process(nil, once)
			if !res1.Linked() || !res2.Linked() || res1.Link != res2.Link {
				t.Fatalf("first %+v, second %+v: the link changed", res1.Link, res2.Link)
			}
			if res2.Source != f.backend().source {
				t.Errorf("second pass counted under %v, want %v", res2.Source, f.backend().source)
			}
			if string(once) != string(twice) {
				t.Errorf("the second rewrite changed the record")
			}
		})
	}
}
