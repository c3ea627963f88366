package parser

import (
	"bytes"
	"testing"
)

func BenchmarkDbgJSONScan(b *testing.B) {
	p := mustProcessor(b, map[string]string{"project_id": "my-project"})
	var s Scratch
	line := bytes.TrimSpace([]byte(appJSONLine))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sc := &s.sc
		sc.reset(&p.cfg)
		sc.walkJSONObject(line, 0, true)
	}
}

func BenchmarkDbgWalk(b *testing.B) {
	p := mustProcessor(b, map[string]string{"project_id": "my-project"})
	var s Scratch
	rec := k8sRecord(appJSONLine)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sc := &s.sc
		sc.reset(&p.cfg)
		sc.recLen = len(rec)
		sc.walkMsgpackMap(rec, 0, true)
	}
}
