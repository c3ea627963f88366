package parser

// EventTime is a point in time as Fluent Bit carries it: seconds and nanoseconds since the epoch.
type EventTime struct {
	Sec  int64
	Nsec int64
}

// Result says what Process did with one record.
type Result struct {
	// Source is where the trace context came from; SourceNone when the record was not linked.
	Source Source
	// Invalid is set when a value that looked like a trace or span id was rejected
	// (bad length, all zeros, precision lost through a float, ...). No link is made from it.
	Invalid bool
	// Dropped is set when Sample_Rate sampled the record out: nothing was appended.
	Dropped bool
	// Changed is set when the appended record differs from the input record.
	// When it is false the input bytes were appended unchanged.
	Changed bool
	// Time is the event time read from the log's own timestamp; valid only when HasTime.
	Time    EventTime
	HasTime bool
	// Link is the trace context the record was linked to; valid only when Linked().
	Link Link
}

// Link is a linked record's normalized trace context and level, for sinks that carry the
// link beside the record (Fluent Bit's event metadata for the opentelemetry output).
type Link struct {
	// TraceHi and TraceLo are the 128-bit trace id's halves (never both zero).
	TraceHi, TraceLo uint64
	// Span is the span id; 0 when the record named none (or an invalid one).
	Span uint64
	// Sampled is the trace's sampled flag; meaningful only when SampledKnown.
	Sampled, SampledKnown bool
	// Flags is the W3C trace-flags byte as the tracer wrote it (bit 0 is Sampled; 0x02 is
	// "random"); meaningful only when SampledKnown.
	Flags uint8
	// Severity is the OpenTelemetry SeverityNumber of the record's level (1-24); 0 when
	// no level was found or Severity is off.
	Severity uint8
	// SeverityText is OpenTelemetry's short name for Severity (TRACE, DEBUG, INFO, WARN,
	// ERROR, FATAL); "" when Severity is 0.
	SeverityText string
}

// Linked reports whether the record was linked to a trace.
func (r Result) Linked() bool { return r.Source != SourceNone }

// AppendTraceHex appends the trace id as 32 lowercase hex digits.
func (l *Link) AppendTraceHex(dst []byte) []byte {
	return appendTraceHex(dst, traceID{l.TraceHi, l.TraceLo})
}

// AppendSpanHex appends the span id as 16 lowercase hex digits.
func (l *Link) AppendSpanHex(dst []byte) []byte { return appendHex64(dst, l.Span) }
