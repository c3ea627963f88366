package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// shortDir returns a fresh directory with a path short enough for a unix socket in it.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// expand replaces each {key} of s by its value.
func expand(s string, kv map[string]string) string {
	for k, v := range kv {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// problems returns the distinct log lines (timestamps cut) that report an error, a
// warning or a retry, except Fluent Bit's own notices of a shutdown or reload and lines
// containing one of allowed.
func problems(log string, allowed ...string) []string {
	var out []string
	seen := map[string]bool{}
lines:
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, "[error]") && !strings.Contains(l, "[ warn]") && !strings.Contains(l, "retry") {
			continue
		}
		for _, a := range append(allowed, "service will shutdown in max", "service will shutdown when all remaining tasks are flushed") {
			if strings.Contains(l, a) {
				continue lines
			}
		}
		if i := strings.Index(l, "] ["); i >= 0 {
			l = l[i+2:]
		}
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// checkNoProblems fails t with the problems the log reports.
func checkNoProblems(t *testing.T, log string, allowed ...string) {
	t.Helper()
	if p := problems(log, allowed...); len(p) > 0 {
		t.Errorf("Fluent Bit logged %d distinct errors, warnings or retries:\n%s", len(p), strings.Join(p[:min(len(p), 8)], "\n"))
	}
}
