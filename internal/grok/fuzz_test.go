package grok

import (
	"regexp"
	"testing"
)

// fuzzPatterns are matched against fuzzed lines in FuzzMatch.
var fuzzPatterns = []string{
	datakitLinePattern,
	datakitTracePattern,
	"%{COMMONAPACHELOG}",
	"%{SYSLOGBASE} %{GREEDYDATA:message}",
	"%{QUOTEDSTRING:qs}",
	"%{IP:ip}",
	"%{DATA:a}:%{GREEDYDATA:b}",
	"(?i)%{LOGLEVEL:level} %{WORD:w}?",
	`(?P<high>[^\x00-\x7f]+)|%{NOTSPACE:ns}`,
	`(?m)^%{WORD:w}\B.$`,
	"%{WORD:x}(?:,%{NUMBER:n}){2,3}",
	"(?s)%{DATA:lazy}é",
}

var fuzzLines = []string{
	datakitLine, datakitTrace, apacheLine, combinedLine, syslogLine,
	"", "\xff", "é:É", "INFO x\nWARN y", "a,1,2,3,4", `"a\"b"`, "fe80::1%eth0 1.2.3.4",
}

func FuzzMatch(f *testing.F) {
	lib, err := NewLibrary()
	if err != nil {
		f.Fatal(err)
	}
	type compiled struct {
		p  *Pattern
		re *regexp.Regexp
	}
	var ps []compiled
	for _, expr := range fuzzPatterns {
		p, err := lib.Compile(expr)
		if err != nil {
			f.Fatal(err)
		}
		ps = append(ps, compiled{p, regexp.MustCompile(p.regex)})
	}
	for _, l := range fuzzLines {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, c := range ps {
			checkAgainstRegexp(t, c.p, c.re, line)
		}
	})
}

func FuzzCompile(f *testing.F) {
	lib, err := NewLibrary()
	if err != nil {
		f.Fatal(err)
	}
	for _, expr := range diffPatterns {
		f.Add(expr, "2021-06-18 10:07:08 INFO x=1")
	}
	f.Add("%{", "")
	f.Add("%{WORD:a:b:c}", "x")
	f.Add("(?P<a>x*)*", "xx")
	f.Add(`\b(?:a|b)+?\z`, "ab")
	f.Fuzz(func(t *testing.T, expr, line string) {
		p, err := lib.Compile(expr)
		if err != nil {
			return
		}
		re, err := regexp.Compile(p.regex)
		if err != nil {
			t.Fatalf("Compile(%q) succeeded but its expansion does not compile: %v", expr, err)
		}
		checkAgainstRegexp(t, p, re, []byte(line))
	})
}
