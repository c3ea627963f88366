// Package explain says why a record did or did not link to a trace, without looking inside
// the parser: it takes the record apart (each key, and each token of a text value, removed in
// turn), links each variant again, and names the parts whose removal changes the outcome. For
// a refused id it names the documented rule the value's shape breaks (README, Recognised
// formats). The CLI's explain command prints it; a debug log can use it for a few records.
package explain

import (
	"bytes"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/tinylib/msgp/msgp"
	"github.com/tracelink/tracelink/internal/jsonmp"
	"github.com/tracelink/tracelink/parser"
)

// Explainer explains records by taking them apart. It is not safe for concurrent use.
type Explainer struct {
	proc    *parser.Processor
	scratch parser.Scratch
	out     []byte
}

// New returns an Explainer for the records proc links.
func New(proc *parser.Processor) *Explainer { return &Explainer{proc: proc} }

// outcome is what linking one record gave, as far as explain compares them.
type outcome struct {
	res parser.Result
}

func (o outcome) sameLink(p outcome) bool {
	return o.res.Source == p.res.Source && o.res.Link.TraceHi == p.res.Link.TraceHi && o.res.Link.TraceLo == p.res.Link.TraceLo
}

func (ex *Explainer) link(rec []byte) outcome {
	var res parser.Result
	ex.out, res = ex.proc.ProcessWith(&ex.scratch, ex.out[:0], rec)
	return outcome{res}
}

// step is one step of a path into a record: entry index entry of the current map; on the
// last step the entry is removed (token < 0) or its string loses token number token; on
// other steps the walk descends into the entry's value, a map or (json) a string holding
// a JSON object.
type step struct {
	entry, token int
	json         bool
}

// target is one part of the record that can be removed.
type target struct {
	path  []step
	label string // where: a key path, or a key path and a token
	value string // what: the value as JSON, or the token
}

// maxTokens bounds how many tokens of one text value are tried.
const maxTokens = 400

// Record explains what linking rec (one msgpack map) gives, in one line of text: "linked by
// FORMAT from KEY-or-TOKEN VALUE; wrote KEY=VALUE, ...", or "not linked; refused KEY VALUE:
// RULE", or "not linked: no trace context ...". It links the record once per key and text
// token, so it is for diagnostics (the CLI's explain, a debug log), not for every record.
func (ex *Explainer) Record(rec []byte) string {
	base := ex.link(rec)
	written := ex.written(rec, ex.out)
	res := base.res
	if res.Dropped {
		return "sampled out (Sample_Rate): nothing is written for it"
	}
	targets := collectTargets(rec, nil, "", 0)
	var decisive, refused []target
	for _, t := range targets {
		v, ok := apply(rec, t.path)
		if !ok {
			continue
		}
		o := ex.link(v)
		if res.Linked() && !o.sameLink(base) {
			decisive = append(decisive, t)
		}
		if res.Invalid && !o.res.Invalid {
			refused = append(refused, t)
		}
	}
	decisive, refused = deepest(decisive), deepest(refused)
	if slices.ContainsFunc(refused, func(t target) bool { return !bareKey(t) }) {
		refused = slices.DeleteFunc(refused, bareKey) // name the value, not its key token too
	}
	if res.Linked() {
		// Without the winning trace nothing is left to refuse: those are not refusals.
		refused = slices.DeleteFunc(refused, func(r target) bool {
			return slices.ContainsFunc(decisive, func(d target) bool { return slices.Equal(d.path, r.path) })
		})
	}
	var b strings.Builder
	switch {
	case res.Linked():
		fmt.Fprintf(&b, "linked by %s", res.Source)
		if len(decisive) == 0 {
			b.WriteString(" (no single key or token decides it: several name the same trace)")
		} else {
			b.WriteString(" from ")
			for i, t := range decisive {
				if i > 0 {
					b.WriteString(" and ")
				}
				fmt.Fprintf(&b, "%s %s", t.label, t.value)
			}
		}
		if !res.Changed {
			b.WriteString("; the record already carries this link: left as it was")
		} else if len(written) > 0 {
			b.WriteString("; wrote ")
			b.WriteString(strings.Join(written, ", "))
		}
		for _, t := range refused {
			fmt.Fprintf(&b, "; refused %s %s: %s", t.label, t.value, refusalRule(t.label, t.value))
		}
	case res.Invalid:
		b.WriteString("not linked")
		if len(refused) == 0 {
			b.WriteString(": an id value was refused (no single key or token isolates it)")
		}
		for _, t := range refused {
			fmt.Fprintf(&b, "; refused %s %s: %s", t.label, t.value, refusalRule(t.label, t.value))
		}
	default:
		b.WriteString("not linked: no trace context (no recognised key, header or token)")
		hints, zeros := nearMisses(deepest(targets))
		if len(zeros) > 0 {
			fmt.Fprintf(&b, "; %s: an empty or all-zero id says there is no trace (not an error)", strings.Join(zeros, ", "))
		}
		if len(hints) > 0 {
			fmt.Fprintf(&b, "; %s look like trace context but are not read: name the key with -p trace_key=KEY (Trace_Key), or a Grok_Pattern for text", strings.Join(hints, ", "))
		}
		if len(written) > 0 {
			b.WriteString("; wrote ")
			b.WriteString(strings.Join(written, ", "))
		}
	}
	return b.String()
}

// deepest drops the targets that hold another target of ts (the key of a map whose
// member was also found, the value of a text line whose token was also found).
func deepest(ts []target) []target {
	var out []target
	for i, t := range ts {
		outer := false
		for j, u := range ts {
			if i != j && holds(t.path, u.path) {
				outer = true
				break
			}
		}
		if !outer {
			out = append(out, t)
		}
	}
	return out
}

// holds reports whether removing path t removes what path u names (and more).
func holds(t, u []step) bool {
	last := len(t) - 1
	if len(u) < len(t) || t[last].token >= 0 {
		return false
	}
	for i := range t {
		if u[i].entry != t[i].entry {
			return false
		}
		if i < last && (u[i].json != t[i].json || u[i].token != t[i].token) {
			return false
		}
	}
	if len(u) == len(t) {
		return u[last].token >= 0
	}
	return true
}

// nearMisses lists keys and tokens that mention a trace or span but linked nothing.
// Those whose value is empty or all zeros are returned apart: they say there is no trace.
func nearMisses(ts []target) (hints, zeros []string) {
	for _, t := range ts {
		l := strings.ToLower(t.label + " " + t.value)
		if !strings.Contains(l, "trace") && !strings.Contains(l, "span") {
			continue
		}
		if v := idValue(t.value); strings.Trim(v, "0") == "" {
			zeros = append(zeros, t.label+" "+t.value)
		} else if len(hints) < 3 {
			hints = append(hints, t.label+" "+t.value)
		}
	}
	return hints, zeros
}

// idValue returns the id in a shown value: unquoted, after a key= or key: of a token,
// without brackets and punctuation around it.
func idValue(shown string) string {
	s := shown
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if i := strings.LastIndexAny(s, "=:"); i >= 0 && !strings.HasPrefix(s, "00-") {
		s = s[i+1:] // "" for a key with no value
	}
	return strings.Trim(s, "[]();,\"' ")
}

// bareKey reports whether a shown token is a key alone ("b3:", "trace_id="), whose value
// is the next token.
func bareKey(t target) bool {
	return strings.HasPrefix(t.label, "token") && (strings.HasSuffix(t.value, `:"`) || strings.HasSuffix(t.value, `="`))
}

// collectTargets lists the removable parts of map value v at path prefix.
func collectTargets(v []byte, prefix []step, label string, depth int) []target {
	n, rest, err := msgp.ReadMapHeaderBytes(v)
	if err != nil || depth > 8 {
		return nil
	}
	var out []target
	for i := 0; i < int(n); i++ {
		var key []byte
		if msgp.NextType(rest) == msgp.StrType {
			key, rest, err = msgp.ReadStringZC(rest)
		} else {
			rest, err = msgp.Skip(rest)
		}
		if err != nil {
			return out
		}
		val := rest
		if rest, err = msgp.Skip(rest); err != nil {
			return out
		}
		val = val[:len(val)-len(rest)]
		name := string(key)
		if label != "" {
			name = label + "." + name
		}
		path := append(append([]step(nil), prefix...), step{entry: i, token: -1})
		out = append(out, target{path: path, label: "key " + name, value: jsonOf(val)})
		switch msgp.NextType(val) {
		case msgp.MapType:
			sub := append(append([]step(nil), prefix...), step{entry: i, token: -1})
			out = append(out, collectTargets(val, sub, name, depth+1)...)
		case msgp.StrType:
			s, _, err := msgp.ReadStringZC(val)
			if err != nil {
				continue
			}
			if t := bytes.TrimSpace(s); len(t) > 0 && t[0] == '{' {
				if m, r, err := jsonmp.AppendMsgpack(nil, t); err == nil && len(bytes.TrimSpace(r)) == 0 && msgp.NextType(m) == msgp.MapType {
					sub := append(append([]step(nil), prefix...), step{entry: i, token: -1, json: true})
					out = append(out, collectTargets(m, sub, name+" (JSON)", depth+1)...)
					continue
				}
			}
			toks := tokens(s)
			if len(toks) < 2 {
				continue
			}
			for k, tk := range toks {
				if k == maxTokens {
					break
				}
				p := append(append([]step(nil), prefix...), step{entry: i, token: k})
				out = append(out, target{path: p, label: "token in " + name, value: fmt.Sprintf("%q", s[tk[0]:tk[1]])})
			}
		}
	}
	return out
}

// tokens returns the [start, end) of the space-separated tokens of s.
func tokens(s []byte) [][2]int {
	var out [][2]int
	start := -1
	for i, c := range s {
		space := c == ' ' || c == '\t' || c == '\n' || c == '\r'
		switch {
		case space && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		case !space && start < 0:
			start = i
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

// apply returns map v with the part path names removed.
func apply(v []byte, path []step) ([]byte, bool) {
	n, rest, err := msgp.ReadMapHeaderBytes(v)
	if err != nil || len(path) == 0 {
		return nil, false
	}
	s := path[0]
	last := len(path) == 1
	count := n
	if last && s.token < 0 {
		count--
	}
	out := msgp.AppendMapHeader(nil, count)
	for i := 0; i < int(n); i++ {
		start := rest
		if rest, err = msgp.Skip(rest); err != nil {
			return nil, false
		}
		key := start[:len(start)-len(rest)]
		val := rest
		if rest, err = msgp.Skip(rest); err != nil {
			return nil, false
		}
		val = val[:len(val)-len(rest)]
		if i != s.entry {
			out = append(append(out, key...), val...)
			continue
		}
		switch {
		case last && s.token < 0:
			// removed
		case last:
			str, _, err := msgp.ReadStringZC(val)
			if err != nil {
				return nil, false
			}
			toks := tokens(str)
			if s.token >= len(toks) {
				return nil, false
			}
			t := toks[s.token]
			cut := append(append([]byte(nil), str[:t[0]]...), str[t[1]:]...)
			out = msgp.AppendStringFromBytes(append(out, key...), cut)
		case s.json:
			str, _, err := msgp.ReadStringZC(val)
			if err != nil {
				return nil, false
			}
			m, _, err := jsonmp.AppendMsgpack(nil, bytes.TrimSpace(str))
			if err != nil {
				return nil, false
			}
			m2, ok := apply(m, path[1:])
			if !ok {
				return nil, false
			}
			j, _, err := jsonmp.AppendJSON(nil, m2)
			if err != nil {
				return nil, false
			}
			out = msgp.AppendStringFromBytes(append(out, key...), j)
		default:
			sub, ok := apply(val, path[1:])
			if !ok {
				return nil, false
			}
			out = append(append(out, key...), sub...)
		}
	}
	return out, true
}

// written lists the top-level entries of out that rec did not have, or had with another
// value, as key=JSON.
func (ex *Explainer) written(rec, out []byte) []string {
	before := entries(rec)
	var w []string
	for _, e := range orderedEntries(out) {
		if v, ok := before[e[0]]; ok && v == e[1] {
			continue
		}
		w = append(w, e[0]+"="+e[1])
	}
	return w
}

func entries(v []byte) map[string]string {
	m := map[string]string{}
	for _, e := range orderedEntries(v) {
		m[e[0]] = e[1]
	}
	return m
}

// orderedEntries returns the top-level string keys of map v and their values as JSON.
func orderedEntries(v []byte) [][2]string {
	n, rest, err := msgp.ReadMapHeaderBytes(v)
	if err != nil {
		return nil
	}
	var out [][2]string
	for i := 0; i < int(n); i++ {
		var key []byte
		if key, rest, err = msgp.ReadStringZC(rest); err != nil {
			return out
		}
		val := rest
		if rest, err = msgp.Skip(rest); err != nil {
			return out
		}
		out = append(out, [2]string{string(key), jsonOf(val[:len(val)-len(rest)])})
	}
	return out
}

// jsonOf renders one msgpack value as JSON (long values are cut).
func jsonOf(v []byte) string {
	j, _, err := jsonmp.AppendJSON(nil, v)
	if err != nil {
		return "(unreadable)"
	}
	if len(j) > 200 {
		return string(j[:200]) + "..."
	}
	return string(j)
}

// refusalRule says which documented rule (README, Recognised formats) a refused value
// breaks, read from the value's shape: an explanation, not the parser's own verdict.
func refusalRule(label, shown string) string {
	span := strings.Contains(strings.ToLower(label+shown), "span")
	if !strings.HasPrefix(shown, `"`) && strings.ContainsAny(shown, ".eE") && !strings.ContainsAny(shown, "\"{[") {
		return "a JSON number with a fraction or exponent: a float has lost the id's low digits (ids above 2^53 do not survive a float; log them as strings)"
	}
	if isDigits(shown) {
		if n, err := strconv.ParseUint(shown, 10, 64); err == nil && n > 1<<53 && uint64(float64(n)) == n {
			return "a JSON integer above 2^53 that a float holds exactly: it has most likely been through a float, which lost its low digits (log ids as strings)"
		}
	}
	raw := strings.Trim(shown, `"`)
	if i := strings.IndexByte(raw, '/'); i > 0 && !strings.HasPrefix(raw, "projects/") {
		t := raw[strings.LastIndexAny(raw[:i], "=: ")+1 : i]
		if isHex(t) {
			switch {
			case strings.Trim(t, "0") == "":
				return "an all-zero trace id is invalid (X-Cloud-Trace-Context: TRACE/SPAN;o=FLAG)"
			case len(t) != 32:
				return fmt.Sprintf("X-Cloud-Trace-Context's trace id (before the /) is 32 hex digits, this one %d", len(t))
			}
			return "not a valid X-Cloud-Trace-Context value (TRACE/SPAN;o=FLAG, the span in decimal)"
		}
	}
	// A token "key=value" or "key: value": the value is what is read.
	s := idValue(shown)
	if strings.Count(s, "-") >= 3 && len(s) > 50 {
		parts := strings.Split(s, "-")
		switch {
		case len(parts) != 4:
			return fmt.Sprintf("a traceparent has 4 dash-separated parts (version-trace-span-flags), this one %d", len(parts))
		case len(parts[1]) != 32 || !isHex(parts[1]):
			return "a traceparent's trace id is 32 hex digits"
		case strings.Trim(parts[1], "0") == "":
			return "an all-zero trace id is invalid (W3C Trace Context)"
		case len(parts[2]) != 16 || !isHex(parts[2]):
			return "a traceparent's span id is 16 hex digits"
		case strings.Trim(parts[2], "0") == "":
			return "an all-zero span id is invalid (W3C Trace Context)"
		}
		return "not a valid W3C traceparent (version 00, lowercase hex)"
	}
	if parts := strings.Split(s, "-"); len(parts) >= 2 && isHex(parts[0]) && isHex(parts[1]) {
		// A header value TRACE-SPAN[-SAMPLED[-PARENT]] (B3 single header, sentry-trace).
		switch {
		case len(parts[0]) != 16 && len(parts[0]) != 32:
			return fmt.Sprintf("the trace id (first dash-separated part) has %d hex digits: a trace id is 32 hex digits (or 16)", len(parts[0]))
		case len(parts[1]) != 16:
			return fmt.Sprintf("the span id (second dash-separated part) has %d hex digits: a span id is 16", len(parts[1]))
		case strings.Trim(parts[0], "0") == "" || strings.Trim(parts[1], "0") == "":
			return "an all-zero trace or span id is invalid"
		}
		return "not a valid TRACE-SPAN[-SAMPLED[-PARENT]] header value"
	}
	switch {
	case s == "":
		return "an empty id"
	case isDigits(s):
		if n, ok := new(big.Int).SetString(s, 10); ok && (n.BitLen() > 128 || span && n.BitLen() > 64) {
			return fmt.Sprintf("%d decimal digits: does not fit in %d bits (a trace id has 128, a span id 64)", len(s), map[bool]int{true: 64, false: 128}[span && n.BitLen() <= 128])
		}
		if len(s) < 10 {
			return fmt.Sprintf("%d decimal digits: a generic trace or span key (trace_id, traceId, ...) takes 16 or 32 hex digits, or a decimal of at least 10 digits; a shorter number is a counter, not an id", len(s))
		}
		return "a decimal id where this key takes hex (header formats and ECS are hex)"
	case isHex(s):
		return fmt.Sprintf("%d hex digits: a trace id is 32 hex digits (or 16, left-padded), a span id 16", len(s))
	}
	return "not an id: characters other than hex or decimal digits"
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}
