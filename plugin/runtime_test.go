package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestProfileSeconds(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int
	}{
		{"", 60},
		{"5", 5},
		{"0", 60},
		{"-3", 60},
		{"soon", 60},
	} {
		getenv := func(string) string { return tc.value }
		if got := profileSeconds(getenv, "X"); got != tc.want {
			t.Errorf("profileSeconds(%q) = %d, want %d", tc.value, got, tc.want)
		}
	}
}

func TestWriteHeapProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.pprof")
	if err := writeHeapProfile(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// pprof's format is a gzipped protocol buffer.
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Errorf("%s is not a gzipped profile: % x", path, b[:min(len(b), 8)])
	}
	if err := writeHeapProfile(filepath.Join(t.TempDir(), "missing", "heap.pprof")); err == nil {
		t.Error("writing into a missing directory: no error")
	}
}
