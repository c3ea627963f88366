// Package fbtest runs a real Fluent Bit with the tracelink plugin loaded, for integration
// tests and benchmarks: it finds the binary, builds the plugin once, starts Fluent Bit on
// a config the caller writes, and drives its lifecycle (stop, kill, hot reload) while
// collecting its log.
//
// Fluent Bit is found through FLUENT_BIT_BIN, else `fluent-bit` on PATH; Binary says why
// there is none, and Require skips the test with that reason. The plugin is
// TRACELINK_SO when set (make test sets it to the .so it just built), else built once per
// process with `go build -buildmode=c-shared` into a temporary directory.
package fbtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary returns the Fluent Bit executable to run, or an error saying why there is none.
func Binary() (string, error) {
	if p := os.Getenv("FLUENT_BIT_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("FLUENT_BIT_BIN=%s: %w", p, err)
		}
		if fi, err := os.Stat(abs); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("FLUENT_BIT_BIN=%s is not an executable file", p)
		}
		return abs, nil
	}
	p, err := exec.LookPath("fluent-bit")
	if err != nil {
		return "", errors.New("no Fluent Bit: FLUENT_BIT_BIN is unset and fluent-bit is not on PATH")
	}
	return p, nil
}

// Require returns the Fluent Bit binary, or skips tb saying why there is none.
func Require(tb testing.TB) string {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		tb.Skipf("skipping the real-host test: %v (CI sets FLUENT_BIT_BIN=../shared/fluent-bit/bin/fluent-bit)", err)
	}
	return bin
}

var plugin struct {
	once sync.Once
	path string
	err  error
}

// Plugin returns the path of the tracelink .so: TRACELINK_SO, or one built once per
// process from this module's plugin package.
func Plugin(tb testing.TB) string {
	tb.Helper()
	plugin.once.Do(func() {
		if p := os.Getenv("TRACELINK_SO"); p != "" {
			plugin.path, plugin.err = filepath.Abs(p)
			return
		}
		dir, err := os.MkdirTemp("", "tracelink-so-")
		if err != nil {
			plugin.err = err
			return
		}
		plugin.path, plugin.err = BuildPlugin(dir)
	})
	if plugin.err != nil {
		tb.Fatal(plugin.err)
	}
	return plugin.path
}

// Process is one running Fluent Bit.
type Process struct {
	tb      testing.TB
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	// What Restart starts again.
	bin, so, conf string
	env           []string
}

// BuildPlugin builds the tracelink plugin from this module's plugin package into dir,
// with the given build tags, and returns the .so's path.
func BuildPlugin(dir string, tags ...string) (string, error) {
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(self), "..", "..")
	so := filepath.Join(dir, "out_tracelink.so")
	args := []string{"build", "-buildmode=c-shared", "-o", so}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command("go", append(args, "./plugin")...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the plugin (tags %v): %w\n%s", tags, err, out)
	}
	return so, nil
}

// Options adjust Start.
type Options struct {
	// Env is added to the environment (KEY=VALUE).
	Env []string
	// Args are extra command-line arguments.
	Args []string
	// NoWait skips waiting for the engine to start (for configs expected to fail).
	NoWait bool
	// NoPlugin runs Fluent Bit without loading the plugin (-e): a native pipeline as its
	// users run it, with no Go runtime in the process (benchmarks compare against it).
	NoPlugin bool
	// Plugin, when set, is the .so loaded instead of Plugin's.
	Plugin string
}

// Start writes nothing: it runs bin with the plugin on the config file conf, logging to
// conf's directory, and waits until the engine started (or fails tb). t.Cleanup kills it
// if it still runs.
func Start(tb testing.TB, conf string, opts Options) *Process {
	tb.Helper()
	bin := Require(tb)
	p := &Process{tb: tb, bin: bin, conf: conf, env: opts.Env}
	switch {
	case opts.Plugin != "":
		p.so = opts.Plugin
	case !opts.NoPlugin:
		p.so = Plugin(tb)
	}
	p.start(opts)
	tb.Cleanup(func() { p.Kill() })
	return p
}

func (p *Process) start(opts Options) {
	p.tb.Helper()
	n := 0
	for {
		p.logPath = filepath.Join(filepath.Dir(p.conf), fmt.Sprintf("fluent-bit.%d.log", n))
		if _, err := os.Stat(p.logPath); errors.Is(err, os.ErrNotExist) {
			break
		}
		n++
	}
	logf, err := os.Create(p.logPath)
	if err != nil {
		p.tb.Fatal(err)
	}
	var args []string
	if p.so != "" {
		args = []string{"-e", p.so}
	}
	args = append(append(args, "-c", p.conf), opts.Args...)
	p.cmd = exec.Command(p.bin, args...)
	p.cmd.Dir = filepath.Dir(p.conf)
	p.cmd.Env = append(os.Environ(), p.env...)
	p.cmd.Stdout = logf
	p.cmd.Stderr = logf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		_ = logf.Close()
		p.tb.Fatalf("starting %s: %v", p.bin, err)
	}
	p.done = make(chan struct{})
	go func() {
		_ = p.cmd.Wait() // its status is in cmd.ProcessState
		_ = logf.Close()
		close(p.done)
	}()
	if opts.NoWait {
		return
	}
	if !p.WaitLog(startedLine, 20*time.Second) {
		p.Kill()
		p.tb.Fatalf("Fluent Bit did not start within 20s; its log:\n%s", p.Log())
	}
}

// Restart starts the same config again after the process ended, logging to a new file.
func (p *Process) Restart() {
	p.tb.Helper()
	if !p.Exited() {
		p.tb.Fatal("Restart while Fluent Bit still runs")
	}
	p.start(Options{})
}

// Log returns what this run of Fluent Bit printed so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// WaitLog waits until the log contains s, or the process exits, or d passes.
func (p *Process) WaitLog(s string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if strings.Contains(p.Log(), s) {
			return true
		}
		if time.Now().After(deadline) || p.Exited() {
			return strings.Contains(p.Log(), s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CountLog counts the lines of the log that contain s.
func (p *Process) CountLog(s string) int {
	n := 0
	for _, l := range strings.Split(p.Log(), "\n") {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// Exited reports whether the process ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
}

// Stop sends SIGTERM and waits up to d for the process to end; it fails tb (and kills
// the process) if it does not.
func (p *Process) Stop(d time.Duration) {
	p.tb.Helper()
	p.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(d):
		p.Kill()
		p.tb.Fatalf("Fluent Bit did not stop within %v of SIGTERM; its log:\n%s", d, p.Log())
	}
}

// Kill ends the process with SIGKILL and waits for it.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Wait waits up to d for the process to end by itself and reports whether it did.
func (p *Process) Wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// RSS returns the process's resident memory in bytes (Linux /proc).
func (p *Process) RSS() (int64, error) { return p.status("VmRSS") }

// PeakRSS is the process's peak resident memory so far (VmHWM), while it runs. The peak
// that wait4 reports once it ended is no use: Go starts processes with vfork, and Linux
// carries the parent's peak over exec, so it is at least the test binary's own.
func (p *Process) PeakRSS() (int64, error) { return p.status("VmHWM") }

// status reads a memory field (kB) of the running process's /proc status.
func (p *Process) status(field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc status", field)
}

// Usage returns the CPU time (user and system) of the process and the processes it
// waited for, once it ended.
func (p *Process) Usage() time.Duration {
	<-p.done
	st := p.cmd.ProcessState
	return st.UserTime() + st.SystemTime()
}

// ReloadHTTP asks for a hot reload through the HTTP server's POST /api/v2/reload.
func ReloadHTTP(ctx context.Context, port int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/api/v2/reload", port), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST /api/v2/reload: %s", resp.Status)
	}
	return nil
}
