package parser

import "testing"

// The detector table is consistent: each field of trace context is listed by one
// detector, each key names one field, each trigger belongs to one detector and is among
// its own fields (fGoogleTraceValue and fShapedValue, found by their values, aside); a
// text-only detector has a finder and a source and nothing else.
func TestDetectorsTable(t *testing.T) {
	owner := map[field]int{}
	keyOf := map[string]field{}
	triggers := map[field]int{}
	byValue := func(f field) bool { return f == fGoogleTraceValue || f == fShapedValue }
	for i, d := range detectors {
		if d.trigger == fNone && d.present == nil {
			if d.text == nil || d.source == SourceNone || d.read != nil || d.parse != nil || len(d.keys) > 0 {
				t.Errorf("detector %d: a text-only detector needs text and source, and nothing else", i)
			}
			continue
		}
		if (d.trigger == fNone) == (d.present == nil) {
			t.Errorf("detector %d: exactly one of trigger and present must be set", i)
		}
		if d.read == nil && (d.parse == nil || d.source == SourceNone) {
			t.Errorf("detector %d: a header detector needs parse and source", i)
		}
		if d.trigger != fNone {
			if j, dup := triggers[d.trigger]; dup {
				t.Errorf("detectors %d and %d share trigger field %d", j, i, d.trigger)
			}
			triggers[d.trigger] = i
		}
		ownsTrigger := d.trigger == fNone || byValue(d.trigger)
		for _, fk := range d.keys {
			if j, dup := owner[fk.f]; dup && j != i {
				t.Errorf("field %d is listed by detectors %d and %d", fk.f, j, i)
			}
			owner[fk.f] = i
			ownsTrigger = ownsTrigger || fk.f == d.trigger
			if len(fk.keys) == 0 {
				t.Errorf("detector %d: field %d has no key", i, fk.f)
			}
			for _, k := range fk.keys {
				if g, dup := keyOf[k]; dup {
					t.Errorf("key %q names fields %d and %d", k, g, fk.f)
				}
				keyOf[k] = fk.f
				if _, meta := metaFields[k]; meta {
					t.Errorf("key %q is also a meta key", k)
				}
			}
		}
		if !ownsTrigger {
			t.Errorf("detector %d: its trigger field %d is not among its keys", i, d.trigger)
		}
	}
	for f := numMetaFields; f < numFields; f++ {
		if _, ok := owner[f]; !ok && !byValue(f) {
			t.Errorf("field %d belongs to no detector", f)
		}
	}
	if headerValued(fDDTrace) || !headerValued(fTraceparent) || !headerValued(fXRayRoot) {
		t.Error("headerValued does not follow the table")
	}
}
