package grok

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// randomRegexp builds a small random regular expression over a few atoms,
// exercising every construct the backtracker compiles.
func randomRegexp(r *rand.Rand, depth int, groups *int) string {
	atoms := []string{"a", "b", "é", "A", `\w`, `\s`, `\S`, ".", "[ab]", "[^a]", "[^\\x00-\\x7f]", `\b`, `\B`, "^", "$", "(?i:a)", "(?s:.)", "\n", "\ufffd", "x"}
	if depth <= 0 || r.IntN(3) == 0 {
		return atoms[r.IntN(len(atoms))]
	}
	sub := func() string { return randomRegexp(r, depth-1, groups) }
	switch r.IntN(7) {
	case 0:
		return sub() + sub()
	case 1:
		return sub() + "|" + sub()
	case 2:
		*groups++
		return "(?P<g" + strconv.Itoa(*groups) + ">" + sub() + ")"
	case 3:
		return "(?:" + sub() + ")" + []string{"*", "+", "?", "*?", "+?", "??"}[r.IntN(6)]
	case 4:
		m := r.IntN(3)
		return "(?:" + sub() + "){" + strconv.Itoa(m) + "," + strconv.Itoa(m+r.IntN(3)) + "}" + []string{"", "?"}[r.IntN(2)]
	case 5:
		return "(" + sub() + sub() + ")"
	default:
		return sub() + atoms[r.IntN(len(atoms))] + []string{"*", "+", "*?", "+?"}[r.IntN(4)]
	}
}

func randomLine(r *rand.Rand) string {
	pieces := []string{"a", "b", "é", "A", " ", "\n", "\xff", "_", "x", "\xe2\x82", "\ufffd"}
	var b strings.Builder
	for range r.IntN(12) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// TestRandomRegexpsMatchGo compares Match with Go's regexp on random
// expressions and lines (deterministic seed).
func TestRandomRegexpsMatchGo(t *testing.T) {
	lib := &Library{}
	r := rand.New(rand.NewPCG(1, 2))
	backtracked := 0
	for range 3000 {
		groups := 0
		expr := randomRegexp(r, 4, &groups)
		p, err := lib.Compile(expr)
		if err != nil {
			continue // e.g. repeat of an empty-width assertion
		}
		if p.prog != nil {
			backtracked++
		}
		re := regexp.MustCompile(p.regex)
		for range 8 {
			checkAgainstRegexp(t, p, re, []byte(randomLine(r)))
		}
	}
	t.Logf("backtracked %d", backtracked)
	if backtracked < 2000 {
		t.Fatalf("only %d of 3000 random expressions ran on the backtracker", backtracked)
	}
}
