package grok

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
)

// Pattern is a compiled grok expression, immutable and safe for concurrent use.
type Pattern struct {
	expr     string   // the grok expression as given
	regex    string   // its expansion, the regular expression vjeantet/grok compiles
	names    []string // semantic name of each named capture, in capture order
	syntaxes []string // SYNTAX behind each named capture ("" for a raw group)

	prog *program // the backtracker's program; nil when only fallback can run it

	// fallback is Go's regexp of the same expression: it answers when the
	// backtracker exceeds its step budget (or cannot run the expression), so
	// results stay identical and time stays linear.
	fallback       *regexp.Regexp
	fallbackGroups []int // fallback's group index of each named capture

	machines sync.Pool // *Machine, for Match
}

// String returns the original grok expression.
func (p *Pattern) String() string { return p.expr }

// Names returns the semantic names of the named captures, in capture order:
// one per %{SYNTAX:SEMANTIC} (nested library patterns included) and per raw
// (?P<name>...) group. Names are as written (vjeantet maps its '_' group-name
// aliases back to them); a name may repeat. The slice must not be modified.
func (p *Pattern) Names() []string { return p.names }

// Syntax returns the SYNTAX pattern name behind capture i (e.g. "NUMBER" for
// %{NUMBER:span_id}), or "" for a raw (?P<name>...) group.
func (p *Pattern) Syntax(i int) string { return p.syntaxes[i] }

// Match reports whether line contains a match (leftmost-first and unanchored,
// like regexp.FindSubmatchIndex on the expanded expression) and writes the
// start and end byte offsets of capture i into caps[2i] and caps[2i+1], or
// -1, -1 when the group did not participate. len(caps) must be at least
// 2*len(Names()). Match does not allocate, except on the rare lines where the
// backtracker gives up and Go's regexp answers instead.
func (p *Pattern) Match(line []byte, caps []int) bool {
	m := p.machines.Get().(*Machine)
	defer p.machines.Put(m)
	return p.MatchWith(m, line, caps)
}

// Machine is the working memory of a match. Reusing one per goroutine with MatchWith saves
// Match a pool round trip per line. The zero value is ready to use, for any Pattern; a
// Machine must not be used by two goroutines at once.
type Machine struct{ m machine }

// MatchWith is Match with caller-owned working memory.
func (p *Pattern) MatchWith(m *Machine, line []byte, caps []int) bool {
	caps = caps[:2*len(p.names)]
	for i := range caps {
		caps[i] = -1
	}
	if p.prog != nil && len(line) < math.MaxInt32 {
		matched, finished := m.m.search(p.prog, line, caps)
		if finished {
			return matched
		}
		for i := range caps {
			caps[i] = -1
		}
	}
	return p.matchFallback(line, caps)
}

// matchFallback answers with Go's regexp.
func (p *Pattern) matchFallback(line []byte, caps []int) bool {
	loc := p.fallback.FindSubmatchIndex(line)
	if loc == nil {
		return false
	}
	for i, g := range p.fallbackGroups {
		caps[2*i], caps[2*i+1] = loc[2*g], loc[2*g+1]
	}
	return true
}

func (l *Library) compile(expr string) (*Pattern, error) {
	named := newExpander(l.patterns, aliasGroupName)
	regex, err := named.expand(expr)
	if err != nil {
		return nil, err
	}
	fallback, err := regexp.Compile(regex)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression after expansion: %w", err)
	}

	// Expand again with marker group names to trace every capture group back
	// to its %{SYNTAX:SEMANTIC}; the tree has the same shape and numbering.
	var marks []capture
	prefix := markerPrefix(regex)
	marked, err := newExpander(l.patterns, markerNamer(prefix, &marks)).expand(expr)
	if err != nil {
		return nil, err
	}
	tree, err := syntax.Parse(marked, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression after expansion: %w", err)
	}

	p := &Pattern{expr: expr, regex: regex, fallback: fallback}
	p.machines.New = func() any { return new(Machine) }
	semanticOf := named.semanticOf()
	capNames := tree.CapNames()
	slotOf := make([]int, len(capNames)) // group index -> named capture index, -1 if unnamed
	for g, name := range capNames {
		slotOf[g] = -1
		if name == "" {
			continue
		}
		slotOf[g] = len(p.names)
		p.fallbackGroups = append(p.fallbackGroups, g)
		if idx, ok := strings.CutPrefix(name, prefix); ok {
			i, err := strconv.Atoi(idx)
			if err != nil || i < 0 || i >= len(marks) {
				return nil, fmt.Errorf("internal error: unknown marker group %q", name)
			}
			c := marks[i]
			alias := nonWordRE.ReplaceAllString(c.semantic, "_")
			p.names = append(p.names, lookupOr(semanticOf, alias, c.semantic))
			p.syntaxes = append(p.syntaxes, c.syntax)
			continue
		}
		p.names = append(p.names, lookupOr(semanticOf, name, name))
		p.syntaxes = append(p.syntaxes, "")
	}

	prog, err := compileProgram(tree.Simplify(), slotOf)
	switch {
	case errors.Is(err, errUnsupported):
		prog = nil
	case err != nil:
		return nil, err
	}
	p.prog = prog
	return p, nil
}

func lookupOr(m map[string]string, key, def string) string {
	if v, ok := m[key]; ok {
		return v
	}
	return def
}
