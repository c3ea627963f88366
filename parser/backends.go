package parser

import (
	"strings"

	"github.com/tinylib/msgp/msgp"
)

// Format is the backend a record is rewritten for: an index into backends.
type Format uint8

// The output formats.
const (
	FormatStackdriver Format = iota
	FormatDatadog
	FormatOTel
	numFormats
)

// backend is everything that differs between Formats: the keys the backend links a log to
// its trace through, and how it wants the ids, the sampled flag and the severity written.
// Adding a backend is one entry in backends (and its tests); see CONTRIBUTING.md.
type backend struct {
	// names are the accepted values of the Format property, the canonical one first.
	names []string
	// source is the Source a record already carrying this backend's keys counts under.
	source Source
	// The default output keys (Output_*_Key change them); "" = never written.
	trace, span, sampled, severity, sourceLoc string
	// attrs are the keys service, env and version (from grok, or a text line) go under.
	attrs [3]string
	// textAttrs: the dd.service/env/version of a text line become attributes.
	textAttrs bool
	// nestDD: ids go into the record's own nested "dd" map when it has one.
	nestDD bool
	// needsProject: trace ids are resource names in a Google Cloud project (Project_ID).
	needsProject bool
	// otlpMetadata: the link also goes into each event's metadata (otlp map), where
	// Fluent Bit's opentelemetry output reads it.
	otlpMetadata bool
	// levels are the severity names written, by level.
	levels [numLevels]string
	// appendTrace, appendSpan and appendSampled append the msgpack values written.
	appendTrace   func(dst []byte, c *config, w *candidate) []byte
	appendSpan    func(dst []byte, span uint64) []byte
	appendSampled func(dst []byte, ctx *spanCtx) []byte
	// flags: the sampled flag is written as W3C trace flags (read back with readFlags).
	flags bool
	// sampledAlso is a field whose sampled flag counts when the output keys carry none.
	sampledAlso field
	// readOwn reads the trace context a record already rewritten for this backend holds
	// under its output keys (tv, sv: the trace and span values).
	readOwn func(c *candidate, tv, sv *value)
}

var backends = [numFormats]backend{
	FormatStackdriver: {
		names:        []string{"stackdriver", "google", "gcp"},
		source:       SourceGoogle,
		trace:        keyGoogleTrace,
		span:         keyGoogleSpan,
		sampled:      keyGoogleSampled,
		severity:     keyGoogleSeverity,
		sourceLoc:    keyGoogleSourceLoc,
		attrs:        [3]string{"service", "env", "version"},
		needsProject: true,
		// Cloud Logging's LogSeverity names.
		levels:        [numLevels]string{lvTrace: "DEBUG", lvDebug: "DEBUG", lvInfo: "INFO", lvNotice: "NOTICE", lvWarning: "WARNING", lvError: "ERROR", lvCritical: "CRITICAL", lvAlert: "ALERT", lvEmergency: "EMERGENCY"},
		appendTrace:   appendGoogleTrace,
		appendSpan:    appendHexSpan,
		appendSampled: appendBoolSampled,
		readOwn:       readGoogleOwn,
		// Google's own loggers write trace_sampled next to the keys the output reads
		// (googleapis python-logging's StructuredLogHandler): it says the same thing.
		sampledAlso: fGoogleSampled,
	},
	FormatDatadog: {
		names:     []string{"datadog"},
		source:    SourceDatadog,
		trace:     "dd.trace_id",
		span:      "dd.span_id",
		severity:  "status",
		attrs:     [3]string{"dd.service", "dd.env", "dd.version"},
		textAttrs: true,
		nestDD:    true,
		// The status values Datadog's status remapper maps exactly.
		levels:        [numLevels]string{lvTrace: "debug", lvDebug: "debug", lvInfo: "info", lvNotice: "notice", lvWarning: "warning", lvError: "error", lvCritical: "critical", lvAlert: "alert", lvEmergency: "emergency"},
		appendTrace:   appendDatadogTrace,
		appendSpan:    appendDecSpan,
		appendSampled: appendFlagsSampled,
		flags:         true,
		readOwn: func(c *candidate, tv, sv *value) {
			ids(c, c.source, tv, radixDatadog, sv, radixDecimal)
		},
	},
	FormatOTel: {
		names:        []string{"otel", "opentelemetry"},
		source:       SourceOTel,
		trace:        "trace_id",
		span:         "span_id",
		sampled:      "trace_flags",
		severity:     "severity_text",
		attrs:        [3]string{"service", "env", "version"},
		otlpMetadata: true,
		// OpenTelemetry's short severity texts.
		levels:        [numLevels]string{lvTrace: "TRACE", lvDebug: "DEBUG", lvInfo: "INFO", lvNotice: "INFO", lvWarning: "WARN", lvError: "ERROR", lvCritical: "FATAL", lvAlert: "FATAL", lvEmergency: "FATAL"},
		appendTrace:   appendHexTrace,
		appendSpan:    appendHexSpan,
		appendSampled: appendFlagsSampled,
		flags:         true,
		readOwn: func(c *candidate, tv, sv *value) {
			ids(c, c.source, tv, radixAuto, sv, radixAuto)
		},
	},
}

// String is the Format's canonical name, as the Format property spells it.
func (f Format) String() string { return f.backend().names[0] }

// EventMetadata reports whether records rewritten for f also carry the link in their
// event metadata (the otlp map Fluent Bit's opentelemetry output reads).
func (f Format) EventMetadata() bool { return f.backend().otlpMetadata }

func (f Format) backend() *backend {
	if f >= numFormats {
		f = FormatStackdriver
	}
	return &backends[f]
}

// parseFormat reads the Format property ("" is stackdriver).
func parseFormat(v string) (Format, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	if s == "" {
		return FormatStackdriver, nil
	}
	for f := range numFormats {
		for _, name := range backends[f].names {
			if s == name {
				return f, nil
			}
		}
	}
	return 0, &PropertyError{Property: "Format", Value: v, Accepted: formatNames()}
}

// formatNames lists the canonical names of the backends.
func formatNames() string {
	names := make([]string, 0, numFormats)
	for f := range numFormats {
		names = append(names, f.String())
	}
	return strings.Join(names, ", ")
}

// appendGoogleTrace writes a trace resource name, in the project of the record's own
// resource name when it had one.
func appendGoogleTrace(dst []byte, c *config, w *candidate) []byte {
	if w.project != nil {
		dst = appendStrHeader(dst, len("projects/")+len(w.project)+len("/traces/")+32)
		dst = append(append(append(dst, "projects/"...), w.project...), "/traces/"...)
		return appendTraceHex(dst, w.ctx.trace)
	}
	dst = appendStrHeader(dst, len(c.tracePrefix)+32)
	return appendTraceHex(append(dst, c.tracePrefix...), w.ctx.trace)
}

// appendDatadogTrace writes the lower 64 bits in decimal (Datadog's log correlation), or
// 32 hex with Datadog_Trace_Id hex. A 128-bit id whose lower half is zero is written as 32
// hex too: Datadog reads a dd.trace_id of "0" as no trace, and its tracers log such an id
// in hex (https://docs.datadoghq.com/tracing/guide/span_and_trace_id_format/).
func appendDatadogTrace(dst []byte, c *config, w *candidate) []byte {
	if c.ddHex || w.ctx.trace.lo == 0 {
		return appendHexTrace(dst, c, w)
	}
	return appendDec64Str(dst, w.ctx.trace.lo)
}

func appendHexTrace(dst []byte, _ *config, w *candidate) []byte {
	return appendTraceHex(appendStrHeader(dst, 32), w.ctx.trace)
}

func appendHexSpan(dst []byte, span uint64) []byte {
	return appendHex64(appendStrHeader(dst, 16), span)
}

func appendDecSpan(dst []byte, span uint64) []byte { return appendDec64Str(dst, span) }

func appendBoolSampled(dst []byte, ctx *spanCtx) []byte {
	return msgp.AppendBool(dst, ctx.sampled == triTrue)
}

// appendFlagsSampled writes W3C trace flags as two hex digits: "01" sampled, "00" not, with
// the other bits kept as the tracer wrote them ("03": sampled and random).
func appendFlagsSampled(dst []byte, ctx *spanCtx) []byte {
	const digits = "0123456789abcdef"
	fl := ctx.flagsByte()
	return append(dst, 0xa2, digits[fl>>4], digits[fl&15])
}

// readGoogleOwn reads logging.googleapis.com/trace and spanId as the stackdriver rewrite
// wrote them (or Google's own loggers did).
func readGoogleOwn(c *candidate, tv, sv *value) {
	c.status = idInvalid
	if tv.kind == vkString {
		if t, project, ok := parseGoogleTrace(tv.s); ok {
			c.ctx.trace, c.project, c.status = t, project, idOK
		}
	}
	if c.status == idOK {
		var st idStatus
		c.ctx.span, st = readGoogleSpan(sv)
		c.spanBad = st == idInvalid
	}
}
