package parser

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tracelink/tracelink/internal/property"
)

// Property describes one configuration property (internal/property holds the type, shared
// with the plugin and the CLI).
type Property = property.Property

// PropertyError is a configuration error naming the property, the bad value and what is
// accepted.
type PropertyError = property.Error

// MaxGrokPatterns is how many Grok_Pattern properties one processor takes:
// Grok_Pattern, then Grok_Pattern_1 ... Grok_Pattern_<MaxGrokPatterns-1>, tried in that order.
const MaxGrokPatterns = 32

var properties = []Property{
	{Name: "Format", Default: "stackdriver", Accepted: formatNames(), Doc: "The backend the record is rewritten for."},
	{Name: "Project_ID", Default: "$GOOGLE_CLOUD_PROJECT, then the GCE metadata server", Accepted: "a Google Cloud project id", Doc: "Project used in logging.googleapis.com/trace (stackdriver format only); required for that format."},
	{Name: "Trace_Key", Default: "(detect)", Accepted: "a record key; a dotted path such as req.trace reaches into nested maps", Doc: "Read the trace id from this key before any detection."},
	{Name: "Span_Key", Default: "(detect)", Accepted: "a record key or dotted path", Doc: "Read the span id from this key before any detection."},
	{Name: "Sampled_Key", Default: "(detect)", Accepted: "a record key or dotted path", Doc: "Read the sampled flag from this key before any detection."},
	{Name: "Message_Key", Default: "log, message, msg, MESSAGE (first present)", Accepted: "a record key", Doc: "The field holding the application's log line (text or JSON)."},
	{Name: "Grok_Pattern", Default: "(none)", Accepted: "a grok expression (vjeantet/grok syntax and default patterns); also Grok_Pattern_1 ... Grok_Pattern_31, tried in order", Doc: "Extra line format: captures trace_id, span_id, sampled, level, time, message, service, env, version."},
	{Name: "Grok_Patterns_File", Default: "(none)", Accepted: "path to a file of NAME REGEX lines", Doc: "Extra named patterns for Grok_Pattern."},
	{Name: "Merge_Log", Default: "off", Accepted: "on, off", Doc: "Lift the application's JSON line from the message field into the record, linked or not (the message field is then removed; a text line stays as it is)."},
	{Name: "Datadog_Trace_Id", Default: "decimal", Accepted: "decimal, hex", Doc: "How dd.trace_id is written: decimal lower 64 bits, or the 32-hex 128-bit id."},
	{Name: "Severity", Default: "on", Accepted: "on, off", Doc: "Write the log level, normalized, to the backend's severity field."},
	{Name: "Source_Location", Default: "on", Accepted: "on, off", Doc: "Write file/line/function to logging.googleapis.com/sourceLocation (stackdriver format)."},
	{Name: "Event_Time", Default: "on", Accepted: "on, off", Doc: "Use the log's own timestamp as the record's event time when it is unambiguous."},
	{Name: "Sample_Rate", Default: "1 (keep everything)", Accepted: "a number from 0 to 1", Doc: "Keep this share of traces, whole (decided from the trace id, the same everywhere), and of records without a trace; records at or above Sample_Keep_Level and of traces whose sampled flag is set are always kept."},
	{Name: "Sample_Keep_Level", Default: "warning", Accepted: sampleKeepLevelAccepted, Doc: "With Sample_Rate: records at or above this level are always kept."},
	{Name: "Output_Trace_Key", Default: outputDefaults(func(b *backend) string { return b.trace }), Accepted: "a record key", Doc: "Where the trace id is written."},
	{Name: "Output_Span_Key", Default: outputDefaults(func(b *backend) string { return b.span }), Accepted: "a record key", Doc: "Where the span id is written."},
	{Name: "Output_Sampled_Key", Default: outputDefaults(func(b *backend) string { return b.sampled }), Accepted: "a record key (logging.googleapis.com/trace_sampled for Google's agents)", Doc: "Where the sampled flag is written."},
	{Name: "Output_Severity_Key", Default: outputDefaults(func(b *backend) string { return b.severity }), Accepted: "a record key (severity for Google's agents)", Doc: "Where the normalized level is written."},
	{Name: "Output_Source_Location_Key", Default: outputDefaults(func(b *backend) string { return b.sourceLoc }), Accepted: "a record key", Doc: "Where the source location map is written (stackdriver format)."},
}

// outputDefaults lists an output key's default per backend ("stackdriver: K; ..."), the
// backends that never write it last.
func outputDefaults(key func(*backend) string) string {
	var set, unset []string
	for f := range numFormats {
		if k := key(f.backend()); k != "" {
			set = append(set, f.String()+": "+k)
		} else {
			unset = append(unset, f.String())
		}
	}
	if len(unset) > 0 {
		set = append(set, strings.Join(unset, ", ")+": (not written)")
	}
	return strings.Join(set, "; ")
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
