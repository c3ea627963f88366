// Package grok is a fast grok engine: github.com/vjeantet/grok v1.0.1 syntax,
// default pattern library and match results (with NamedCapturesOnly), matched
// by a zero-allocation backtracking engine instead of Go's regexp.
//
// A Library holds named patterns; Library.Compile expands a grok expression
// (%{SYNTAX}, %{SYNTAX:SEMANTIC}, %{SYNTAX:SEMANTIC:TYPE}) into a regular
// expression exactly as vjeantet/grok does and compiles it into a Pattern.
// Pattern.Match returns the same leftmost-first submatches as Go's
// regexp.FindSubmatchIndex on that expression.
package grok

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// These mirror vjeantet/grok v1.0.1's expansion rules (read from its grok.go):
// which text is a %{...} reference, which references are valid, and how a
// semantic name becomes a regexp group name. They are immutable.
var (
	referenceRE      = regexp.MustCompile(`%{([\w-.]+(?::[\w-.]+(?::[\w-.]+)?)?)}`)
	validReferenceRE = regexp.MustCompile(`^\w+([-.]\w+)*(:([-.\w]+)(:(string|float|int))?)?$`)
	patternNameRE    = regexp.MustCompile(`^\w+([-.]\w+)*$`)
	nonWordRE        = regexp.MustCompile(`\W`)
)

// Library holds named patterns: vjeantet/grok's defaults plus user additions
// (the zero Library holds none). Build it once (NewLibrary, AddPattern, AddPatternsFile), then Compile.
// Compile may be called concurrently as long as no pattern is being added.
type Library struct {
	patterns map[string]string // name -> raw grok expression
}

// NewLibrary returns a Library holding vjeantet/grok's default patterns.
func NewLibrary() (*Library, error) {
	defaults, err := defaultPatterns()
	if err != nil {
		return nil, err
	}
	return &Library{patterns: defaults}, nil
}

// AddPattern adds (or replaces) one named pattern. expr may reference other
// patterns of the library with %{X}; every reference must resolve, without
// cycles. Replacing a pattern changes every pattern that references it, as in
// vjeantet/grok.
func (l *Library) AddPattern(name, expr string) error {
	if !patternNameRE.MatchString(name) {
		return fmt.Errorf("grok: add pattern %q: invalid name (want letters, digits, _ separated by . or -)", name)
	}
	next := l.cloneOrEmpty()
	next[name] = expr
	if err := newExpander(next, aliasGroupName).checkNamed(name); err != nil {
		return fmt.Errorf("grok: add pattern %s: %w", name, err)
	}
	l.patterns = next
	return nil
}

// AddPatternsFile adds the patterns of a logstash-style pattern file: one
// "NAME EXPRESSION" per line (name, then spaces or tabs, then the expression),
// '#' comment lines and blank lines ignored. Patterns of the file may reference
// each other in any order. On error nothing is added and the error names
// file:line.
func (l *Library) AddPatternsFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("grok: read patterns file: %w", err)
	}
	type definition struct {
		name string
		line int
	}
	var defs []definition
	next := l.cloneOrEmpty()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for lineNo := 1; sc.Scan(); lineNo++ {
		text := strings.TrimLeft(strings.TrimSuffix(sc.Text(), "\r"), " \t")
		if text == "" || text[0] == '#' {
			continue
		}
		cut := strings.IndexAny(text, " \t")
		if cut < 0 {
			return fmt.Errorf("grok: %s:%d: pattern %q has no expression", path, lineNo, text)
		}
		name, expr := text[:cut], strings.TrimLeft(text[cut:], " \t")
		if !patternNameRE.MatchString(name) {
			return fmt.Errorf("grok: %s:%d: invalid pattern name %q", path, lineNo, name)
		}
		if expr == "" {
			return fmt.Errorf("grok: %s:%d: pattern %s has no expression", path, lineNo, name)
		}
		next[name] = expr
		defs = append(defs, definition{name: name, line: lineNo})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("grok: read patterns file %s: %w", path, err)
	}
	check := newExpander(next, aliasGroupName)
	for _, d := range defs {
		if err := check.checkReferences(next[d.name]); err != nil {
			return fmt.Errorf("grok: %s:%d: pattern %s: %w", path, d.line, d.name, err)
		}
	}
	for _, d := range defs {
		if err := check.checkNamed(d.name); err != nil {
			return fmt.Errorf("grok: %s:%d: pattern %s: %w", path, d.line, d.name, err)
		}
	}
	l.patterns = next
	return nil
}

// cloneOrEmpty copies the pattern table (a zero Library has none).
func (l *Library) cloneOrEmpty() map[string]string {
	if l.patterns == nil {
		return map[string]string{}
	}
	return maps.Clone(l.patterns)
}

// Compile expands a grok expression with the library's patterns and compiles
// it. The returned Pattern is immutable and independent of later changes to
// the library.
func (l *Library) Compile(expr string) (*Pattern, error) {
	p, err := l.compile(expr)
	if err != nil {
		return nil, fmt.Errorf("grok: compile %q: %w", expr, err)
	}
	return p, nil
}

// capture describes one %{SYNTAX:SEMANTIC} insertion.
type capture struct {
	semantic string // as written, e.g. "dd.trace_id"
	syntax   string // e.g. "NUMBER"
}

// groupNamer chooses the regexp group name of a %{SYNTAX:SEMANTIC} insertion.
type groupNamer func(c capture, alias string) string

// aliasGroupName is vjeantet/grok's naming: the semantic with every non-word
// character replaced by '_'.
func aliasGroupName(_ capture, alias string) string { return alias }

// expander expands grok references the way vjeantet/grok's
// denormalizePattern does. vjeantet replaces every reference found in the
// original text, one after the other, in the growing string; because each
// insertion is parenthesised and fully expanded, that equals one left-to-right
// replacement pass, which is what expand does.
type expander struct {
	patterns map[string]string
	name     groupNamer
	done     map[string]string // pattern name -> expansion
	active   map[string]bool   // patterns being expanded (cycle detection)
	depth    int
	// aliases registered while expanding, library patterns first then the
	// top-level expression (vjeantet registers library aliases when the
	// library is built, before any expression is compiled).
	nestedAliases, topAliases [][2]string // {alias, semantic}
}

func newExpander(patterns map[string]string, name groupNamer) *expander {
	return &expander{patterns: patterns, name: name, done: map[string]string{}, active: map[string]bool{}}
}

// checkNamed expands the named pattern and reports what is wrong with it.
func (e *expander) checkNamed(name string) error {
	_, err := e.expandNamed(name)
	return err
}

// checkReferences reports the first invalid or unknown reference written in
// expr itself (without expanding the referenced patterns).
func (e *expander) checkReferences(expr string) error {
	for _, m := range referenceRE.FindAllStringSubmatch(expr, -1) {
		if !validReferenceRE.MatchString(m[1]) {
			return fmt.Errorf("invalid pattern reference %%{%s}", m[1])
		}
		name, _, _ := strings.Cut(m[1], ":")
		if _, ok := e.patterns[name]; !ok {
			return fmt.Errorf("unknown pattern %%{%s}", name)
		}
	}
	return nil
}

// named returns the expansion of a library pattern.
func (e *expander) named(name string) (string, error) {
	if e.active[name] {
		return "", fmt.Errorf("reference cycle through %%{%s}", name)
	}
	s, err := e.expandNamed(name)
	if err != nil {
		return "", fmt.Errorf("in %%{%s}: %w", name, err)
	}
	return s, nil
}

func (e *expander) expandNamed(name string) (string, error) {
	if s, ok := e.done[name]; ok {
		return s, nil
	}
	raw, ok := e.patterns[name]
	if !ok {
		return "", fmt.Errorf("unknown pattern %%{%s}", name)
	}
	if e.active[name] {
		return "", fmt.Errorf("reference cycle through %%{%s}", name)
	}
	e.active[name] = true
	e.depth++
	s, err := e.expand(raw)
	e.depth--
	delete(e.active, name)
	if err != nil {
		return "", err
	}
	e.done[name] = s
	return s, nil
}

func (e *expander) expand(expr string) (string, error) {
	refs := referenceRE.FindAllStringSubmatchIndex(expr, -1)
	if len(refs) == 0 {
		return expr, nil
	}
	var b strings.Builder
	last := 0
	for _, r := range refs {
		b.WriteString(expr[last:r[0]])
		last = r[1]
		ref := expr[r[2]:r[3]]
		if !validReferenceRE.MatchString(ref) {
			return "", fmt.Errorf("invalid pattern reference %%{%s}", ref)
		}
		parts := strings.Split(ref, ":")
		body, err := e.named(parts[0])
		if err != nil {
			return "", err
		}
		if len(parts) == 1 {
			b.WriteString("(")
		} else {
			c := capture{semantic: parts[1], syntax: parts[0]}
			alias := nonWordRE.ReplaceAllString(c.semantic, "_")
			if e.depth > 0 {
				e.nestedAliases = append(e.nestedAliases, [2]string{alias, c.semantic})
			} else {
				e.topAliases = append(e.topAliases, [2]string{alias, c.semantic})
			}
			b.WriteString("(?P<")
			b.WriteString(e.name(c, alias))
			b.WriteString(">")
		}
		b.WriteString(body)
		b.WriteString(")")
	}
	b.WriteString(expr[last:])
	return b.String(), nil
}

// semanticOf maps regexp group names back to the semantic names they alias
// (vjeantet's nameToAlias), later registrations winning.
func (e *expander) semanticOf() map[string]string {
	m := map[string]string{}
	for _, a := range e.nestedAliases {
		m[a[0]] = a[1]
	}
	for _, a := range e.topAliases {
		m[a[0]] = a[1]
	}
	return m
}

// errUnsupported reports a regexp shape the backtracker does not run; such
// patterns are matched by Go's regexp alone.
var errUnsupported = errors.New("unsupported by backtracker")

// markerPrefix returns a group-name prefix that occurs nowhere in s, so
// marker group names cannot collide with the user's own (?P<name>) groups.
func markerPrefix(s string) string {
	p := "grokcap"
	for strings.Contains(s, p) {
		p += "_"
	}
	return p
}

// markerNamer names each insertion prefix+index and records which capture it
// is, so capture groups can be traced back to their %{SYNTAX:SEMANTIC}.
func markerNamer(prefix string, out *[]capture) groupNamer {
	return func(c capture, _ string) string {
		*out = append(*out, c)
		return prefix + strconv.Itoa(len(*out)-1)
	}
}
