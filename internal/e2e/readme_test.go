package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// readmeSnippets returns the README's Fluent Bit snippets for tracelink, in order: each
// fenced block holding a tracelink [OUTPUT] section, and each block of bare property lines
// (such as a Grok_Pattern), which the README adds to the section shown before it.
func readmeSnippets(t *testing.T) []string {
	t.Helper()
	var out []string
	lines := strings.Split(repoFile(t, "README.md"), "\n")
	var section string
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(fence, "```") {
			continue
		}
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
			body = append(body, lines[i])
		}
		if fence != "```" {
			continue // a block in another language (sh, json, yaml...)
		}
		block := strings.Join(body, "\n")
		switch {
		case regexp.MustCompile(`(?m)^\[OUTPUT\]\s*$`).MatchString(block) && regexp.MustCompile(`(?mi)^\s+Name\s+tracelink\s*$`).MatchString(block):
			section = block
			out = append(out, section)
		case section != "" && len(body) > 0 && strings.HasPrefix(body[0], "    ") && !strings.Contains(block, "["):
			out = append(out, section+"\n"+block)
		case section != "" && len(body) > 0 && regexp.MustCompile(`^    [A-Za-z_]+\s+\S`).MatchString(body[0]):
			out = append(out, section+"\n"+block)
		}
	}
	return out
}

// pyLine is a line as ddtrace-py's default log format writes it, for request seq, at level.
func pyLine(level string) func(seq int) string {
	return func(seq int) string {
		return fmt.Sprintf(`2021-06-18 10:07:08,786 %s [__main__] [lt.py:26] [dd.service.name=Python-App dd.env=Testing dd.version=V1.1 dd.trace_id=%d dd.span_id=%d] - Hello "seq":%d`,
			level, fbtest.TraceID(seq), fbtest.SpanID(seq), seq)
	}
}

// Every tracelink snippet in the README works in the real host as written: the README's
// tail tag (kube.*) is fed ddtrace-py lines, and the forward input is on its defaults. A
// snippet that samples is fed ERROR lines, which sampling always keeps.
func TestReadmeSnippets(t *testing.T) {
	fbtest.Require(t)
	snippets := readmeSnippets(t)
	if len(snippets) < 2 {
		t.Fatalf("found %d tracelink snippets in README.md, want at least the migration section's two", len(snippets))
	}
	for i, snippet := range snippets {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			dir := shortDir(t)
			format := "datadog"
			if m := regexp.MustCompile(`(?mi)^\s+Format\s+(\S+)`).FindStringSubmatch(snippet); m != nil {
				format = strings.ToLower(m[1])
			}
			key := map[string]string{"datadog": "dd.trace_id", "stackdriver": "logging.googleapis.com/trace", "otel": "trace_id"}[format]
			sink := fbtest.NewSink(t, key, false)
			const n = 500
			level := "INFO"
			if regexp.MustCompile(`(?mi)^\s+Sample_Rate\s`).MatchString(snippet) {
				level = "ERROR"
			}
			w := &fbtest.Writer{Path: filepath.Join(dir, "app.log"), Rate: 1e6, N: n, Line: pyLine(level)}
			w.Start()
			if err := w.Wait(); err != nil {
				t.Fatal(err)
			}
			conf := writeFile(t, filepath.Join(dir, "fluent-bit.conf"), expand(`
[SERVICE]
    Flush      1
    Log_Level  info

[INPUT]
    Name            tail
    Path            {dir}/app.log
    Read_from_Head  On
    Tag             kube.app

{snippet}

[INPUT]
    Name  forward

[OUTPUT]
    Name                  forward
    Match                 traced.*
    Host                  127.0.0.1
    Port                  {sink}
    Require_ack_response  true
`, map[string]string{"dir": dir, "sink": strconv.Itoa(sink.Port()), "snippet": snippet}))
			fb := fbtest.Start(t, conf, fbtest.Options{Env: []string{"TMPDIR=" + dir, "GOOGLE_CLOUD_PROJECT=demo-project"}, NoWait: true})
			if !fb.WaitLog("[sp] stream processor started", 20*time.Second) {
				t.Fatalf("the snippet does not start in Fluent Bit:\n%s\nlog:\n%s", snippet, fb.Log())
			}
			r := sink.WaitAll(n, 30*time.Second)
			if r.Missing != 0 || r.Duplicates != 0 || r.Unlinked != 0 {
				t.Errorf("snippet:\n%s\nat the next hop: %s", snippet, r)
			}
			fb.Stop(20 * time.Second)
			checkNoProblems(t, fb.Log())
		})
	}
}
