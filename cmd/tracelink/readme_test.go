package main

import (
	"bytes"
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
			cmd := exec.Command("sh", "-c", strings.ReplaceAll(c, cliPath+" ", bin+" "))
			cmd.Dir = root
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
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
