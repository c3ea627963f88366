package grok

import "testing"

// BenchmarkGrok runs tracelink's Pattern.Match and vjeantet/grok's Parse side
// by side on the same expression and line.
func BenchmarkGrok(b *testing.B) {
	cases := []struct{ name, expr, line string }{
		{"datakit-seed", datakitLinePattern, datakitLine},
		{"datakit-trace", datakitTracePattern, datakitTrace},
		{"apache", "%{COMMONAPACHELOG}", apacheLine},
		{"syslog", "%{SYSLOGLINE}", syslogLine},
		{"no-match", datakitLinePattern, `{"msg":"hello world","level":"info","trace_id":"abc123"}`},
	}
	lib, g := newTestEngines(b)
	for _, c := range cases {
		p, err := lib.Compile(c.expr)
		if err != nil {
			b.Fatal(err)
		}
		line := []byte(c.line)
		b.Run(c.name+"/tracelink", func(b *testing.B) {
			caps := make([]int, 2*len(p.Names()))
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				p.Match(line, caps)
			}
		})
		b.Run(c.name+"/vjeantet", func(b *testing.B) {
			if _, err := g.Parse(c.expr, c.line); err != nil { // compile once, outside the loop
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if _, err := g.Parse(c.expr, c.line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
