// Package abitest checks the plugin through Fluent Bit's C ABI, in each host layout the
// plugin supports: it builds the .so with -buildmode=c-shared (kept between runs,
// socache_test.go), compiles testdata/harness.c against plugin/abi.h (the plugin's own copy
// of Fluent Bit's structures) with -rdynamic, and runs the harness as a subprocess against
// in-test forward receivers. The harness plays one Fluent Bit version (its proxy
// definition's size, its exported flb_*/cmt_* functions, a forward input, the engine
// thread) and calls the exported functions from the engine thread and worker threads at
// once; the tests assert the plugin used exactly what internal/host.For allows in that
// version. The .so is never loaded into the test process.
package abitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/chunk"
	"github.com/tracelink/tracelink/internal/forward/forwardtest"
	"github.com/tracelink/tracelink/internal/host"
	"github.com/tracelink/tracelink/internal/output/outputtest"
	"github.com/tracelink/tracelink/internal/property"
	"github.com/tracelink/tracelink/parser"
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

// buildInto builds the plugin with -buildmode=c-shared (or takes it from the cache of
// earlier runs, socache_test.go) and compiles the harness into dir.
func buildInto(dir, goBin, cc string) (so, harness string, err error) {
	harness = filepath.Join(dir, "harness")

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	// The harness compiles while the plugin builds (or its cache key is computed).
	// -rdynamic exports the harness's stand-ins for Fluent Bit's functions (flb_context_get,
	// flb_input_*, cmt_*, the version hook) to the plugin's dlsym(RTLD_DEFAULT, ...).
	harnessErr := make(chan error, 1)
	go func() {
		cmd := exec.CommandContext(ctx, cc, "-std=gnu99", "-O1", "-Wall", "-Wextra", "-Werror", "-pthread", "-rdynamic",
			"-I", filepath.Join("..", "..", "plugin"),
			"-o", harness, filepath.Join("testdata", "harness.c"), "-ldl", "-lpthread")
		if out, err := cmd.CombinedOutput(); err != nil {
			harnessErr <- fmt.Errorf("compiling the harness: %w\n%s", err, out)
			return
		}
		harnessErr <- nil
	}()
	const pkg = "github.com/tracelink/tracelink/plugin"
	goArgs := []string{"build", "-buildvcs=false", "-buildmode=c-shared"}
	so, err = cachedBuild(ctx, goBin, cc, pkg, goArgs, dir, func(so string) error {
		cmd := exec.CommandContext(ctx, goBin, append(goArgs, "-o", so, pkg)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building the plugin: %w\n%s", err, out)
		}
		return nil
	})
	if herr := <-harnessErr; err == nil {
		err = herr
	}
	if err != nil {
		return "", "", err
	}
	return so, harness, nil
}

// runHarness runs the harness and returns its stderr; it fails the test on a non-zero exit.
// ready, when not nil, is polled while the harness runs: once it reports true (or the
// harness exits, or a minute passes) the file drain is created, which the harness (-W)
// waits for before it stops the instances.
func runHarness(t *testing.T, harness string, ready func() bool, drain string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness, args...)
	var stderr, stdout bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stdout
	cmd.Env = append(os.Environ(), "GOOGLE_CLOUD_PROJECT=", "GCE_METADATA_HOST=127.0.0.1:1")
	if err := cmd.Start(); err != nil {
		t.Fatalf("harness %s: %v", args[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	if ready != nil {
		tick := time.NewTicker(5 * time.Millisecond)
		deadline := time.After(time.Minute)
	poll:
		for {
			select {
			case err = <-done:
				done <- err
				break poll
			case <-deadline:
				t.Errorf("harness %s: the receivers did not get everything within a minute", args[0])
				break poll
			case <-tick.C:
				if ready() {
					break poll
				}
			}
		}
		tick.Stop()
		if err := os.WriteFile(drain, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err = <-done; err != nil {
		t.Fatalf("harness %s: %v\nstderr:\n%s\nstdout:\n%s", args[0], err, stderr.String(), stdout.String())
	}
	return stderr.String()
}

// hostMode is one Fluent Bit the harness plays.
type hostMode struct {
	name    string
	version string // what the version hook returns; "" for NULL (the plugin then asks /proc/self/exe, which is not Fluent Bit)
	// defSize is sizeof(struct flb_plugin_proxy_def) in that version: 48 from v5.1.1
	// (config_map), 40 before. The harness puts it against a PROT_NONE page.
	defSize int
	// threaded: the forward input on the first instance's Unix_Path has Threaded on.
	threaded bool
	// noCmtAPI leaves flb_api.output_get_cmt_instance NULL (builds without metrics, such as
	// v5.1.1's minimal one): the plugin uses the exported function.
	noCmtAPI bool
	// refuse: the forward input refuses the first appends (paused at its buffer limit): the
	// plugin spools those chunks for the socket and counts them.
	refuse int
	// noConf: Fluent Bit was started without -c (a pipeline given with flags): whether the
	// forward input is threaded cannot be read, so the plugin must use the socket.
	noConf bool
}

var hostModes = []hostMode{
	{name: "v5.1.1", version: "5.1.1", defSize: 48, noCmtAPI: true},
	{name: "v5.1.1 threaded forward input", version: "5.1.1", defSize: 48, threaded: true},
	{name: "v5.1.0", version: "5.1.0", defSize: 40},
	{name: "v5.1.0 without -c", version: "5.1.0", defSize: 40, noConf: true},
	{name: "v5.0.9", version: "5.0.9", defSize: 40},
	{name: "v4.2.8", version: "4.2.8", defSize: 40},
	{name: "v4.2.8 paused forward input", version: "4.2.8", defSize: 40, refuse: 2},
	{name: "v3.2.10", version: "3.2.10", defSize: 40},
	{name: "v5.2.0 unverified", version: "5.2.0", defSize: 48},
	{name: "unknown version", version: "", defSize: 48},
}

// caps is what internal/host says the plugin may do in m's host: the test asserts the
// harness saw exactly that.
func (m hostMode) caps(t *testing.T) host.Caps {
	if m.version == "" {
		return host.For(host.Version{}, false)
	}
	v, err := host.ParseVersion(m.version)
	if err != nil {
		t.Fatal(err)
	}
	return host.For(v, true)
}

// chunkFiles writes the V1 chunk (v1Records) and the V2 chunk (a group start marker,
// v2Records records, a group end marker) into dir.
func chunkFiles(t *testing.T, dir string) (v1File, v2File string) {
	v1 := outputtest.Chunk(outputtest.V1, 0, v1Records)
	var v2 []byte
	v2 = append(v2, 0x92, 0x92)
	v2 = outputtest.AppendEventTime(v2, 0xFFFFFFFF, 0)
	v2 = append(v2, 0x80, 0x81, 0xa1, 'g', 0x01) // metadata {}, attributes {"g":1}
	v2 = append(v2, outputtest.Chunk(outputtest.V2, 1000, v2Records)...)
	v2 = append(v2, 0x92, 0x92)
	v2 = outputtest.AppendEventTime(v2, 0xFFFFFFFE, 0)
	v2 = append(v2, 0x80, 0x80)
	v1File, v2File = filepath.Join(dir, "v1.chunk"), filepath.Join(dir, "v2.chunk")
	if err := os.WriteFile(v1File, v1, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v2File, v2, 0o600); err != nil {
		t.Fatal(err)
	}
	return v1File, v2File
}

// flushTags returns the tags the harness flushes under (before any Tag_Prefix), by
// whether they are flushed on the engine thread, and the records each carries.
func flushTags(legacy bool) (engine, workers map[string]int) {
	engine, workers = map[string]int{}, map[string]int{}
	for r := range rounds {
		engine[fmt.Sprintf("app.e.r%d.v1", r)] = v1Records
		engine[fmt.Sprintf("app.e.r%d.v2", r)] = v2Records
		for th := range threads {
			workers[fmt.Sprintf("app.t%d.r%d.v1", th, r)] = v1Records
			workers[fmt.Sprintf("app.t%d.r%d.v2", th, r)] = v2Records
		}
	}
	if legacy {
		engine["legacy"] = v1Records
	}
	return engine, workers
}

func prefixed(prefix string, tags ...map[string]int) map[string]int {
	out := map[string]int{}
	for _, m := range tags {
		for tag, n := range m {
			out[prefix+tag] = n
		}
	}
	return out
}

func sum(tags map[string]int) (n int) {
	for _, v := range tags {
		n += v
	}
	return n
}

// TestHostLayouts drives the plugin through the C ABI of each Fluent Bit layout it supports
// (and a newer and an unknown one), asserting that it uses exactly what internal/host.For
// allows there: the config map (written only into a 48-byte proxy definition, and
// well-formed), Fluent Bit's logger and cmetrics, and in-process delivery to the forward
// input (from the engine thread, never into a threaded input); everything else goes through
// the socket, every record once, linked.
func TestHostLayouts(t *testing.T) {
	so, harness := build(t)
	for _, m := range hostModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			testHostLayout(t, so, harness, m)
		})
	}
}

func testHostLayout(t *testing.T, so, harness string, m hostMode) {
	caps := m.caps(t)
	dir := t.TempDir()
	v1File, v2File := chunkFiles(t, dir)
	srvA := forwardtest.NewUnix(t)
	srvB := forwardtest.NewUnix(t)
	spool := t.TempDir()
	results, appends, drain := filepath.Join(dir, "results"), filepath.Join(dir, "appends"), filepath.Join(dir, "drain")

	threaded := ""
	if m.threaded {
		threaded = "\n    Threaded   on"
	}
	conf := filepath.Join(dir, "fluent-bit.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`[SERVICE]
    Flush 1

[INPUT]
    Name tail
    Path /var/log/app/*.log
    Tag  app.*

[INPUT]
    Name       forward
    Unix_Path  %s
    Tag_Prefix fwd.%s

[OUTPUT]
    Name       tracelink
    Match      app.*
    Format     stackdriver
    Project_ID my-project-123
    Unix_Path  %s

[OUTPUT]
    Name       tracelink
    Alias      dd_out
    Match      app.*
    Format     datadog
    Unix_Path  %s
    Tag_Prefix dd.

[OUTPUT]
    Name  stdout
    Match fwd.*

[OUTPUT]
    Name  stdout
    Match dd.*
`, srvA.Addr(), threaded, srvA.Addr(), srvB.Addr())), 0o600); err != nil {
		t.Fatal(err)
	}

	// Instance A's records flushed on the engine thread go to the forward input in process
	// where the host allows it; the rest, and all of B's (no input listens on its path), go
	// through the sockets.
	inProcess := caps.InProcess && !m.threaded && !m.noConf
	engine, workers := flushTags(true)
	engineB, _ := flushTags(false)
	wantA, wantAppends := prefixed("traced.", engine, workers), map[string]int{}
	if inProcess {
		// The engine thread flushes app.e.r0.v1 then app.e.r0.v2 first: refused ones go
		// through the socket.
		refused := map[string]int{}
		for i, tag := range []string{"app.e.r0.v1", "app.e.r0.v2"}[:m.refuse] {
			refused[tag] = []int{v1Records, v2Records}[i]
			delete(engine, tag)
		}
		wantA = prefixed("traced.", workers, refused)
		wantAppends = prefixed("fwd.traced.", engine)
		for tag, n := range refused {
			engine[tag] = n // counted as records all the same
		}
	}
	wantB := prefixed("dd.", engineB, workers)

	args := []string{"run", so, v1File, v2File, fmt.Sprint(threads), fmt.Sprint(rounds),
		"-D", fmt.Sprint(m.defSize), "-R", results, "-A", appends, "-W", drain,
		"-F", "unix_path=" + srvA.Addr(), "tag_prefix=fwd."}
	if m.version != "" {
		args = append(args, "-V", m.version)
	}
	if !m.noConf {
		args = append(args, "-c", conf)
	}
	if m.threaded {
		args = append(args, "threaded=on")
	}
	if m.noCmtAPI {
		args = append(args, "-X")
	}
	if m.refuse > 0 {
		args = append(args, "-P", fmt.Sprint(m.refuse))
	}
	// Match and Workers are kept by Fluent Bit (and by the harness) where the plugin cannot
	// see them. Spool_Memory 0: every batch is a file until acknowledged, which the test
	// waits for instead of sleeping.
	args = append(args,
		"-i", "Format=stackdriver", "Project_ID=my-project-123", "Unix_Path="+srvA.Addr(), "Stats_Interval=0", "Match=app.*", "Workers=4", "Spool_Path="+spool, "Spool_Memory=0",
		"-i", "FORMAT=datadog", "Alias=dd_out", "unix_path="+srvB.Addr(), "TAG_PREFIX=dd.", "Max_Connections=4", "spool_path="+spool, "spool_memory=0")
	ready := func() bool {
		if !allAcked(srvA, wantA) || !allAcked(srvB, wantB) {
			return false
		}
		left, _ := filepath.Glob(filepath.Join(spool, "*", "*.batch"))
		return len(left) == 0
	}
	stderr := runHarness(t, harness, ready, drain, args...)
	if left, _ := filepath.Glob(filepath.Join(spool, "*", "*.batch")); len(left) != 0 {
		t.Errorf("%d batches still spooled after the drain: %v", len(left), left)
	}

	// The start line says what the host allows.
	for _, want := range []string{
		caps.Summary(),
		"[output:tracelink:tracelink.0] started: format stackdriver, project my-project-123, emit ",
		"[output:tracelink:tracelink.1] started: format datadog, emit ",
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
	lineRE := regexp.MustCompile(`^(harness: .*|\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\] \[( info| warn|error)\] \[output:tracelink(:tracelink\.[01])?\] .*)$`)
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !lineRE.MatchString(l) {
			t.Errorf("unexpected stderr line %q", l)
		}
	}

	res := readResults(t, results)
	checkConfigMap(t, m, caps, res)
	checkHostAPI(t, caps, res, sum(engine)+sum(workers), sum(engineB)+sum(workers))
	wantRefused := 0
	if inProcess {
		wantRefused = m.refuse
		if got := res.metrics["fluentbit_tracelink_retries_total{name=tracelink.0,kind=in_process}"]; got != float64(m.refuse) {
			t.Errorf("retries_total{kind=in_process} = %v, want %d (the appends the input refused)", got, m.refuse)
		}
	}
	if res.refused != wantRefused {
		t.Errorf("the forward input refused %d appends, want %d", res.refused, wantRefused)
	}

	switch {
	case inProcess:
		if !strings.Contains(stderr, "[output:tracelink:tracelink.0] started: format stackdriver, project my-project-123, emit in process into input forward.2") {
			t.Errorf("instance A did not start in process:\n%s", stderr)
		}
		if !strings.Contains(stderr, "[output:tracelink:tracelink.1] records go through the socket, not in process: no input of this Fluent Bit has unix_path "+srvB.Addr()) {
			t.Errorf("instance B does not say why it uses the socket:\n%s", stderr)
		}
	case caps.InProcess && m.noConf:
		if !strings.Contains(stderr, "[output:tracelink:tracelink.0] records go through the socket, not in process: cannot check whether its forward input is threaded (no configuration file on Fluent Bit's command line)") {
			t.Errorf("instance A does not say why it uses the socket without -c:\n%s", stderr)
		}
	case caps.InProcess && m.threaded:
		if !strings.Contains(stderr, "[output:tracelink:tracelink.0] records go through the socket, not in process: the forward input on "+srvA.Addr()+" has threaded on") {
			t.Errorf("instance A does not say the threaded input keeps it on the socket:\n%s", stderr)
		}
	default:
		if strings.Contains(stderr, "in process") {
			t.Errorf("a host without in-process delivery (%+v) mentions it:\n%s", caps, stderr)
		}
	}
	checkAppends(t, appends, wantAppends, res)

	checkReceiver(t, "A (stackdriver)", srvA, wantA, stackdriverLinked)
	checkReceiver(t, "B (datadog)", srvB, wantB, datadogLinked)
}

func datadogLinked(rec map[string]any, seq int) error {
	if got := fmt.Sprint(rec["dd.trace_id"]); got != fmt.Sprint(outputtest.TraceID(seq)) {
		return fmt.Errorf("dd.trace_id = %v, want %d", rec["dd.trace_id"], outputtest.TraceID(seq))
	}
	return nil
}

func stackdriverLinked(rec map[string]any, seq int) error {
	want := fmt.Sprintf("projects/my-project-123/traces/%032x", outputtest.TraceID(seq))
	if got := rec["logging.googleapis.com/trace"]; got != want {
		return fmt.Errorf("logging.googleapis.com/trace = %v, want %s", got, want)
	}
	if got := rec["logging.googleapis.com/spanId"]; got != fmt.Sprintf("%016x", outputtest.SpanID(seq)) {
		return fmt.Errorf("logging.googleapis.com/spanId = %v", got)
	}
	return nil
}

// allAcked reports whether srv has acked a message for every tag of want.
func allAcked(srv *forwardtest.Server, want map[string]int) bool {
	acked := map[string]bool{}
	for _, m := range srv.Messages() {
		if m.Acked {
			acked[m.Tag] = true
		}
	}
	for tag := range want {
		if !acked[tag] {
			return false
		}
	}
	return true
}

// results is what the harness wrote with -R.
type results struct {
	defSize       int
	configMap     []string // "type name"
	configMapEnd  int      // -1: no config_map_end line
	configMapNone bool
	logPrints     int
	counters      int
	appends       int
	refused       int
	metrics       map[string]float64
}

func readResults(t *testing.T, path string) results {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := results{configMapEnd: -1, metrics: map[string]float64{}}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		var n int
		if len(f) >= 2 {
			n, _ = strconv.Atoi(f[len(f)-1])
		}
		switch {
		case len(f) == 3 && f[0] == "config_map":
			r.configMap = append(r.configMap, f[1]+" "+f[2])
		case len(f) == 2 && f[0] == "config_map_end":
			r.configMapEnd = n
		case len(f) == 1 && f[0] == "config_map_none":
			r.configMapNone = true
		case len(f) == 2 && f[0] == "def_size":
			r.defSize = n
		case len(f) == 2 && f[0] == "log_print":
			r.logPrints = n
		case len(f) == 2 && f[0] == "counters":
			r.counters = n
		case len(f) == 2 && f[0] == "appends":
			r.appends = n
		case len(f) == 2 && f[0] == "refused":
			r.refused = n
		case len(f) == 3 && f[0] == "metric":
			v, err := strconv.ParseFloat(f[2], 64)
			if err != nil {
				t.Fatalf("results line %q: %v", l, err)
			}
			r.metrics[f[1]] = v
		default:
			t.Fatalf("unexpected results line %q", l)
		}
	}
	return r
}

// wantConfigMap is the config map the plugin registers: its properties by lowercase name
// (type 0, FLB_CONFIG_MAP_STR), then the Grok_Pattern_N prefix (type 1, STR_PREFIX).
func wantConfigMap() []string {
	var want []string
	for _, p := range append(parser.Properties(), property.Sink()...) {
		want = append(want, "0 "+strings.ToLower(p.Name))
	}
	return append(want, "1 "+strings.ToLower(strings.TrimSuffix(parser.GrokPatternProperty(1), "1")))
}

func checkConfigMap(t *testing.T, m hostMode, caps host.Caps, res results) {
	t.Helper()
	if res.defSize != m.defSize {
		t.Errorf("the harness played a %d-byte proxy definition, want %d", res.defSize, m.defSize)
	}
	switch {
	case caps.ConfigMap && m.defSize != 48:
		t.Fatalf("internal/host allows a config map in %s, whose proxy definition (%d bytes) has no such member", m.name, m.defSize)
	case caps.ConfigMap:
		if want := wantConfigMap(); !slices.Equal(res.configMap, want) {
			t.Errorf("config map:\n got %q\nwant %q", res.configMap, want)
		}
		if res.configMapEnd != len(res.configMap) {
			t.Errorf("config map ends at %d (want %d, zero-terminated)", res.configMapEnd, len(res.configMap))
		}
	case m.defSize == 48:
		if !res.configMapNone || len(res.configMap) != 0 {
			t.Errorf("config_map written in a host where internal/host does not allow it (%+v)", caps)
		}
	default:
		// A 40-byte definition ends at a PROT_NONE page: a write at offset 40 would have
		// crashed the harness (exit 3). Nothing to read back.
		if res.configMapNone || len(res.configMap) != 0 {
			t.Errorf("the harness read a config_map from a 40-byte definition")
		}
	}
}

// checkHostAPI checks the logger and the metrics: used exactly where internal/host allows
// them, with every record of both instances counted as linked (B under its alias).
func checkHostAPI(t *testing.T, caps host.Caps, res results, recordsA, recordsB int) {
	t.Helper()
	if !caps.HostAPI {
		if res.logPrints != 0 || res.counters != 0 || len(res.metrics) != 0 {
			t.Errorf("a host without the verified API (%+v): log_print called %d times, %d counters created, metrics %v",
				caps, res.logPrints, res.counters, res.metrics)
		}
		return
	}
	if res.logPrints == 0 {
		t.Errorf("the plugin never logged through flb_api.log_print")
	}
	for key, want := range map[string]int{
		"fluentbit_tracelink_records_total{name=tracelink.0,result=linked}":  recordsA,
		"fluentbit_tracelink_records_total{name=dd_out,result=linked}":       recordsB,
		"fluentbit_tracelink_records_total{name=tracelink.0,result=invalid}": 0,
		"fluentbit_tracelink_panics_total{name=dd_out}":                      0,
	} {
		if got, ok := res.metrics[key]; !ok || got != float64(want) {
			t.Errorf("metric %s = %v (present %v), want %d; all: %v", key, got, ok, want, res.metrics)
		}
	}
}

// checkAppends decodes what flb_input_log_append_records received (the harness's -A file:
// one [tag, records, bin] array per call) and checks it is want: each tag once, its
// records once each, linked, group markers kept.
func checkAppends(t *testing.T, path string, want map[string]int, res results) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if res.appends != len(want) {
		t.Errorf("%d appends, want %d", res.appends, len(want))
	}
	seen := map[string]bool{}
	for len(b) > 0 {
		var n uint32
		var tag string
		var buf []byte
		if n, b, err = msgp.ReadArrayHeaderBytes(b); err != nil || n != 3 {
			t.Fatalf("appends file: %v (array of %d)", err, n)
		}
		if tag, b, err = msgp.ReadStringBytes(b); err != nil {
			t.Fatalf("appends file: tag: %v", err)
		}
		var count int
		if count, b, err = msgp.ReadIntBytes(b); err != nil {
			t.Fatalf("appends file: count: %v", err)
		}
		if buf, b, err = msgp.ReadBytesZC(b); err != nil {
			t.Fatalf("appends file: events: %v", err)
		}
		records, ok := want[tag]
		if !ok || seen[tag] {
			t.Errorf("unexpected or repeated append tagged %q", tag)
			continue
		}
		seen[tag] = true
		events, groups := checkEvents(t, "in process "+tag, buf, records, stackdriverLinked)
		if count != events {
			t.Errorf("append %q: records argument %d, but the buffer holds %d events", tag, count, events)
		}
		if strings.HasSuffix(tag, ".v2") && groups != 2 {
			t.Errorf("append %q carries %d group markers, want 2", tag, groups)
		}
	}
	for tag := range want {
		if !seen[tag] {
			t.Errorf("no append tagged %q", tag)
		}
	}
}

// checkEvents walks events (one chunk or several Forward entries joined), checking every
// record is linked and that there are want distinct records, each once. It returns the
// number of events and of group markers.
func checkEvents(t *testing.T, name string, events []byte, want int, linked func(map[string]any, int) error) (n, groups int) {
	t.Helper()
	w := chunk.NewWalker(events)
	var ev chunk.Event
	seqs := map[int]int{}
	for w.Next(&ev) {
		n++
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
			t.Errorf("%s: record %d not linked: %v", name, seq, err)
		}
	}
	if w.Err() != nil {
		t.Fatalf("%s: events do not walk: %v", name, w.Err())
	}
	if len(seqs) != want {
		t.Errorf("%s: %d distinct records, want %d", name, len(seqs), want)
	}
	for seq, c := range seqs {
		if c != 1 {
			t.Errorf("%s: record %d arrived %d times", name, seq, c)
		}
	}
	return n, groups
}

// checkReceiver checks that every message srv got is one of want's tags, once, acked, with
// every record once and linked.
func checkReceiver(t *testing.T, name string, srv *forwardtest.Server, want map[string]int, linked func(map[string]any, int) error) {
	t.Helper()
	seenTags := map[string]bool{}
	for _, m := range srv.Messages() {
		records, ok := want[m.Tag]
		if !ok || seenTags[m.Tag] {
			t.Errorf("%s: unexpected or repeated message tagged %q", name, m.Tag)
			continue
		}
		seenTags[m.Tag] = true
		if !m.Acked {
			t.Errorf("%s: message %q was not acked", name, m.Tag)
		}
		_, groups := checkEvents(t, name+" "+m.Tag, bytes.Join(m.Entries, nil), records, linked)
		if strings.HasSuffix(m.Tag, ".v2") && groups != 2 {
			t.Errorf("%s: %s carries %d group markers, want 2", name, m.Tag, groups)
		}
	}
	for tag := range want {
		if !seenTags[tag] {
			t.Errorf("%s: no message tagged %q", name, tag)
		}
	}
}

// TestHostRefused: a host older than internal/host's supported range is refused at init,
// with internal/host's reason, before anything of the host is touched.
func TestHostRefused(t *testing.T) {
	so, harness := build(t)
	v := host.Version{Major: 2, Minor: 2, Patch: 3}
	caps := host.For(v, true)
	if caps.Refuse == "" {
		t.Fatalf("internal/host no longer refuses %s: pick an older version", v)
	}
	dir := t.TempDir()
	results := filepath.Join(dir, "results")
	stderr := runHarness(t, harness, nil, "", "initfail", so, "-V", "2.2.3", "-D", "40", "-R", results,
		"Format=datadog", "Unix_Path="+filepath.Join(dir, "fwd.sock"))
	if !strings.Contains(stderr, caps.Refuse) || !strings.Contains(stderr, "FLBPluginInit failed as expected") {
		t.Errorf("stderr lacks the refusal %q:\n%s", caps.Refuse, stderr)
	}
	res := readResults(t, results)
	if res.counters != 0 || res.appends != 0 {
		t.Errorf("a refused host was touched: %+v", res)
	}
}

// TestGuardPage shows the 40-byte layout's guard works: told it runs in v5.1.1 (config map)
// while the harness plays v5.1.0's 40-byte proxy definition, the plugin writes config_map at
// offset 40, exactly the heap overflow of issue 22, and the harness reports it.
func TestGuardPage(t *testing.T) {
	so, harness := build(t)
	cmd := exec.Command(harness, "initfail", so, "-V", "5.1.1", "-D", "40", "Format=bogus")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(string(out), "the plugin wrote past the host's allocation") {
		t.Errorf("want exit 3 and the guard page's report, got %v:\n%s", err, out)
	}
}

// TestWorkersWithHotReloadRefused: the plugin reads Fluent Bit's configuration file from
// its command line (/proc/self/cmdline, here the harness's -c) and refuses Workers on a
// tracelink output of a pipeline with hot reload on.
func TestWorkersWithHotReloadRefused(t *testing.T) {
	so, harness := build(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "fluent-bit.conf")
	sock := filepath.Join(dir, "fwd.sock")
	if err := os.WriteFile(conf, []byte(`[SERVICE]
    Hot_Reload On

[INPUT]
    Name      forward
    Unix_Path `+sock+`

[OUTPUT]
    Name      tracelink
    Match     app.*
    Format    datadog
    Unix_Path `+sock+`
    Workers   2
`), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr := runHarness(t, harness, nil, "", "initfail", so, "-V", "5.1.1", "-D", "48", "-c", conf,
		"Format=datadog", "Unix_Path="+sock, "Workers=2")
	if !strings.Contains(stderr, conf+":13: Workers on a tracelink output with hot reload on") {
		t.Errorf("stderr lacks the refusal naming %s:13:\n%s", conf, stderr)
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
			t.Parallel()
			stderr := runHarness(t, harness, nil, "", append([]string{"initfail", so, "-V", "5.1.1", "-D", "48"}, tt.args...)...)
			if !strings.Contains(stderr, "[error] [output:tracelink:tracelink.0] configuration error: ") || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks the configuration error %q:\n%s", tt.want, stderr)
			}
			if !strings.Contains(stderr, "FLBPluginInit failed as expected") {
				t.Errorf("stderr:\n%s", stderr)
			}
		})
	}
}
