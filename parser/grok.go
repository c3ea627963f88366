package parser

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tracelink/tracelink/internal/grok"
)

// The capture names a Grok_Pattern feeds into normalization.
const (
	gTrace = iota
	gSpan
	gSampled
	gLevel
	gTime
	gMessage
	gService
	gEnv
	gVersion
	numGrokFields
	gChain = -1 // any other name: its text is offered to the later patterns
)

var grokFieldNames = map[string]int{
	"trace_id": gTrace, "span_id": gSpan, "sampled": gSampled, "level": gLevel, "time": gTime,
	"message": gMessage, "service": gService, "env": gEnv, "version": gVersion,
}

// grokRule is one compiled Grok_Pattern.
type grokRule struct {
	prop   string // the property it came from, for messages
	pat    *grok.Pattern
	fields []int   // per capture: a g* index or gChain
	radix  []radix // per capture: how an id capture is read
}

// maxGrokInputs bounds the texts one record offers to the patterns (the message plus chained captures).
const maxGrokInputs = 8

// grokRadix tells the radix of an id capture from the grok pattern that matched it.
func grokRadix(syntax string) radix {
	switch syntax {
	case "NUMBER", "INT", "BASE10NUM", "POSINT", "NONNEGINT":
		return radixDecimal
	}
	return radixAuto
}

// buildGrok compiles Grok_Pattern, Grok_Pattern_1 ... in order, with Grok_Patterns_File.
func buildGrok(p map[string]string) ([]grokRule, error) {
	type numbered struct {
		n    int
		prop string
		expr string
	}
	var pats []numbered
	for k, v := range p {
		if n, ok := grokIndex(k); ok && strings.TrimSpace(v) != "" {
			pats = append(pats, numbered{n, GrokPatternProperty(n), v})
		}
	}
	file := strings.TrimSpace(p["grok_patterns_file"])
	if len(pats) == 0 {
		if file != "" {
			return nil, &PropertyError{Property: "Grok_Patterns_File", Value: file, Accepted: "used only together with Grok_Pattern"}
		}
		return nil, nil
	}
	sort.Slice(pats, func(i, j int) bool { return pats[i].n < pats[j].n })
	lib, err := grok.NewLibrary()
	if err != nil {
		return nil, fmt.Errorf("grok default patterns: %w", err)
	}
	if file != "" {
		if err := lib.AddPatternsFile(file); err != nil {
			return nil, &PropertyError{Property: "Grok_Patterns_File", Value: file, Accepted: "a readable file of NAME REGEX lines", Err: err}
		}
	}
	rules := make([]grokRule, 0, len(pats))
	capturesTrace := false
	for _, np := range pats {
		pat, err := compileGrok(lib, np.expr)
		if err != nil {
			return nil, &PropertyError{Property: np.prop, Value: np.expr, Accepted: "a grok expression (vjeantet/grok syntax and default patterns)", Err: err}
		}
		r := grokRule{prop: np.prop, pat: pat}
		for i, name := range pat.Names() {
			f, ok := grokFieldNames[name]
			if !ok {
				f = gChain
			}
			if f == gTrace {
				capturesTrace = true
			}
			r.fields = append(r.fields, f)
			r.radix = append(r.radix, grokRadix(pat.Syntax(i)))
		}
		rules = append(rules, r)
	}
	if !capturesTrace {
		return nil, &PropertyError{Property: pats[0].prop, Value: pats[0].expr, Accepted: "at least one Grok_Pattern must capture trace_id, e.g. %{NOTSPACE:trace_id}"}
	}
	return rules, nil
}

// compileGrok accepts an expression as written in a Fluent Bit config, or as the string
// literal of a DataKit pipeline's grok() call: quoted ("...\\[..."), or unquoted with every
// backslash doubled, in which case the literal's escaping is undone ("\\[" is "\[").
func compileGrok(lib *grok.Library, expr string) (*grok.Pattern, error) {
	expr = strings.TrimSpace(expr)
	if len(expr) >= 2 && (expr[0] == '"' || expr[0] == '\'') && expr[len(expr)-1] == expr[0] {
		inner := expr[1 : len(expr)-1]
		if expr[0] == '"' {
			if u, err := strconv.Unquote(expr); err == nil {
				inner = u
			}
		} else {
			inner = strings.ReplaceAll(inner, `\\`, `\`)
		}
		return lib.Compile(inner)
	}
	if literalEscaped(expr) {
		return lib.Compile(strings.ReplaceAll(expr, `\\`, `\`))
	}
	return lib.Compile(expr)
}

// literalEscaped reports whether expr has backslashes and every one of them is doubled:
// the mark of a pattern copied out of a quoted string literal.
func literalEscaped(expr string) bool {
	seen := false
	for i := 0; i < len(expr); i++ {
		if expr[i] != '\\' {
			continue
		}
		j := i
		for j < len(expr) && expr[j] == '\\' {
			j++
		}
		if (j-i)%2 != 0 {
			return false
		}
		seen = true
		i = j - 1
	}
	return seen
}

// maxGrokCaps is the capture buffer the rules need.
func maxGrokCaps(rules []grokRule) int {
	n := 0
	for _, r := range rules {
		if c := 2 * len(r.fields); c > n {
			n = c
		}
	}
	return n
}

// runGrok tries the rules on the line (and on the texts earlier rules captured under other
// names, like DataKit's grok(trace, ...)), filling sc.grokVals; first capture wins.
func (sc *scan) runGrok(line []byte) {
	rules := sc.cfg.grok
	var inputs [maxGrokInputs][]byte
	inputs[0] = line
	nIn := 1
	if cap(sc.grokCaps) < sc.cfg.grokCaps {
		sc.grokCaps = make([]int, sc.cfg.grokCaps)
	}
	caps := sc.grokCaps[:sc.cfg.grokCaps]
	for ri := range rules {
		r := &rules[ri]
		nBefore := nIn
		for in := 0; in < nBefore; in++ {
			text := inputs[in]
			if !r.pat.MatchWith(&sc.grokMachine, text, caps) {
				continue
			}
			for i, f := range r.fields {
				s, e := caps[2*i], caps[2*i+1]
				if s < 0 || e <= s {
					continue
				}
				v := text[s:e]
				if f == gChain {
					if nIn < maxGrokInputs {
						inputs[nIn] = v
						nIn++
					}
					continue
				}
				if !sc.grokVals[f].set() {
					sc.grokVals[f] = value{kind: vkString, s: v}
					sc.grokRadix[f] = r.radix[i]
				}
			}
			break
		}
		if sc.grokVals[gTrace].set() {
			return
		}
	}
}

// grokCandidate reads the ids grok captured.
func (sc *scan) grokCandidate() candidate {
	var c candidate
	ids(&c, SourceGrok, &sc.grokVals[gTrace], sc.grokRadix[gTrace], &sc.grokVals[gSpan], sc.grokRadix[gSpan])
	c.ctx.sampled = readSampled(&sc.grokVals[gSampled])
	return c
}
