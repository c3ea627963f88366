package parser

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Property describes one configuration property the core accepts.
// The README's reference table is tested against this list.
type Property struct {
	Name     string // canonical spelling, as documented; lookups are case-insensitive
	Default  string // what applies when the property is not set
	Accepted string // the values accepted, for error messages and docs
	Doc      string // one sentence on what it does
}

// MaxGrokPatterns is how many Grok_Pattern properties one processor takes:
// Grok_Pattern, then Grok_Pattern_1 ... Grok_Pattern_<MaxGrokPatterns-1>, tried in that order.
const MaxGrokPatterns = 32

var properties = []Property{
	{"Format", "stackdriver", "stackdriver, datadog, otel", "The backend the record is rewritten for."},
	{"Project_ID", "$GOOGLE_CLOUD_PROJECT, then the GCE metadata server", "a Google Cloud project id", "Project used in logging.googleapis.com/trace (stackdriver format only); required for that format."},
	{"Trace_Key", "(detect)", "a record key; a dotted path such as req.trace reaches into nested maps", "Read the trace id from this key before any detection."},
	{"Span_Key", "(detect)", "a record key or dotted path", "Read the span id from this key before any detection."},
	{"Sampled_Key", "(detect)", "a record key or dotted path", "Read the sampled flag from this key before any detection."},
	{"Message_Key", "log, message, msg, MESSAGE (first present)", "a record key", "The field holding the application's log line (text or JSON)."},
	{"Grok_Pattern", "(none)", "a grok expression (vjeantet/grok syntax and default patterns); also Grok_Pattern_1 ... Grok_Pattern_31, tried in order", "Extra line format: captures trace_id, span_id, sampled, level, time, message, service, env, version."},
	{"Grok_Patterns_File", "(none)", "path to a file of NAME REGEX lines", "Extra named patterns for Grok_Pattern."},
	{"Merge_Log", "off", "on, off", "Lift the application's JSON line from the message field into the record, linked or not (the message field is then removed; a text line stays as it is)."},
	{"Datadog_Trace_Id", "decimal", "decimal, hex", "How dd.trace_id is written: decimal lower 64 bits, or the 32-hex 128-bit id."},
	{"Severity", "on", "on, off", "Write the log level, normalized, to the backend's severity field."},
	{"Source_Location", "on", "on, off", "Write file/line/function to logging.googleapis.com/sourceLocation (stackdriver format)."},
	{"Event_Time", "on", "on, off", "Use the log's own timestamp as the record's event time when it is unambiguous."},
	{"Sample_Rate", "1 (keep everything)", "a number from 0 to 1", "Keep this share of traces, whole (decided from the trace id, the same everywhere), and of records without a trace; records at or above Sample_Keep_Level and of traces whose sampled flag is set are always kept."},
	{"Sample_Keep_Level", "warning", sampleKeepLevelAccepted, "With Sample_Rate: records at or above this level are always kept."},
	{"Output_Trace_Key", "stackdriver: logging.googleapis.com/trace; datadog: dd.trace_id; otel: trace_id", "a record key", "Where the trace id is written."},
	{"Output_Span_Key", "stackdriver: logging.googleapis.com/spanId; datadog: dd.span_id; otel: span_id", "a record key", "Where the span id is written."},
	{"Output_Sampled_Key", "stackdriver: logging.googleapis.com/traceSampled; otel: trace_flags; datadog: (not written)", "a record key (logging.googleapis.com/trace_sampled for Google's agents)", "Where the sampled flag is written."},
	{"Output_Severity_Key", "stackdriver: logging.googleapis.com/severity; datadog: status; otel: severity_text", "a record key (severity for Google's agents)", "Where the normalized level is written."},
	{"Output_Source_Location_Key", "stackdriver: logging.googleapis.com/sourceLocation", "a record key", "Where the source location map is written (stackdriver format)."},
}

// Properties returns the properties the core accepts, in documentation order.
func Properties() []Property {
	out := make([]Property, len(properties))
	copy(out, properties)
	return out
}

// IsProperty reports whether name (any case) is a core property, including the numbered
// Grok_Pattern_N forms.
func IsProperty(name string) bool {
	_, ok := canonicalName(name)
	return ok
}

// canonicalName maps a property name of any case to its lowercase canonical form.
func canonicalName(name string) (string, bool) {
	l := strings.ToLower(strings.TrimSpace(name))
	for _, p := range properties {
		if strings.ToLower(p.Name) == l {
			return l, true
		}
	}
	if n, ok := grokIndex(l); ok && n > 0 {
		return l, true
	}
	return "", false
}

// GrokPatternProperty names the n-th grok pattern property: Grok_Pattern for 0, then
// Grok_Pattern_1 ... Grok_Pattern_<MaxGrokPatterns-1>.
func GrokPatternProperty(n int) string {
	if n == 0 {
		return "Grok_Pattern"
	}
	return "Grok_Pattern_" + strconv.Itoa(n)
}

// grokIndex returns N for grok_pattern_N (0 for grok_pattern).
func grokIndex(lower string) (int, bool) {
	if lower == "grok_pattern" {
		return 0, true
	}
	rest, ok := strings.CutPrefix(lower, "grok_pattern_")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n >= MaxGrokPatterns || strconv.Itoa(n) != rest {
		return 0, false
	}
	return n, true
}

// PropertyError is a configuration error naming the property, the bad value and what is accepted.
type PropertyError struct {
	Property string
	Value    string
	Accepted string
	Err      error // optional underlying cause
}

func (e *PropertyError) Error() string {
	msg := fmt.Sprintf("property %s: invalid value %q", e.Property, e.Value)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Accepted != "" {
		msg += " (accepted: " + e.Accepted + ")"
	}
	return msg
}

func (e *PropertyError) Unwrap() error { return e.Err }

// normalizeProps lowercases keys and rejects unknown and duplicate (case-folded) names.
func normalizeProps(props map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(props))
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c, ok := canonicalName(k)
		if !ok {
			return nil, fmt.Errorf("unknown property %q (known: %s)", k, knownList())
		}
		if _, dup := out[c]; dup {
			return nil, fmt.Errorf("property %q is set twice (names are case-insensitive)", k)
		}
		out[c] = props[k]
	}
	return out, nil
}

func knownList() string {
	names := make([]string, 0, len(properties))
	for _, p := range properties {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// ParseBool reads property prop's value v in Fluent Bit's boolean spellings; "" is def.
// Anything else fails with a *PropertyError naming what is accepted.
func ParseBool(prop, v string, def bool) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return def, nil
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, &PropertyError{Property: prop, Value: v, Accepted: "on, off, true, false, yes, no"}
}
