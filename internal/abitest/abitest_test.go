// Package abitest checks the plugin through the C ABI Fluent Bit v5.1.1 uses: it builds
// the .so with -buildmode=c-shared, compiles testdata/harness.c (which lays out Fluent
// Bit's proxy structures and calls the exported functions from several threads), and
// runs the harness as a subprocess against in-test forward receivers. The .so is never
// loaded into the test process.
package abitest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/forward/forwardtest"
	"github.com/tracelink/tracelink/internal/output/outputtest"
)

const (
	threads   = 4
	rounds    = 3
	v1Records = 40
	v2Records = 30 // plus a group start and end marker
)

// tools finds go and a C compiler, or skips the test.
func tools(t *testing.T) (goBin, cc string) {
	t.Helper()
	if testing.Short() {
		t.Skip("abitest builds the plugin with cgo and runs a C harness: skipped under -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("abitest needs the go command in PATH to build the plugin")
	}
	for _, name := range []string{"gcc", "cc"} {
		if p, err := exec.LookPath(name); err == nil {
			cc = p
			break
		}
	}
	if cc == "" {
		t.Skip("abitest needs a C compiler (gcc or cc) in PATH")
	}
	out, err := exec.Command(goBin, "env", "CGO_ENABLED").Output()
	if err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Skip("abitest needs cgo (go env CGO_ENABLED is not 1)")
	}
	return goBin, cc
}

// built is the plugin and harness, built once for all tests into a directory TestMain removes.
var built struct {
	once        sync.Once
	dir         string
	so, harness string
	err         error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// build returns the plugin and the harness, building them on first use.
func build(t *testing.T) (so, harness string) {
	t.Helper()
	goBin, cc := tools(t)
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "abitest")
		if built.err == nil {
			built.so, built.harness, built.err = buildInto(built.dir, goBin, cc)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.so, built.harness
}

// buildInto builds the plugin with -buildmode=c-shared and compiles the harness into dir.
func buildInto(dir, goBin, cc string) (so, harness string, err error) {
	so = filepath.Join(dir, "out_tracelink.so")
	harness = filepath.Join(dir, "harness")

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-buildmode=c-shared", "-o", so, "github.com/tracelink/tracelink/plugin")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("building the plugin: %w\n%s", err, out)
	}
	cmd = exec.CommandContext(ctx, cc, "-std=gnu99", "-O1", "-Wall", "-Wextra", "-Werror", "-pthread",
		"-o", harness, filepath.Join("testdata", "harness.c"), "-ldl", "-lpthread")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("compiling the harness: %w\n%s", err, out)
	}
	return so, harness, nil
}

// runHarness runs the harness and returns its stderr; it fails the test on a non-zero exit.
func runHarness(t *testing.T, harness string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness, args...)
	var stderr, stdout bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stdout
	cmd.Env = append(os.Environ(), "GOOGLE_CLOUD_PROJECT=", "GCE_METADATA_HOST=127.0.0.1:1")
	if err := cmd.Run(); err != nil {
		t.Fatalf("harness %s: %v\nstderr:\n%s\nstdout:\n%s", args[0], err, stderr.String(), stdout.String())
	}
	return stderr.String()
}

func TestPluginThroughFluentBitABI(t *testing.T) {
	so, harness := build(t)
	dir := t.TempDir()

	srvA := forwardtest.NewUnix(t)
	srvB := forwardtest.NewUnix(t)

	v1 := outputtest.Chunk(outputtest.V1, 0, v1Records)
	var v2 []byte
	v2 = append(v2, 0x92, 0x92)
	v2 = outputtest.AppendEventTime(v2, 0xFFFFFFFF, 0)
	v2 = append(v2, 0x80, 0x81, 0xa1, 'g', 0x01) // metadata {}, attributes {"g":1}
	v2 = append(v2, outputtest.Chunk(outputtest.V2, 1000, v2Records)...)
	v2 = append(v2, 0x92, 0x92)
	v2 = outputtest.AppendEventTime(v2, 0xFFFFFFFE, 0)
	v2 = append(v2, 0x80, 0x80)
	v1File, v2File := filepath.Join(dir, "v1.chunk"), filepath.Join(dir, "v2.chunk")
	if err := os.WriteFile(v1File, v1, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v2File, v2, 0o600); err != nil {
		t.Fatal(err)
	}

	// A flush spools and returns; the harness then waits (HARNESS_DRAIN_MS) as a running
	// Fluent Bit would, while the senders deliver.
	t.Setenv("HARNESS_DRAIN_MS", "3000")
	spool := t.TempDir()
	stderr := runHarness(t, harness, "run", so, v1File, v2File, fmt.Sprint(threads), fmt.Sprint(rounds),
		// Match and Workers are kept by Fluent Bit (and by the harness) where the plugin cannot see them.
		"-i", "Format=stackdriver", "Project_ID=my-project-123", "Unix_Path="+srvA.Addr(), "Stats_Interval=0", "Match=*", "Workers=4", "Spool_Path="+spool,
		"-i", "FORMAT=datadog", "unix_path="+srvB.Addr(), "TAG_PREFIX=dd.", "Max_Connections=4", "spool_path="+spool)
	for _, inst := range []string{"tracelink.0", "tracelink.1"} {
		if left, _ := filepath.Glob(filepath.Join(spool, inst, "*.batch")); len(left) != 0 {
			t.Errorf("%s: %d batches still spooled after the drain", inst, len(left))
		}
	}

	for _, want := range []string{
		"[output:tracelink:tracelink.0] started: format stackdriver, project my-project-123, emit forward to unix:",
		"[output:tracelink:tracelink.1] started: format datadog, emit forward to unix:",
		"[output:tracelink:tracelink.0] exit: records=",
		"[output:tracelink:tracelink.1] exit: records=",
		", 0 failures",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("harness stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "[error]") || strings.Contains(stderr, "panic ") || strings.Contains(stderr, "goroutine ") {
		t.Errorf("harness stderr has errors:\n%s", stderr)
	}
	lineRE := regexp.MustCompile(`^(harness: .*|\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\] \[( info| warn|error)\] \[output:tracelink:tracelink\.[01]\] .*)$`)
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !lineRE.MatchString(l) {
			t.Errorf("unexpected stderr line %q", l)
		}
	}

	checkReceiver(t, "A (stackdriver)", srvA, "traced.", true, func(rec map[string]any, seq int) error {
		want := fmt.Sprintf("projects/my-project-123/traces/%032x", outputtest.TraceID(seq))
		if got := rec["logging.googleapis.com/trace"]; got != want {
			return fmt.Errorf("logging.googleapis.com/trace = %v, want %s", got, want)
		}
		if got := rec["logging.googleapis.com/spanId"]; got != fmt.Sprintf("%016x", outputtest.SpanID(seq)) {
			return fmt.Errorf("logging.googleapis.com/spanId = %v", got)
		}
		return nil
	})
	checkReceiver(t, "B (datadog)", srvB, "dd.", false, func(rec map[string]any, seq int) error {
		if got := fmt.Sprint(rec["dd.trace_id"]); got != fmt.Sprint(outputtest.TraceID(seq)) {
			return fmt.Errorf("dd.trace_id = %v, want %d", rec["dd.trace_id"], outputtest.TraceID(seq))
		}
		return nil
	})
}

// checkReceiver checks that every flushed chunk arrived exactly once, tagged with the
// prefix, every record once and linked. The legacy FLBPluginFlush goes to the first instance.
func checkReceiver(t *testing.T, name string, srv *forwardtest.Server, prefix string, legacy bool, linked func(map[string]any, int) error) {
	t.Helper()
	wantTags := map[string]int{} // tag -> log records expected
	for th := range threads {
		for r := range rounds {
			wantTags[fmt.Sprintf("%sapp.t%d.r%d.v1", prefix, th, r)] = v1Records
			wantTags[fmt.Sprintf("%sapp.t%d.r%d.v2", prefix, th, r)] = v2Records
		}
	}
	if legacy {
		wantTags[prefix+"legacy"] = v1Records
	}
	seenTags := map[string]bool{}
	for _, m := range srv.Messages() {
		want, ok := wantTags[m.Tag]
		if !ok || seenTags[m.Tag] {
			t.Errorf("%s: unexpected or repeated message tagged %q", name, m.Tag)
			continue
		}
		seenTags[m.Tag] = true
		if !m.Acked {
			t.Errorf("%s: message %q was not acked", name, m.Tag)
		}
		seqs := map[int]int{}
		groups := 0
		for _, e := range m.Entries {
			w := chunk.NewWalker(e)
			var ev chunk.Event
			if !w.Next(&ev) {
				t.Fatalf("%s: entry does not walk: %v", name, w.Err())
			}
			if ev.IsGroup() {
				groups++
				continue
			}
			rec, _, err := msgp.ReadMapStrIntfBytes(ev.Record, nil)
			if err != nil {
				t.Fatalf("%s: record: %v", name, err)
			}
			seq, ok := outputtest.Seq(ev.Record)
			if !ok {
				t.Fatalf("%s: record without seq: %v", name, rec)
			}
			seqs[seq]++
			if err := linked(rec, seq); err != nil {
				t.Errorf("%s: %s record %d not linked: %v", name, m.Tag, seq, err)
			}
		}
		if len(seqs) != want {
			t.Errorf("%s: %s has %d distinct records, want %d", name, m.Tag, len(seqs), want)
		}
		for seq, n := range seqs {
			if n != 1 {
				t.Errorf("%s: %s record %d arrived %d times", name, m.Tag, seq, n)
			}
		}
		if strings.HasSuffix(m.Tag, ".v2") && groups != 2 {
			t.Errorf("%s: %s carries %d group markers, want 2", name, m.Tag, groups)
		}
	}
	for tag := range wantTags {
		if !seenTags[tag] {
			t.Errorf("%s: no message tagged %q", name, tag)
		}
	}
}

func TestPluginInitFailsOnBadConfig(t *testing.T) {
	so, harness := build(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"Format=bogus", "Stats_Interval=0"}, `property Format: invalid value "bogus"`},
		{"bad port", []string{"Format=datadog", "Forward_Port=70000"}, `property Forward_Port: invalid value "70000"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stderr := runHarness(t, harness, append([]string{"initfail", so}, tt.args...)...)
			if !strings.Contains(stderr, "[error] [output:tracelink:tracelink.0] configuration error: ") || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks the configuration error %q:\n%s", tt.want, stderr)
			}
			if !strings.Contains(stderr, "FLBPluginInit failed as expected") {
				t.Errorf("stderr:\n%s", stderr)
			}
		})
	}
}
