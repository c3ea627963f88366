package grok

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "patterns")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAddPatternsFile(t *testing.T) {
	lib, err := NewLibrary()
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "# trace patterns\n"+
		"\n"+
		"DDTRACE dd.trace_id=%{DDID:trace_id} dd.span_id=%{DDID:span_id}\r\n"+ // forward reference, CRLF
		"   # indented comment\n"+
		"DDID\t\t[0-9]+\n"+ // tabs
		"   \t\n")
	if err := lib.AddPatternsFile(path); err != nil {
		t.Fatal(err)
	}
	p, err := lib.Compile("%{DDTRACE}")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := parseMap(p, []byte("x dd.trace_id=12 dd.span_id=34 y"))
	if !ok || got["trace_id"] != "12" || got["span_id"] != "34" {
		t.Fatalf("got %v (matched %v)", got, ok)
	}
	if p.Syntax(0) != "DDID" {
		t.Fatalf("Syntax(0) = %q, want DDID", p.Syntax(0))
	}
}

func TestAddPatternsFileErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"no expression", "# c\nGOOD x\nJUSTANAME\n", ":3: pattern \"JUSTANAME\" has no expression"},
		{"bad name", "\nBAD$NAME x\n", ":2: invalid pattern name \"BAD$NAME\""},
		{"unknown reference", "A %{B}\nB %{NOPE}\n", ":2: pattern B: unknown pattern %{NOPE}"},
		{"invalid reference", "A %{B:c:bool}\n", ":1: pattern A: invalid pattern reference %{B:c:bool}"},
		{"cycle", "A x%{B}\nB y%{A}\n", ":1: pattern A: in %{B}: reference cycle through %{A}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib, err := NewLibrary()
			if err != nil {
				t.Fatal(err)
			}
			path := writeFile(t, tt.content)
			err = lib.AddPatternsFile(path)
			if err == nil || !strings.Contains(err.Error(), path+tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, path+tt.want)
			}
			// Nothing of a bad file is added.
			if _, err := lib.Compile("%{GOOD}"); err == nil {
				t.Fatal("pattern GOOD of a rejected file was added")
			}
		})
	}
	lib, err := NewLibrary()
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.AddPatternsFile(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing file: error = %v", err)
	}
}

func TestZeroLibrary(t *testing.T) {
	var lib Library
	if _, err := lib.Compile("%{WORD:w}"); err == nil || !strings.Contains(err.Error(), "unknown pattern %{WORD}") {
		t.Fatalf("zero Library Compile error = %v, want unknown pattern", err)
	}
	if err := lib.AddPattern("W", `\w+`); err != nil {
		t.Fatal(err)
	}
	p, err := lib.Compile("%{W:w}")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := parseMap(p, []byte("-- hi --")); !ok || got["w"] != "hi" {
		t.Fatalf("got %v (matched %v)", got, ok)
	}
}
