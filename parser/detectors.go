package parser

import (
	"bytes"
	"math/bits"
)

// Source names the format a record's trace context was read from.
type Source uint8

// The sources tracelink recognises. SourceNone means the record was not linked.
const (
	SourceNone        Source = iota
	SourceKeys               // the explicit Trace_Key / Span_Key / Sampled_Key properties
	SourceGoogle             // logging.googleapis.com/trace and spanId already in the record
	SourceDatadog            // dd.trace_id / dd.span_id, flat, nested or underscored
	SourceOTel               // OpenTelemetry keys: trace_id, traceId, otelTraceID, otel.trace_id
	SourceECS                // Elastic Common Schema: trace.id, span.id
	SourceTraceparent        // W3C traceparent
	SourceB3                 // Zipkin B3, single header or X-B3-* headers
	SourceXRay               // AWS X-Ray X-Amzn-Trace-Id
	SourceJaeger             // uber-trace-id
	SourceCloudTrace         // Google X-Cloud-Trace-Context
	SourceSentry             // Sentry's sentry-trace header
	SourceSleuth             // Spring Sleuth text [app,trace,span]
	SourceGrok               // a user Grok_Pattern
	SourceNewRelic           // New Relic's NR-LINKING|...| logs-in-context decoration
	SourceOpenTracing        // OpenTracing's ot-tracer-traceid / -spanid / -sampled headers
	SourcePlain              // plain "trace" / "span" keys (go-zero, Jaeger's zap fields)
	SourceAppInsights        // Azure Application Insights' operation_Id / operation_ParentId
	SourceInstana            // Instana's X-INSTANA-T / -S / -L headers
	NumSources               // the number of Source values, for per-source counters
)

var sourceNames = [NumSources]string{
	SourceNone:        "none",
	SourceKeys:        "keys",
	SourceGoogle:      "google",
	SourceDatadog:     "datadog",
	SourceOTel:        "otel",
	SourceECS:         "ecs",
	SourceTraceparent: "w3c",
	SourceB3:          "b3",
	SourceXRay:        "xray",
	SourceJaeger:      "jaeger",
	SourceCloudTrace:  "cloudtrace",
	SourceSentry:      "sentry",
	SourceSleuth:      "sleuth",
	SourceGrok:        "grok",
	SourceNewRelic:    "newrelic",
	SourceOpenTracing: "opentracing",
	SourcePlain:       "plain",
	SourceAppInsights: "appinsights",
	SourceInstana:     "instana",
}

// String returns the short lowercase name used in logs and summaries.
func (s Source) String() string {
	if s < NumSources {
		return sourceNames[s]
	}
	return "unknown"
}

// The fields of trace context, numbered after the meta fields (fields.go). Each belongs to
// the detector that lists its keys below.
const (
	// Datadog log injection.
	fDDTrace field = numMetaFields + iota
	fDDSpan
	fDDTid // _dd.p.tid: upper 64 bits of a 128-bit Datadog trace id
	fDDService
	fDDEnv
	fDDVersion
	// Datadog propagation headers.
	fDDHdrTrace
	fDDHdrParent
	fDDHdrPriority
	fDDHdrTags
	// OpenTelemetry and friends (hex ids).
	fOTelTrace
	fOTelSpan
	fOTelFlags
	fOTelSampled
	// Elastic Common Schema.
	fECSTrace
	fECSSpan
	fECSTransaction
	// Google special keys.
	fGoogleTrace
	fGoogleSpan
	fGoogleSampled
	fGoogleTraceValue // a "projects/P/traces/T" value under a key of another name
	// Propagation headers.
	fTraceparent
	fB3
	fB3Trace
	fB3Span
	fB3Sampled
	fB3Flags
	fXRay
	fXRayRoot // a bare "Root=1-..." in text
	fJaeger
	fCloudTrace
	fSentryTrace
	// OpenTracing's basictracer headers (64-bit hex, leading zeros dropped).
	fOTTrace
	fOTSpan
	fOTSampled
	// Instana's headers (hex ids, leading zeros optional).
	fInstanaTrace
	fInstanaSpan
	fInstanaLevel
	// Plain "trace" and "span" keys: only id-shaped hex values count.
	fPlainTrace
	fPlainSpan
	// Azure Application Insights.
	fAIOperation
	fAIParent
	// A propagation header's value under a key of another name, found by its shape.
	fShapedValue
	numFields
)

// detector reads one source of trace context from the fields the scan found. detectors
// lists them in priority order: when several name a trace, the first valid one wins and
// the others may only complete it (span, sampled flag, upper half of a 64-bit id). Adding a
// format is one entry here, its fields above, its parser and its tests (CONTRIBUTING.md).
type detector struct {
	// trigger is the field whose presence makes the detector worth reading; fNone for the
	// two that look at configured keys instead (present says when).
	trigger field
	present func(sc *scan) bool
	// keys are the record keys (lowercase; dotted paths for nested maps) of its fields.
	keys []fieldKeys
	// header: trigger's value is a propagation header, read by parse.
	parse func([]byte) (spanCtx, bool)
	// read fills c and reports whether the record has anything for the detector (nil:
	// header, which reads trigger's value with parse under source).
	read   func(sc *scan, c *candidate) bool
	source Source
	// text finds the format standing alone in a text line, with no key (a bare traceparent,
	// Sleuth's [app,trace,span]); text finders run in table order when the line's keys link
	// nothing. found: a valid context; seen: a value of the format's shape was refused.
	text func(s []byte) (c spanCtx, found, seen bool)
	// final: a winner from this detector is taken as it is, never completed by others.
	final bool
}

// fieldKeys are the keys of one field. header: its values use a header's own syntax
// (; = / : -), so a text scan reads them up to a blank, not to the first ';'. textOnly:
// the keys count only in text lines.
type fieldKeys struct {
	f        field
	keys     []string
	header   bool
	textOnly bool
}

var detectors = [...]detector{
	// Trace_Key, Span_Key, Sampled_Key.
	{present: func(sc *scan) bool { return sc.keyTrace.set() }, read: (*scan).explicitCandidate},
	// The output format's own keys: a record rewritten already keeps its link.
	{present: func(sc *scan) bool { return sc.outVals[outTrace].set() }, read: (*scan).outputCandidate, final: true},
	{trigger: fGoogleTrace, read: googleCandidate, keys: []fieldKeys{
		{f: fGoogleTrace, keys: []string{"logging.googleapis.com/trace"}},
		{f: fGoogleSpan, keys: []string{"logging.googleapis.com/spanid"}},
		{f: fGoogleSampled, keys: []string{"logging.googleapis.com/tracesampled", "logging.googleapis.com/trace_sampled"}},
	}},
	{trigger: fDDTrace, read: datadogCandidate, keys: []fieldKeys{
		// trace_id.datadog: Kong's log serializer (the trace id in each propagation format).
		{f: fDDTrace, keys: []string{"dd.trace_id", "dd_trace_id", "trace_id.datadog"}},
		{f: fDDSpan, keys: []string{"dd.span_id", "dd_span_id"}},
		{f: fDDTid, keys: []string{"_dd.p.tid", "dd.p.tid"}},
		{f: fDDService, keys: []string{"dd.service", "dd_service", "dd.service.name"}},
		{f: fDDEnv, keys: []string{"dd.env", "dd_env"}},
		{f: fDDVersion, keys: []string{"dd.version", "dd_version"}},
	}},
	{trigger: fOTelTrace, read: otelCandidate, keys: []fieldKeys{
		// "@tr"/"@sp": Serilog compact JSON.
		// trace_id.w3c/.b3/.ot/.jaeger/.gcp: Kong's log serializer.
		{f: fOTelTrace, keys: []string{"trace_id", "traceid", "trace-id", "oteltraceid", "otel.trace_id", "@tr",
			"trace_id.w3c", "trace_id.b3", "trace_id.ot", "trace_id.jaeger", "trace_id.gcp"}},
		// segmentid: the X-Ray segment (span) id of Lambda's REPORT line.
		{f: fOTelSpan, keys: []string{"span_id", "spanid", "span-id", "otelspanid", "otel.span_id", "@sp", "segmentid", "segment_id"}},
		// "flags": OTLP/JSON log records' W3C trace flags.
		{f: fOTelFlags, keys: []string{"trace_flags", "traceflags", "otel.trace_flags", "flags"}},
		// "sampled": Quarkus MDC (traceId, spanId, sampled).
		{f: fOTelSampled, keys: []string{"oteltracesampled", "trace_sampled", "sampled"}},
	}},
	{trigger: fECSTrace, read: ecsCandidate, keys: []fieldKeys{
		{f: fECSTrace, keys: []string{"trace.id"}},
		{f: fECSSpan, keys: []string{"span.id"}},
		{f: fECSTransaction, keys: []string{"transaction.id"}},
	}},
	{trigger: fTraceparent, source: SourceTraceparent, parse: parseTraceparent, text: findBareTraceparent, keys: []fieldKeys{
		{f: fTraceparent, keys: []string{"traceparent"}, header: true},
	}},
	{trigger: fB3, source: SourceB3, parse: parseB3Single, keys: []fieldKeys{
		{f: fB3, keys: []string{"b3"}, header: true},
	}},
	{trigger: fB3Trace, read: b3Candidate, keys: []fieldKeys{
		{f: fB3Trace, keys: []string{"x-b3-traceid"}},
		{f: fB3Span, keys: []string{"x-b3-spanid"}},
		{f: fB3Sampled, keys: []string{"x-b3-sampled"}},
		{f: fB3Flags, keys: []string{"x-b3-flags"}},
	}},
	{trigger: fXRay, source: SourceXRay, parse: parseXRay, text: findXRayToken, keys: []fieldKeys{
		// xray_trace_id: AWS Lambda Powertools (a bare "1-..." trace id);
		// _x_amzn_trace_id: the Lambda environment variable.
		{f: fXRay, keys: []string{"x-amzn-trace-id", "xray_trace_id", "_x_amzn_trace_id", "aws-xray-trace-id", "trace_id.aws"}, header: true},
		{f: fXRayRoot, keys: []string{"root"}, header: true, textOnly: true},
	}},
	{trigger: fJaeger, source: SourceJaeger, parse: parseJaeger, text: findJaegerToken, keys: []fieldKeys{
		{f: fJaeger, keys: []string{"uber-trace-id"}, header: true},
	}},
	{trigger: fCloudTrace, source: SourceCloudTrace, parse: parseCloudTrace, text: findCloudTraceToken, keys: []fieldKeys{
		{f: fCloudTrace, keys: []string{"x-cloud-trace-context"}, header: true},
	}},
	{trigger: fSentryTrace, source: SourceSentry, parse: parseSentryTrace, keys: []fieldKeys{
		{f: fSentryTrace, keys: []string{"sentry-trace", "sentry_trace"}, header: true},
	}},
	{trigger: fDDHdrTrace, read: datadogHeadersCandidate, keys: []fieldKeys{
		{f: fDDHdrTrace, keys: []string{"x-datadog-trace-id"}},
		{f: fDDHdrParent, keys: []string{"x-datadog-parent-id"}},
		{f: fDDHdrPriority, keys: []string{"x-datadog-sampling-priority"}},
		{f: fDDHdrTags, keys: []string{"x-datadog-tags"}, header: true},
	}},
	{trigger: fOTTrace, read: openTracingCandidate, keys: []fieldKeys{
		{f: fOTTrace, keys: []string{"ot-tracer-traceid", "ot_tracer_traceid"}},
		{f: fOTSpan, keys: []string{"ot-tracer-spanid", "ot_tracer_spanid"}},
		{f: fOTSampled, keys: []string{"ot-tracer-sampled", "ot_tracer_sampled"}},
	}},
	{trigger: fInstanaTrace, read: instanaCandidate, keys: []fieldKeys{
		{f: fInstanaTrace, keys: []string{"x-instana-t"}},
		{f: fInstanaSpan, keys: []string{"x-instana-s"}},
		{f: fInstanaLevel, keys: []string{"x-instana-l"}, header: true},
	}},
	{trigger: fAIOperation, read: appInsightsCandidate, keys: []fieldKeys{
		{f: fAIOperation, keys: []string{"operation_id", "operation.id", "ai.operation.id"}},
		{f: fAIParent, keys: []string{"operation_parentid", "operation.parentid", "ai.operation.parentid"}},
	}},
	// go-zero's "trace"/"span", and Jaeger's zap fields {"trace": {"trace", "span", "sampled"}}.
	{trigger: fPlainTrace, read: plainCandidate, keys: []fieldKeys{
		{f: fPlainTrace, keys: []string{"trace"}},
		{f: fPlainSpan, keys: []string{"span"}},
	}},
	// A trace resource name under a key of another name (found by its value).
	{trigger: fGoogleTraceValue, read: resourceCandidate},
	// A propagation header's value under a key of another name (found by its shape).
	{trigger: fShapedValue, read: shapedCandidate},
	// Text forms with no key of their own.
	{source: SourceSleuth, text: findSleuth},
	{source: SourceNewRelic, text: findNRLinking},
}

// numCandidates is the number of detectors; resolve keeps one bit per detector.
const numCandidates = len(detectors)

var _ [64 - numCandidates]struct{}

// detectorKeys returns the keys of every detector's fields: those that count in text lines
// only (textOnly), or the others.
func detectorKeys(textOnly bool) map[string]field {
	m := map[string]field{}
	for _, d := range detectors {
		for _, fk := range d.keys {
			if fk.textOnly == textOnly {
				for _, k := range fk.keys {
					m[k] = fk.f
				}
			}
		}
	}
	return m
}

// headerFields has the bit of every field whose values use a header's syntax.
var headerFields = func() (m uint64) {
	for _, d := range detectors {
		for _, fk := range d.keys {
			if fk.header {
				m |= 1 << fk.f
			}
		}
	}
	return m
}()

// headerValued reports whether f holds structured header values (; = / : -).
func headerValued(f field) bool { return headerFields&(1<<f) != 0 }

// triggerMask has the bits of every detector's trigger field.
var triggerMask = func() (m uint64) {
	for _, d := range detectors {
		if d.trigger != fNone {
			m |= 1 << d.trigger
		}
	}
	return m
}()

// candidateOf maps a trigger field to its detector.
var candidateOf = func() (t [numFields]uint8) {
	for i, d := range detectors {
		if d.trigger != fNone {
			t[d.trigger] = uint8(i)
		}
	}
	return t
}()

// candidate fills c with detector i's reading and reports whether the record has
// anything for it.
func (sc *scan) candidate(i int, c *candidate) bool {
	*c = candidate{}
	d := &detectors[i]
	if d.read == nil {
		return headerCandidate(c, d.source, &sc.vals[d.trigger], d.parse)
	}
	return d.read(sc, c)
}

// keyedDetectors are the detectors without a trigger field, whose present says when
// they have something to read.
var keyedDetectors = func() (idx []uint8) {
	for i, d := range detectors {
		if d.present != nil {
			idx = append(idx, uint8(i))
		}
	}
	return idx
}()

// textDetectors are the detectors with a text finder, in table order.
var textDetectors = func() (idx []uint8) {
	for i, d := range detectors {
		if d.text != nil {
			idx = append(idx, uint8(i))
		}
	}
	return idx
}()

// findText runs the text finders over a text line in table order. It returns the first
// context found; seen says a value of some format's shape was refused.
func findText(s []byte) (c candidate, seen bool) {
	for _, i := range textDetectors {
		d := &detectors[i]
		ctx, found, saw := d.text(s)
		if found {
			return candidate{ctx: ctx, source: d.source, status: idOK}, seen
		}
		seen = seen || saw
	}
	return candidate{}, seen
}

// presentCandidates has bit i set when detector i has something to read in the record.
func (sc *scan) presentCandidates() (present uint64) {
	for _, i := range keyedDetectors {
		if detectors[i].present(sc) {
			present |= 1 << i
		}
	}
	for m := sc.set & triggerMask; m != 0; m &= m - 1 {
		present |= 1 << candidateOf[bits.TrailingZeros64(m)]
	}
	return present
}

// explicitCandidate reads Trace_Key, Span_Key and Sampled_Key.
func (sc *scan) explicitCandidate(c *candidate) bool {
	if !sc.keyTrace.set() {
		return false
	}
	ids(c, SourceKeys, &sc.keyTrace, radixAuto, &sc.keySpan, radixAuto)
	c.setSampled(readSampled(&sc.keySampled))
	return true
}

// googleCandidate reads Cloud Logging's special keys: a trace resource name, a span id
// (hex, or decimal as Google's Node.js library copies it) and the sampled flag.
func googleCandidate(sc *scan, c *candidate) bool {
	v := &sc.vals
	if !v[fGoogleTrace].set() {
		return false
	}
	c.source = SourceGoogle
	if v[fGoogleTrace].kind != vkString {
		c.status = idInvalid
		return true
	}
	t, project, ok := parseGoogleTrace(v[fGoogleTrace].s)
	if !ok {
		c.status = idInvalid
		if len(bytes.TrimSpace(v[fGoogleTrace].s)) == 0 {
			c.status = idAbsent
		}
		return true
	}
	c.ctx.trace, c.project, c.status = t, project, idOK
	var st idStatus
	c.ctx.span, st = readGoogleSpan(&v[fGoogleSpan])
	c.spanBad = st == idInvalid
	c.ctx.sampled = readSampled(&v[fGoogleSampled])
	return true
}

// datadogCandidate reads Datadog's log injection: decimal (or 128-bit hex) trace id,
// decimal span id, and _dd.p.tid, the upper half of a 128-bit trace id logged in decimal.
func datadogCandidate(sc *scan, c *candidate) bool {
	v := &sc.vals
	if !v[fDDTrace].set() {
		return false
	}
	ids(c, SourceDatadog, &v[fDDTrace], radixDatadog, &v[fDDSpan], radixDecimal)
	if c.status == idOK && c.ctx.trace.hi == 0 && v[fDDTid].kind == vkString {
		if tid := bytes.TrimSpace(v[fDDTid].s); len(tid) == 16 {
			if hi, ok := parseHex64(tid); ok {
				c.ctx.trace.hi = hi
			}
		}
	}
	return true
}

// otelCandidate reads OpenTelemetry's log fields (and the many loggers that name them
// alike): ids in hex, or decimal where they are long enough to be unambiguous; the W3C
// flags, else a sampled flag.
func otelCandidate(sc *scan, c *candidate) bool {
	v := &sc.vals
	if !v[fOTelTrace].set() {
		return false
	}
	ids(c, SourceOTel, &v[fOTelTrace], radixAuto, &v[fOTelSpan], radixAuto)
	if v[fOTelFlags].set() {
		readFlags(&c.ctx, &v[fOTelFlags])
	} else {
		c.setSampled(readSampled(&v[fOTelSampled]))
	}
	return true
}

// ecsCandidate reads Elastic Common Schema's trace.id and span.id (else transaction.id).
func ecsCandidate(sc *scan, c *candidate) bool {
	v := &sc.vals
	if !v[fECSTrace].set() {
		return false
	}
	sv := v[fECSSpan]
	if !sv.set() {
		sv = v[fECSTransaction]
	}
	ids(c, SourceECS, &v[fECSTrace], radixHex, &sv, radixHex)
	return true
}

// b3Candidate reads B3's multi-header form (X-B3-TraceId, -SpanId, -Sampled, -Flags).
func b3Candidate(sc *scan, c *candidate) bool {
	v := &sc.vals
	if !v[fB3Trace].set() {
		return false
	}
	ids(c, SourceB3, &v[fB3Trace], radixHex, &v[fB3Span], radixHex)
	if c.status == idOK && upperHexID(&v[fB3Trace]) {
		// B3's ids are lower-hex (https://github.com/openzipkin/b3-propagation#traceid).
		*c = candidate{source: SourceB3, status: idInvalid}
		return true
	}
	if c.ctx.span != 0 && upperHexID(&v[fB3Span]) {
		c.ctx.span, c.spanBad = 0, true
	}
	c.setSampled(readSampled(&v[fB3Sampled]))
	if readSampled(&v[fB3Flags]) == triTrue {
		c.ctx.sampled = triTrue // debug implies sampled
	}
	return true
}

// datadogHeadersCandidate reads Datadog's propagation headers: decimal trace and parent
// ids, _dd.p.tid in x-datadog-tags, and the sampling priority.
func datadogHeadersCandidate(sc *scan, c *candidate) bool {
	v := &sc.vals
	if !v[fDDHdrTrace].set() {
		return false
	}
	ids(c, SourceDatadog, &v[fDDHdrTrace], radixDecimal, &v[fDDHdrParent], radixDecimal)
	if c.status == idOK && v[fDDHdrTags].kind == vkString {
		if hi, ok := ddTagsTid(v[fDDHdrTags].s); ok {
			c.ctx.trace.hi = hi
		}
	}
	if v[fDDHdrPriority].set() {
		switch p := v[fDDHdrPriority]; p.kind {
		case vkString, vkNumber:
			s := bytes.TrimSpace(p.s)
			c.ctx.sampled = triOf(len(s) > 0 && s[0] != '-' && s[0] != '0')
		case vkUint:
			c.ctx.sampled = triOf(p.u > 0)
		case vkNeg:
			c.ctx.sampled = triFalse
		}
	}
	return true
}

// resourceCandidate reads a trace resource name found under a key of another name.
func resourceCandidate(sc *scan, c *candidate) bool {
	c.source, c.status = SourceGoogle, idInvalid
	if t, project, ok := parseGoogleTrace(sc.vals[fGoogleTraceValue].s); ok {
		c.ctx.trace, c.project, c.status = t, project, idOK
	}
	return true
}

// headerCandidate reads a propagation header's value with parse.
func headerCandidate(c *candidate, src Source, v *value, parse func([]byte) (spanCtx, bool)) bool {
	if !v.set() {
		return false
	}
	c.source, c.status = src, idInvalid
	if v.kind != vkString {
		return true
	}
	if ctx, ok := parse(v.s); ok {
		c.ctx, c.status = ctx, idOK
	}
	return true
}

// openTracingCandidate reads OpenTracing's basictracer headers as logged: ot-tracer-traceid
// and -spanid are 64-bit ids in hex without leading zeros (strconv.FormatUint(id, 16)),
// ot-tracer-sampled is true or false.
func openTracingCandidate(sc *scan, c *candidate) bool {
	v := &sc.vals
	if !v[fOTTrace].set() {
		return false
	}
	c.source, c.status = SourceOpenTracing, idInvalid
	t, ok := looseHexTrace(v[fOTTrace], 1)
	if !ok {
		return true
	}
	c.ctx.trace, c.status = t, idOK
	if v[fOTSpan].set() {
		if sp, ok := looseHexSpan(v[fOTSpan], 1); ok {
			c.ctx.span = sp
		} else {
			c.spanBad = true
		}
	}
	c.setSampled(readSampled(&v[fOTSampled]))
	return true
}

// appInsightsCandidate reads Azure Application Insights' operation_Id (the W3C trace id,
// 32 hex) and operation_ParentId (the span id: 16 hex, or the legacy "|TRACE.SPAN.").
// Anything else under these keys (the legacy hierarchical ids) is not a trace id and is
// left alone, with no invalid count.
func appInsightsCandidate(sc *scan, c *candidate) bool {
	v := &sc.vals
	ov := v[fAIOperation]
	if ov.kind != vkString {
		return false
	}
	s := trimSpace(ov.s)
	if len(s) != 32 || !allHex(s) {
		return false
	}
	t, _ := parseHex128(s)
	if t.isZero() {
		return false
	}
	c.source, c.status, c.ctx.trace = SourceAppInsights, idOK, t
	if pv := v[fAIParent]; pv.kind == vkString {
		p := trimSpace(pv.s)
		// Legacy Request-Id: |TRACE.SPAN.
		if len(p) == 51 && p[0] == '|' && p[33] == '.' && p[50] == '.' && string(p[1:33]) == string(s) {
			p = p[34:50]
		}
		if len(p) == 16 {
			c.ctx.span, _ = parseHex64(p)
			if !allHex(p) {
				c.ctx.span = 0
			}
		}
	}
	return true
}

// plainCandidate reads plain "trace" and "span" keys, which go-zero writes (32-hex trace,
// 16-hex span) and Jaeger's zap fields nest under "trace" (hex without leading zeros).
// Words this plain name many other things (a stack trace, a duration), so only values
// shaped as ids count, and others are not counted as invalid.
func plainCandidate(sc *scan, c *candidate) bool {
	v := &sc.vals
	tv := v[fPlainTrace]
	if tv.kind != vkString {
		return false
	}
	if s := trimSpace(tv.s); looksLikeTraceResource(s) {
		// A trace resource name under "trace" (a Google logger's field renamed).
		t, project, ok := parseGoogleTrace(s)
		if !ok {
			return false
		}
		c.ctx.trace, c.project, c.source, c.status = t, project, SourceGoogle, idOK
	} else if ctx, src, ok := shapedTrace(s); ok {
		c.ctx, c.source, c.status = ctx, src, idOK
		if c.source == SourceNone {
			c.source = SourcePlain
		}
	} else {
		t, ok := looseHexTrace(tv, 13)
		if !ok {
			return false
		}
		c.source, c.status, c.ctx.trace = SourcePlain, idOK, t
	}
	if c.ctx.span == 0 {
		if sp, ok := looseHexSpan(v[fPlainSpan], 13); ok {
			c.ctx.span = sp
		}
	}
	if c.ctx.sampled == triUnknown {
		if v[fOTelFlags].set() {
			readFlags(&c.ctx, &v[fOTelFlags])
		} else {
			c.setSampled(readSampled(&v[fOTelSampled]))
		}
	}
	return true
}

// shapedCandidate reads a propagation header's value found under a key of another name.
func shapedCandidate(sc *scan, c *candidate) bool {
	ctx, src, ok := shapedValue(sc.vals[fShapedValue].s)
	if !ok {
		return false // the shape's cheap test passed, the value is something else
	}
	c.ctx, c.source, c.status = ctx, src, idOK
	return true
}

// instanaCandidate reads Instana's headers as logged: X-INSTANA-T (a trace id of up to 32
// hex digits), X-INSTANA-S (the span id, up to 16) and X-INSTANA-L (the level: "0"
// suppresses the trace, "1" records it, possibly followed by ",correlationType=...").
func instanaCandidate(sc *scan, c *candidate) bool {
	v := &sc.vals
	if !v[fInstanaTrace].set() {
		return false
	}
	c.source, c.status = SourceInstana, idInvalid
	t, ok := looseHexTrace(v[fInstanaTrace], 1)
	if !ok {
		return true
	}
	c.ctx.trace, c.status = t, idOK
	if v[fInstanaSpan].set() {
		if sp, ok := looseHexSpan(v[fInstanaSpan], 1); ok {
			c.ctx.span = sp
		} else {
			c.spanBad = true
		}
	}
	if l := v[fInstanaLevel]; l.kind == vkString && len(l.s) > 0 {
		switch l.s[0] {
		case '1':
			c.ctx.sampled = triTrue
		case '0':
			c.ctx.sampled = triFalse
		}
	}
	return true
}

// upperHexID reports whether a string value is a hex id (16 or 32 digits) with upper-case
// digits in it.
func upperHexID(v *value) bool {
	if v.kind != vkString {
		return false
	}
	s := trimSpace(v.s)
	return (len(s) == 16 || len(s) == 32) && !lowerHex(s)
}
