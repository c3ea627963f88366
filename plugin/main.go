// Command plugin is the tracelink Fluent Bit output plugin: a thin cgo shim over
// internal/output, built with
//
//	go build -buildmode=c-shared -o build/out_tracelink.so ./plugin
//
// and loaded with `fluent-bit -e build/out_tracelink.so` (or a [PLUGINS] file). It
// registers the Go proxy output `tracelink`, with its config map, and ties each instance
// to Fluent Bit's logger and metrics (host.go) and, in process, to its forward input
// (inprocess.go). Every exported function recovers from
// panics, because a Go panic escaping into Fluent Bit kills the process.
//
// Flush data: FLBPluginFlushCtx wraps Fluent Bit's chunk buffer in a Go slice without
// copying (unsafe.Slice). Nothing retains that slice past the call: internal/output
// only reads it and rewrites into its own pooled buffers; the forward input (in process)
// and the spool copy what they keep (a chunk passed on unchanged included). The tag is copied (C.GoString).
package main

/*
#include <stdlib.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/tracelink/tracelink/internal/fbconf"
	"github.com/tracelink/tracelink/internal/host"
	tlout "github.com/tracelink/tracelink/internal/output"
	"github.com/tracelink/tracelink/internal/version"
)

// pluginName is the output name used in [OUTPUT] Name.
const pluginName = "tracelink"

const pluginDescription = "Link logs to traces: rewrite records for Cloud Logging, Datadog or OpenTelemetry and send them back through forward"

// reg is the plugin's one piece of process state: a c-shared plugin has no other place to
// keep its instances between calls from Fluent Bit.
var reg = newRegistry(os.Stderr, os.Stdout)

func main() {} // required by -buildmode=c-shared

// FLBPluginRegister registers the output with Fluent Bit: type output (2), Go proxy (11).
//
//export FLBPluginRegister
func FLBPluginRegister(def unsafe.Pointer) (code C.int) {
	defer reg.recoverTo("FLBPluginRegister", &code, -1)
	if ret := output.FLBPluginRegister(def, pluginName, pluginDescription); ret != 0 {
		return C.int(ret)
	}
	registerConfigMap(def) // where the host has the member: it validates and documents the properties
	return 0
}

// FLBPluginUnregister frees the name and description FLBPluginRegister allocated.
//
//export FLBPluginUnregister
func FLBPluginUnregister(def unsafe.Pointer) {
	var ignored C.int
	defer reg.recoverTo("FLBPluginUnregister", &ignored, 0)
	output.FLBPluginUnregister(def)
	freeConfigMap(def)
}

// FLBPluginInit starts one instance. A bad configuration is logged and returns
// FLB_ERROR, which makes Fluent Bit refuse to start.
//
//export FLBPluginInit
func FLBPluginInit(plugin unsafe.Pointer) (code C.int) {
	defer reg.recoverTo("FLBPluginInit", &code, output.FLB_ERROR)
	caps := hostCaps()
	pipe, pipeErr := hostPipeline() // read once per start: a hot reload re-reads the file
	if err := hostAllows(caps, pipe, startLogger(plugin, caps, "")); err != nil {
		startLogger(plugin, caps, "").Logf(tlout.LevelError, "%v", err)
		return output.FLB_ERROR
	}
	get := func(key string) string { return output.FLBPluginConfigKey(plugin, key) }
	handle, err := reg.add(get, hostOptions(plugin, caps, pipe, pipeErr))
	if err != nil {
		return output.FLB_ERROR // internal/output logged why
	}
	output.FLBPluginSetContext(plugin, handle)
	if pipe != nil {
		logRouting(pipe, handle, startLogger(plugin, caps, fmt.Sprintf("%s.%d", pluginName, handle)))
	}
	return output.FLB_OK
}

// logRouting logs, at start, what the routing check of `tracelink check` finds for the
// instance (its records coming back to no output, or to one that also gets the raw tags),
// where the configuration file can be read: those mistakes lose or double every record
// without any other error. The instance started handle-th is the handle-th tracelink
// output of the file, as Fluent Bit starts them in file order.
func logRouting(pipe *host.Pipeline, handle int, log tlout.Logger) {
	findings, _ := pipe.Routing(handle)
	for _, f := range findings {
		level := tlout.LevelWarn
		if f.Severity == fbconf.Error {
			level = tlout.LevelError
		}
		log.Logf(level, "%s", f)
	}
}

// FLBPluginFlushCtx processes and delivers one chunk for the instance ctx belongs to.
//
//export FLBPluginFlushCtx
func FLBPluginFlushCtx(ctx, data unsafe.Pointer, length C.int, tag *C.char) (code C.int) {
	defer reg.recoverTo("FLBPluginFlushCtx", &code, output.FLB_RETRY)
	handle, ok := output.FLBPluginGetContext(ctx).(int)
	if !ok {
		reg.logf("error", "flush for an unknown plugin context: asking Fluent Bit to retry")
		return output.FLB_RETRY
	}
	in := reg.get(handle)
	if in == nil {
		reg.logf("error", "flush for instance handle %d, which is not running: asking Fluent Bit to retry", handle)
		return output.FLB_RETRY
	}
	return flush(in, data, length, tag)
}

// FLBPluginFlush is the flush of Fluent Bit versions without FLBPluginFlushCtx: it
// delivers to the first instance started.
//
//export FLBPluginFlush
func FLBPluginFlush(data unsafe.Pointer, length C.int, tag *C.char) (code C.int) {
	defer reg.recoverTo("FLBPluginFlush", &code, output.FLB_RETRY)
	in := reg.first()
	if in == nil {
		reg.logf("error", "flush without a running instance: asking Fluent Bit to retry")
		return output.FLB_RETRY
	}
	return flush(in, data, length, tag)
}

// hostAllows refuses to start where tracelink would lose records or take Fluent Bit down:
// a host older than the supported range, or Workers on a tracelink output of a pipeline
// that hot-reloads (the Go proxy's output workers crash Fluent Bit at the second reload).
// It logs, once per process, what the host allows. pipe is nil where the configuration
// cannot be read (a pipeline given with flags has no hot reload setting to read).
func hostAllows(caps host.Caps, pipe *host.Pipeline, log tlout.Logger) error {
	if caps.Refuse != "" {
		return errors.New(caps.Refuse)
	}
	startOnce.Do(func() { log.Logf(tlout.LevelInfo, "tracelink %s in %s", version.String(), caps.Summary()) })
	if pipe == nil {
		return nil
	}
	if at := pipe.Workers(); at != "" && pipe.HotReload() {
		return fmt.Errorf("%s: Workers on a tracelink output with hot reload on: Fluent Bit crashes (SIGSEGV) at the second reload of a Go output that has workers. Remove Workers (tracelink does not need it: without it, records go to the forward input in process), or turn hot_reload off", at)
	}
	return nil
}

// startLogger logs lines about starting an instance: through Fluent Bit's logger (its format,
// log_level and log_file) where the host's API is verified, else as the registry does. The
// lines are prefixed [output:tracelink] or, with an instance name, [output:tracelink:NAME].
func startLogger(plugin unsafe.Pointer, caps host.Caps, name string) tlout.Logger {
	prefix := "[output:" + pluginName + "] "
	if name != "" {
		prefix = "[output:" + pluginName + ":" + name + "] "
	}
	if caps.HostAPI {
		if l := newHostLog(plugin, prefix); l != nil {
			return l
		}
	}
	return regLog(prefix)
}

// regLog logs through the registry's writer (Fluent Bit's stderr), with a prefix.
type regLog string

// Logf implements tlout.Logger.
func (p regLog) Logf(level tlout.Level, format string, args ...any) {
	name := "info"
	switch level {
	case tlout.LevelError:
		name = "error"
	case tlout.LevelWarn:
		name = "warn"
	case tlout.LevelDebug:
		name = "debug"
	}
	reg.write(name, string(p)+fmt.Sprintf(format, args...))
}

// startOnce guards the line that says what the host allows.
var startOnce sync.Once

func flush(in *tlout.Instance, data unsafe.Pointer, length C.int, tag *C.char) C.int {
	if length < 0 || (data == nil && length > 0) {
		reg.logf("error", "flush with an invalid buffer (length %d): asking Fluent Bit to retry", int(length))
		return output.FLB_RETRY
	}
	var chunk []byte
	if length > 0 {
		chunk = unsafe.Slice((*byte)(data), int(length)) // borrowed for this call only
	}
	return C.int(in.Flush(C.GoString(tag), chunk))
}

// FLBPluginExitCtx stops the instance ctx belongs to.
//
//export FLBPluginExitCtx
func FLBPluginExitCtx(ctx unsafe.Pointer) (code C.int) {
	defer reg.recoverTo("FLBPluginExitCtx", &code, output.FLB_ERROR)
	handle, ok := output.FLBPluginGetContext(ctx).(int)
	if !ok {
		return output.FLB_OK
	}
	reg.remove(handle)
	return output.FLB_OK
}

// FLBPluginExit stops every instance (Fluent Bit versions without FLBPluginExitCtx).
//
//export FLBPluginExit
func FLBPluginExit() (code C.int) {
	defer reg.recoverTo("FLBPluginExit", &code, output.FLB_ERROR)
	reg.removeAll()
	return output.FLB_OK
}

// registry holds the running instances by integer handle, in init order.
type registry struct {
	logw   *tlout.SyncWriter // Fluent Bit writes its own log to stderr
	stdout *tlout.SyncWriter // shared by Emit stdout instances so their lines never interleave

	mu        sync.RWMutex
	instances map[int]*tlout.Instance
	started   int // instances started since the registry was last empty: names tracelink.0, tracelink.1, ...
}

func newRegistry(logw, stdout io.Writer) *registry {
	return &registry{
		logw:      &tlout.SyncWriter{W: logw},
		stdout:    &tlout.SyncWriter{W: stdout},
		instances: make(map[int]*tlout.Instance),
	}
}

// add starts an instance named after its init order and returns its handle; host, when
// not nil, gives the options that tie the instance to its host (logger, metrics).
func (r *registry) add(get func(string) string, host func(name string) []tlout.Option) (int, error) {
	r.mu.Lock()
	handle := r.started
	r.started++
	r.mu.Unlock()
	name := fmt.Sprintf("%s.%d", pluginName, handle)
	opts := []tlout.Option{tlout.WithStdout(r.stdout)}
	if host != nil {
		opts = append(opts, host(name)...)
	}
	in, err := tlout.New(name, get, r.logw, opts...)
	if err != nil {
		return 0, err
	}
	r.mu.Lock()
	r.instances[handle] = in
	r.mu.Unlock()
	return handle, nil
}

func (r *registry) get(handle int) *tlout.Instance {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.instances[handle]
}

// first returns the running instance with the lowest handle.
func (r *registry) first() *tlout.Instance {
	r.mu.RLock()
	defer r.mu.RUnlock()
	best := -1
	for h := range r.instances {
		if best < 0 || h < best {
			best = h
		}
	}
	return r.instances[best]
}

func (r *registry) remove(handle int) {
	r.mu.Lock()
	in := r.instances[handle]
	delete(r.instances, handle)
	if len(r.instances) == 0 {
		r.started = 0 // a hot reload starts its instances at tracelink.0 again, like Fluent Bit
	}
	r.mu.Unlock()
	if in != nil {
		if err := in.Close(); err != nil {
			r.logf("error", "%v", err)
		}
	}
}

func (r *registry) removeAll() {
	r.mu.Lock()
	all := r.instances
	r.instances = make(map[int]*tlout.Instance)
	r.started = 0
	r.mu.Unlock()
	for _, in := range all {
		if err := in.Close(); err != nil {
			r.logf("error", "%v", err)
		}
	}
}

// logf writes a Fluent Bit style line for events outside any instance.
func (r *registry) logf(level, format string, args ...any) {
	r.write(level, "[output:"+pluginName+"] "+fmt.Sprintf(format, args...))
}

// write writes msg as a Fluent Bit style line at level (error, warn, info, debug).
func (r *registry) write(level, msg string) {
	line := fmt.Sprintf("[%s] [%5s] %s\n", time.Now().Format("2006/01/02 15:04:05"), level, msg)
	_, _ = r.logw.Write([]byte(line))
}

// recoverTo turns a panic in an exported function into a logged error and a safe return code.
func (r *registry) recoverTo(fn string, code *C.int, safe C.int) {
	if p := recover(); p != nil {
		r.logf("error", "panic in %s (returning %d): %v\n%s", fn, int(safe), p, debug.Stack())
		*code = safe
	}
}
