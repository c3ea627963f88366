//go:build cgo

package main

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
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

// definesDynamic agrees with debug/elf's DynamicSymbols on real ELF files: true for
// defined symbols, false for undefined ones, for a name's prefix and for absent names.
func TestDefinesDynamic(t *testing.T) {
	files := []string{"/proc/self/exe"}
	if libc, err := filepath.Glob("/lib/*/libc.so.6"); err == nil {
		files = append(files, libc...)
	}
	if fb := os.Getenv("FLUENT_BIT_BIN"); fb != "" {
		files = append(files, fb)
	}
	checked := 0
	for _, path := range files {
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		syms, err := f.DynamicSymbols()
		if err != nil {
			f.Close()
			continue // no dynamic symbols: nothing to compare
		}
		defined := map[string]bool{}
		for _, s := range syms {
			if s.Section != elf.SHN_UNDEF {
				defined[s.Name] = true
			}
		}
		for i, s := range syms {
			if i%41 != 0 || s.Name == "" {
				continue // a sample is enough; undefined and defined both occur
			}
			got, err := definesDynamic(f, s.Name)
			if err != nil || got != defined[s.Name] {
				t.Errorf("%s: definesDynamic(%q) = %v, %v; want %v", path, s.Name, got, err, defined[s.Name])
			}
			if prefix := s.Name[:len(s.Name)-1]; prefix != "" && !defined[prefix] {
				if got, _ := definesDynamic(f, prefix); got {
					t.Errorf("%s: definesDynamic(%q) = true for a prefix of %q", path, prefix, s.Name)
				}
			}
			checked++
		}
		if got, _ := definesDynamic(f, "tracelink_no_such_symbol"); got {
			t.Errorf("%s: definesDynamic of an absent name = true", path)
		}
		f.Close()
	}
	if checked == 0 {
		t.Fatal("no dynamic symbols checked")
	}
}
