package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracelink/tracelink/internal/docs"
)

// TestMain lets this test binary act as the CLI when it is run under the name tracelink
// (a symlink TestReadmeExamplesRun makes): the README's commands then run the code under
// test, with no separate build of cmd/tracelink.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "tracelink" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// cliPath is how the README runs the CLI: the binary make builds, from the clone's root.
const cliPath = "./build/tracelink"

// TestReadmeExamplesRun runs each <!-- example --> command of README.md from the
// repository root, the README's ./build/tracelink standing for this test binary, and
// compares the output with the README's json block when there is one.
func TestReadmeExamplesRun(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	exs := docs.Examples(string(md))
	if len(exs) == 0 {
		t.Fatal("README.md has no <!-- example --> blocks")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "tracelink")
	if err := os.Symlink(self, bin); err != nil {
		t.Fatal(err)
	}
	for _, ex := range exs {
		if len(ex.Commands) == 0 {
			t.Errorf("README.md:%d: %s is not followed by a ```sh block", ex.Line, docs.ExampleMarker)
			continue
		}
		var stdout bytes.Buffer
		for _, c := range ex.Commands {
			if !strings.Contains(c, cliPath+" ") {
				t.Errorf("README.md:%d: example command %q does not run %s (the README's commands must work as written in a fresh clone after make)", ex.Line, c, cliPath)
				continue
			}
			var stderr bytes.Buffer
			if err := runExample(c, root, bin, &stdout, &stderr); err != nil {
				t.Errorf("README.md:%d: %s: %v\nstderr:\n%s", ex.Line, c, err, stderr.String())
			}
		}
		if ex.HasWant {
			if err := docs.SameJSON(stdout.String(), ex.Expected); err != nil {
				t.Errorf("README.md:%d: output differs from the README's json block: %v\n got:\n%s\nwant:\n%s",
					ex.Line, err, stdout.String(), ex.Expected)
			}
		}
	}
}

// runExample runs one README command from the repository root. The common shapes,
// "./build/tracelink ARGS" and "PRODUCER | ./build/tracelink ARGS" with plain ARGS, run the
// CLI in this process (the producer through sh); anything else runs through sh with bin as
// the CLI. Starting this (race-instrumented) binary once per command costs seconds.
func runExample(c, root, bin string, stdout, stderr io.Writer) error {
	producer, cli := "", c
	if i := strings.LastIndex(c, "| "+cliPath+" "); i >= 0 {
		producer, cli = c[:i], c[i+2:]
	}
	if rest, ok := strings.CutPrefix(cli, cliPath+" "); ok {
		if args, ok := shellWords(rest); ok {
			var stdin []byte
			if producer != "" {
				cmd := exec.Command("sh", "-c", producer)
				cmd.Dir, cmd.Stderr = root, stderr
				out, err := cmd.Output()
				if err != nil {
					return fmt.Errorf("%s: %w", producer, err)
				}
				stdin = out
			}
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			if err := os.Chdir(root); err != nil {
				return err
			}
			defer func() { _ = os.Chdir(wd) }()
			if code := run(args, bytes.NewReader(stdin), stdout, stderr, os.Getenv); code != 0 {
				return fmt.Errorf("exit status %d", code)
			}
			return nil
		}
	}
	cmd := exec.Command("sh", "-c", strings.ReplaceAll(c, cliPath+" ", bin+" "))
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}

// shellWords splits s as sh would when it holds only words, single- and double-quoted
// strings (no $, `, \\ in double quotes, redirections or operators); ok is false otherwise.
func shellWords(s string) (words []string, ok bool) {
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, false
			}
			q := s[i+1 : i+1+j]
			if c == '"' && strings.ContainsAny(q, "$`\\") {
				return nil, false
			}
			cur.WriteString(q)
			inWord = true
			i += j + 1
		case strings.IndexByte("|&;<>()$`\\*?[#~", c) >= 0:
			return nil, false
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}

func TestShellWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{`-q -p format=datadog`, []string{"-q", "-p", "format=datadog"}, true},
		{`explain -e '{"trace_id":"1"}' -e "a b"`, []string{"explain", "-e", `{"trace_id":"1"}`, "-e", "a b"}, true},
		{`check fluent-bit.conf fluent-bit.yaml`, []string{"check", "fluent-bit.conf", "fluent-bit.yaml"}, true},
		{`-q < x`, nil, false},
		{`-p "$HOME"`, nil, false},
		{`a'b c'd`, []string{"ab cd"}, true},
		{`'open`, nil, false},
	}
	for _, tt := range tests {
		got, ok := shellWords(tt.in)
		if ok != tt.ok || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("shellWords(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
