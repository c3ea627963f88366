package grok

import (
	"regexp"
	"slices"
	"sync"
	"testing"
)

// TestStepBudgetFallback checks that an exponential pattern exhausts the
// backtracker's budget and that Match then gives Go's regexp answer.
func TestStepBudgetFallback(t *testing.T) {
	lib, err := NewLibrary()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ expr, line string }{
		{`(?P<run>(?:a|aa)+)b`, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa c ab"},
		{`^(?P<words>(?:\w+\s?)+)$`, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"},
		{`%{DATA:a}%{DATA:b}%{DATA:c}%{DATA:d}%{DATA:e}%{DATA:f}%{DATA:g}%{DATA:h}%{DATA:i}%{DATA:j}%{DATA:k}%{DATA:l}%{DATA:m}%{DATA:n}%{DATA:o}%{DATA:p}Z`, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	}
	for _, tt := range tests {
		p, err := lib.Compile(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if p.prog == nil {
			t.Fatalf("%q: expected a backtracker program", tt.expr)
		}
		line := []byte(tt.line)
		caps := make([]int, 2*len(p.Names()))
		for i := range caps {
			caps[i] = -1
		}
		if _, finished := new(machine).search(p.prog, line, caps); finished {
			t.Fatalf("%q on %q: backtracker finished within its budget; want it to give up", tt.expr, tt.line)
		}
		checkAgainstRegexp(t, p, regexp.MustCompile(p.regex), line)
	}
}

// TestUnsupportedLoopUsesRegexp checks that loops over empty-matching bodies,
// which Go's regexp prunes specially, are left to Go's regexp.
func TestUnsupportedLoopUsesRegexp(t *testing.T) {
	lib, err := NewLibrary()
	if err != nil {
		t.Fatal(err)
	}
	p, err := lib.Compile(`(?P<x>(?:a|b*)*)c`)
	if err != nil {
		t.Fatal(err)
	}
	if p.prog != nil {
		t.Fatal("expected no backtracker program for a loop over an empty-matching body")
	}
	for _, line := range []string{"aabbc", "xc", "ab"} {
		checkAgainstRegexp(t, p, regexp.MustCompile(p.regex), []byte(line))
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	lib, err := NewLibrary()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ expr, line string }{
		{datakitLinePattern, datakitLine},
		{datakitTracePattern, datakitTrace},
		{"%{COMMONAPACHELOG}", apacheLine},
		{datakitLinePattern, "no match here 2021"},
	} {
		p, err := lib.Compile(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		line := []byte(c.line)
		caps := make([]int, 2*len(p.Names()))
		if allocs := testing.AllocsPerRun(100, func() { p.Match(line, caps) }); allocs != 0 {
			t.Errorf("%q: %v allocs per Match, want 0", c.expr, allocs)
		}
	}
}

func TestMatchConcurrent(t *testing.T) {
	lib, err := NewLibrary()
	if err != nil {
		t.Fatal(err)
	}
	p, err := lib.Compile(datakitLinePattern)
	if err != nil {
		t.Fatal(err)
	}
	lines := [][]byte{[]byte(datakitLine), []byte("nothing"), []byte(datakitLine[:60])}
	want := make([][]int, len(lines))
	for i, l := range lines {
		want[i] = make([]int, 2*len(p.Names()))
		p.Match(l, want[i])
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			caps := make([]int, 2*len(p.Names()))
			for i := range 200 {
				k := (i + g) % len(lines)
				p.Match(lines[k], caps)
				if !slices.Equal(caps, want[k]) {
					t.Errorf("goroutine %d: caps %v, want %v", g, caps, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestSplitFirstSets: a split whose preferred branch needs a byte gets that branch's first
// bytes (so run skips it without pushing a choice); one whose branch can match empty gets none.
func TestSplitFirstSets(t *testing.T) {
	lib := &Library{}
	tests := []struct {
		expr     string
		filtered [][]byte // the first-byte sets of the filtered splits, in program order
		open     int      // splits left unfiltered
	}{
		{`(?:foo|bar|baz)x`, [][]byte{[]byte("f")}, 0}, // bar|baz is factored to ba[rz]: one split
		{`(?:a?|b)c`, [][]byte{[]byte("a"), []byte("ac")}, 0},
		{`x(?:a?|b)`, [][]byte{[]byte("a")}, 1}, // a? can match empty at the end: no filter
		{`(?:\bq|\d)`, [][]byte{[]byte("q")}, 0},
	}
	for _, tt := range tests {
		p, err := lib.Compile(tt.expr)
		if err != nil || p.prog == nil {
			t.Fatalf("%q: %v (want a backtracker program)", tt.expr, err)
		}
		var got [][]byte
		open := 0
		for _, in := range p.prog.insts {
			if in.op != opSplit {
				continue
			}
			if in.hint < 0 {
				open++
				continue
			}
			var bs []byte
			for c := 0; c < 256; c++ {
				if p.prog.splitFirst[in.hint][c>>6]&(1<<(c&63)) != 0 {
					bs = append(bs, byte(c))
				}
			}
			got = append(got, bs)
		}
		slices.SortFunc(got, func(a, b []byte) int { return slices.Compare(a, b) })
		want := slices.Clone(tt.filtered)
		slices.SortFunc(want, func(a, b []byte) int { return slices.Compare(a, b) })
		if !slices.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) || open != tt.open {
			t.Errorf("%q: filtered splits %q with %d open, want %q with %d open", tt.expr, got, open, want, tt.open)
		}
	}
}
