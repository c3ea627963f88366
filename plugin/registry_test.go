//go:build cgo

package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func stdoutProps(key string) string {
	switch strings.ToLower(key) {
	case "emit":
		return "stdout"
	case "format":
		return "datadog"
	case "stats_interval":
		return "0"
	}
	return ""
}

func TestRegistryNamesHandlesAndReload(t *testing.T) {
	logs, out := &lockedBuffer{}, &lockedBuffer{}
	r := newRegistry(logs, out)
	h0, err := r.add(stdoutProps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.add(func(k string) string {
		if strings.EqualFold(k, "format") {
			return "bogus"
		}
		return stdoutProps(k)
	}, nil); err == nil {
		t.Fatal("a bad Format was accepted")
	}
	h2, err := r.add(stdoutProps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h0 != 0 || h2 != 2 || r.get(h0) == nil || r.get(1) != nil || r.get(h2) == nil {
		t.Fatalf("handles %d, %d; get(1) = %v", h0, h2, r.get(1))
	}
	if r.first() != r.get(h0) {
		t.Error("first() is not the first instance started")
	}
	l := logs.String()
	for _, want := range []string{"[output:tracelink:tracelink.0] started", "[error] [output:tracelink:tracelink.1] configuration error", "[output:tracelink:tracelink.2] started"} {
		if !strings.Contains(l, want) {
			t.Errorf("logs lack %q:\n%s", want, l)
		}
	}
	r.remove(h0)
	if r.get(h0) != nil || r.first() != r.get(h2) {
		t.Error("remove did not remove, or first() did not move on")
	}
	r.removeAll()
	if r.first() != nil {
		t.Error("removeAll left an instance")
	}
	if h, err := r.add(stdoutProps, nil); err != nil || h != 0 {
		t.Errorf("after a reload the first instance got handle %d (%v), want 0", h, err)
	}
	r.removeAll()
	if n := strings.Count(logs.String(), "exit: records=0"); n != 3 {
		t.Errorf("%d exit summaries, want 3", n)
	}
}
