package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
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

func writeFile(tb testing.TB, path, content string) string {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
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

// pipeline is the usual test pipeline: tail {dir}/app.log -> tracelink -> forward input
// on {dir}/fw.sock -> the next hop. Each field adds lines, in classic syntax, to its section.
type pipeline struct {
	service   string // [SERVICE]
	tail      string // the tail input
	tracelink string // the tracelink output (Format at least)
	forward   string // the forward input
	next      string // the [OUTPUT] section(s) after the forward input, matching traced.*
}

// write writes the config into dir and returns its path.
func (p pipeline) write(t *testing.T, dir string) string {
	t.Helper()
	return writeFile(t, filepath.Join(dir, "fluent-bit.conf"), expand(`
[SERVICE]
    Flush      1
    Log_Level  info
{service}
[INPUT]
    Name            tail
    Path            {dir}/app.log
    Read_from_Head  On
    Tag             app
{tail}
[OUTPUT]
    Name        tracelink
    Match       app
    Unix_Path   {dir}/fw.sock
    Spool_Path  {dir}/spool
{tracelink}
[INPUT]
    Name       forward
    Unix_Path  {dir}/fw.sock
{forward}
{next}
`, map[string]string{"dir": dir, "service": p.service, "tail": p.tail, "tracelink": p.tracelink, "forward": p.forward, "next": p.next}))
}

// forwardTo is an [OUTPUT] section sending traced.* to a forward receiver on port, with
// acks and retries without limit.
func forwardTo(port int) string {
	return fmt.Sprintf(`[OUTPUT]
    Name                  forward
    Match                 traced.*
    Host                  127.0.0.1
    Port                  %d
    Require_ack_response  true
    Retry_Limit           no_limits
`, port)
}

// writeApp writes n application lines (fbtest.AppLine, or line) to dir/app.log at once.
func writeApp(t *testing.T, dir string, n int, line func(int) string) {
	t.Helper()
	w := &fbtest.Writer{Path: filepath.Join(dir, "app.log"), Rate: 1e6, N: n, Line: line}
	w.Start()
	if err := w.Wait(); err != nil {
		t.Fatal(err)
	}
}

// metricsRecords asks Fluent Bit's metrics (/api/v1/metrics, on port) for the count named
// field in section ("input" or "output"), summed over the instances whose name starts with
// prefix; 0 when the server does not answer.
func metricsRecords(port int, section, field, prefix string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/api/v1/metrics", port), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var m map[string]map[string]map[string]float64
	if json.NewDecoder(resp.Body).Decode(&m) != nil {
		return 0
	}
	n := 0
	for name, counts := range m[section] {
		if strings.HasPrefix(name, prefix) {
			n += int(counts[field])
		}
	}
	return n
}
