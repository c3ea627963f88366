package parser

import "bytes"

// field is what a record key means to tracelink.
type field uint8

const (
	fNone field = iota
	// What the rewrite also normalizes, recognised at the top level (metaFields).
	fLevel
	fLevelNumber // OTel severity_number
	fTime
	fSourceLoc // a map {file, line, function}
	fCaller    // "file.go:42"
	fFile
	fLine
	fFunction
	// numMetaFields is the first field of trace context: those are declared with their
	// detectors (detectors.go).
	numMetaFields
)

// The scan keeps a 64-bit mask of the fields it found.
var _ [64 - numFields]struct{}

// meta keys: recognised at the top level of the record or of the app's JSON line.
var metaFields = map[string]field{
	"level":                           fLevel,
	"levelname":                       fLevel,
	"severity":                        fLevel,
	"log.level":                       fLevel,
	"lvl":                             fLevel,
	"loglevel":                        fLevel,
	"log_level":                       fLevel,
	"@l":                              fLevel,
	"severity_text":                   fLevel,
	"severitytext":                    fLevel,
	"status":                          fLevel,
	"priority":                        fLevel,
	"syslog.severity":                 fLevel,
	"logging.googleapis.com/severity": fLevel,
	"severity_number":                 fLevelNumber,
	"severitynumber":                  fLevelNumber,

	"time":       fTime,
	"timestamp":  fTime,
	"@timestamp": fTime,
	"ts":         fTime,
	"@t":         fTime,

	"sourcelocation":                        fSourceLoc,
	"logging.googleapis.com/sourcelocation": fSourceLoc,
	"source":                                fSourceLoc,
	"caller":                                fCaller,
	"file":                                  fFile,
	"filename":                              fFile,
	"caller_file_name":                      fFile,
	"code.filepath":                         fFile,
	"line":                                  fLine,
	"lineno":                                fLine,
	"line_number":                           fLine,
	"caller_line_number":                    fLine,
	"code.lineno":                           fLine,
	"function":                              fFunction,
	"func":                                  fFunction,
	"funcname":                              fFunction,
	"caller_method_name":                    fFunction,
	"code.function":                         fFunction,
	"logger.method_name":                    fFunction,
}

// keyEntry is one lowercased key of the tables with its meaning.
type keyEntry struct {
	name string
	fieldInfo
}

// fieldInfo is a key's meaning: meta fields count only at the top level.
type fieldInfo struct {
	f        field
	meta     bool
	textOnly bool // recognised only in text lines ("Root=" of a bare X-Ray header)
}

// keyIndex buckets the table keys by (length, first byte): a lookup compares a lowercased
// key with the one or two entries of its bucket, without hashing.
type keyIndex [32 * 32][]keyEntry

func bucketOf(n int, first byte) int { return (n&31)<<5 | int(first&31) }

var keyTable = func() *keyIndex {
	idx := new(keyIndex)
	add := func(m map[string]field, info fieldInfo) {
		for k, f := range m {
			b := bucketOf(len(k), k[0])
			info.f = f
			idx[b] = append(idx[b], keyEntry{k, info})
		}
	}
	add(metaFields, fieldInfo{meta: true})
	add(detectorKeys(false), fieldInfo{})
	add(detectorKeys(true), fieldInfo{textOnly: true})
	return idx
}()

// maxKeyLen bounds the keys worth classifying; longer keys are never ours.
const maxKeyLen = 48

// lowerInto lowercases ASCII s into buf, reporting false when it does not fit.
func lowerInto(buf []byte, s []byte) ([]byte, bool) {
	if len(s) > len(buf) {
		return nil, false
	}
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(s)], true
}

// classifyAt returns the meaning of key inside a map named parent (nil at the top level).
// top says whether meta keys (level, time, source location) count at this depth; parentTop
// says the parent map sits at the top level, where a meta key spelled with its parent
// ("log.level" as {"log": {"level": ...}}) counts too.
func classifyAt(parent, key []byte, top, parentTop bool) field {
	if len(key) == 0 || len(key) > maxKeyLen {
		return fNone
	}
	if len(parent) > 0 && len(parent)+1+len(key) <= maxKeyLen {
		if fi, ok := keyTable.lookupJoined(parent, key); ok && !fi.textOnly && (parentTop || !fi.meta) {
			return fi.f
		}
	}
	if fi, ok := keyTable.lookupJoined(nil, key); ok && !fi.textOnly && (top || !fi.meta) {
		return fi.f
	}
	return vocabField(key)
}

// classifyText is classify for a key found in a text line, where text-only keys count too.
func classifyText(key []byte) field {
	if len(key) == 0 || len(key) > maxKeyLen {
		return fNone
	}
	if fi, ok := keyTable.lookupJoined(nil, key); ok {
		return fi.f
	}
	return vocabField(key)
}

// vocabSuffixes name a key's field by how the key ends, for keys no table lists: the
// vocabulary tracers and loggers build their own names from (AWS-XRAY-TRACE-ID,
// opencensusTraceId, dt.trace_id, trace.trace_id, request_Traceparent...). Keys that name
// another span or trace (vocabOthers) are not ours, and keys prefixed by Datadog's name
// hold its decimal ids.
var vocabSuffixes = [...]struct {
	suffix string
	f      field
}{
	{"traceid", fOTelTrace}, {"trace_id", fOTelTrace}, {"trace-id", fOTelTrace},
	{"spanid", fOTelSpan}, {"span_id", fOTelSpan}, {"span-id", fOTelSpan},
	{"traceparent", fTraceparent},
	{"tracesampled", fOTelSampled}, {"trace_sampled", fOTelSampled}, {"trace-sampled", fOTelSampled},
	{"traceflags", fOTelFlags}, {"trace_flags", fOTelFlags}, {"trace-flags", fOTelFlags},
}

// vocabOthers are the words of keys whose ids belong to another span or trace: a parent,
// a link, a previous or originating request, a child.
var vocabOthers = [...]string{"parent", "link", "prev", "orig", "caus", "child", "follow", "next", "other", "remote"}

// headerPrefixes are what access logs and header dumps put before a header's name: nginx's
// $http_ variables, Traefik's request_ fields, header maps flattened with dots.
var headerPrefixes = [...]string{"http_", "http.", "request_", "req_", "header_", "headers_", "headers.", "request.headers."}

// headerAlias names a header written the way access logs and variables write header names:
// with a prefix (http_x_b3_traceid, request_Sentry-Trace) or '_' for '-'
// (x_cloud_trace_context, uber_trace_id). k is lowercase.
func headerAlias(k []byte) field {
	for _, p := range headerPrefixes {
		if len(k) > len(p) && string(k[:len(p)]) == p {
			k = k[len(p):]
			break
		}
	}
	var buf [maxKeyLen]byte
	h := buf[:len(k)]
	for i, c := range k {
		if c == '_' {
			c = '-'
		}
		h[i] = c
	}
	if fi, ok := keyTable.lookupJoined(nil, h); ok && !fi.meta && !fi.textOnly {
		return fi.f
	}
	return fNone
}

// vocabField names a key that no table lists by its suffix (see vocabSuffixes).
func vocabField(key []byte) field {
	n := len(key)
	if n < 7 || n > maxKeyLen {
		return fNone
	}
	last := key[n-1] | 0x20
	if last != 'd' && last != 't' && last != 's' && last != '3' && last != 'e' {
		return fNone // ...id, ...parent, ...context, ...flags, ...sampled, ...b3, ...trace
	}
	var buf [maxKeyLen]byte
	k, _ := lowerInto(buf[:], key)
	if f := headerAlias(k); f != fNone {
		return f
	}
	f := fNone
	var prefix []byte // the key before its suffix: the words that qualify it
	for _, v := range vocabSuffixes {
		if len(k) > len(v.suffix) && string(k[len(k)-len(v.suffix):]) == v.suffix {
			f, prefix = v.f, k[:len(k)-len(v.suffix)]
			break
		}
	}
	if f == fNone {
		return fNone
	}
	for _, w := range vocabOthers {
		if bytes.Contains(prefix, []byte(w)) {
			return fNone
		}
	}
	if f == fOTelSpan && bytes.Contains(prefix, []byte("root")) {
		return fNone // the trace's root span (rootSpanId) is another span than the log's
	}
	if bytes.HasPrefix(k, []byte("dd")) && (k[2] == '.' || k[2] == '_' || k[2] == '-' || k[2] == 't' || k[2] == 's') ||
		bytes.HasPrefix(k, []byte("datadog")) {
		switch f {
		case fOTelTrace:
			return fDDTrace
		case fOTelSpan:
			return fDDSpan
		}
	}
	return f
}

// foldEq compares b, ignoring ASCII case, with lower (already lowercase, same length).
func foldEq(lower string, b []byte) bool {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// lookupJoined finds "parent.key" (or key alone when parent is nil), ignoring ASCII case,
// without building the joined string.
func (idx *keyIndex) lookupJoined(parent, key []byte) (fieldInfo, bool) {
	n, first := len(key), key[0]
	if parent != nil {
		n, first = len(parent)+1+len(key), parent[0]
	}
	for _, e := range idx[bucketOf(n, first)] {
		if len(e.name) != n {
			continue
		}
		if parent != nil {
			p := len(parent)
			if e.name[p] != '.' || !foldEq(e.name[:p], parent) || !foldEq(e.name[p+1:], key) {
				continue
			}
		} else if !foldEq(e.name, key) {
			continue
		}
		return e.fieldInfo, true
	}
	return fieldInfo{}, false
}

// isIDField reports whether f carries trace context (as opposed to level/time/location).
func isIDField(f field) bool { return f >= numMetaFields }
