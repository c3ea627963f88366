//go:build cgo

package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// contains finds the needle wherever it falls, across the block boundaries too.
func TestContains(t *testing.T) {
	needle := []byte("Fluent Bit v%s")
	for _, at := range []int{0, 1, 64<<10 - 5, 64 << 10, 64<<10 + 3, 3*64<<10 - 7, 200000} {
		data := bytes.Repeat([]byte{'x'}, 200000+len(needle))
		copy(data[at:], needle)
		got, err := contains(iotest.HalfReader(bytes.NewReader(data)), needle)
		if err != nil || !got {
			t.Errorf("needle at %d: contains = %v, %v; want true", at, got, err)
		}
	}
	got, err := contains(bytes.NewReader(bytes.Repeat([]byte("Fluent Bit v"), 10000)), needle)
	if err != nil || got {
		t.Errorf("no needle: contains = %v, %v; want false", got, err)
	}
}

// Only Fluent Bit's own executable is ever run with --version: not the test binary.
func TestIsFluentBit(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := isFluentBit(exe); err == nil || !strings.Contains(err.Error(), "not Fluent Bit") {
		t.Errorf("isFluentBit(the test binary) = %v, want a refusal", err)
	}
	if fb := os.Getenv("FLUENT_BIT_BIN"); fb != "" {
		if err := isFluentBit(fb); err != nil {
			t.Errorf("isFluentBit(%s) = %v, want nil", fb, err)
		}
	}
}
