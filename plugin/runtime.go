package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"time"
)

// The Go runtime's settings inside Fluent Bit. The plugin's Go code is a guest in a C
// process whose memory and CPU Fluent Bit's own configuration bounds (Mem_Buf_Limit,
// storage limits, a container's limits), so the runtime is kept small unless the user asks
// otherwise: each setting applies only where its environment variable (GOGC, GOMAXPROCS)
// is unset, and the variable, read by the runtime itself at start, wins.
//
//   - GOMAXPROCS at most runtimeMaxProcs: flushes run on Fluent Bit's threads (the engine
//     thread, or its output workers), each holding one P while in Go; more Ps only let the
//     garbage collector's idle workers and spinning threads take CPU from Fluent Bit.
//   - GOGC runtimeGCPercent: the heap is mostly the long-lived flush buffers, so a lower
//     percentage bounds the garbage between collections at little CPU.
//
// GOMEMLIMIT is left unset: what the heap legitimately holds is the configuration's to say
// (Spool_Memory, 32 MiB by default, and up to four 16 MiB flush buffers per instance), and a
// soft limit below that would make the collector run without pause on Fluent Bit's threads.
const (
	runtimeMaxProcs  = 2
	runtimeGCPercent = 25
)

// TRACELINK_CPUPROFILE=path writes a CPU profile of the plugin's Go code (pprof format) to
// path, from the plugin's load for TRACELINK_CPUPROFILE_SECONDS (default 60) seconds, for
// `go tool pprof build/out_tracelink.so path`.
const (
	cpuProfileEnv        = "TRACELINK_CPUPROFILE"
	cpuProfileSecondsEnv = "TRACELINK_CPUPROFILE_SECONDS"
)

// TRACELINK_HEAPPROFILE=path writes a heap profile of the plugin's Go code (what is live at
// the last collection, and what was allocated) to path, TRACELINK_HEAPPROFILE_SECONDS
// (default 60) seconds after the plugin's load.
const (
	heapProfileEnv        = "TRACELINK_HEAPPROFILE"
	heapProfileSecondsEnv = "TRACELINK_HEAPPROFILE_SECONDS"
)

func init() {
	applyRuntimeDefaults(os.Getenv)
	startCPUProfile(os.Getenv)
	scheduleHeapProfile(os.Getenv)
}

// applyRuntimeDefaults applies the settings above where getenv says the user did not set
// their variable.
func applyRuntimeDefaults(getenv func(string) string) {
	if getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) > runtimeMaxProcs {
		runtime.GOMAXPROCS(runtimeMaxProcs)
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(runtimeGCPercent)
	}
}

// startCPUProfile starts the CPU profile TRACELINK_CPUPROFILE asks for, and stops it (which
// writes it out) after TRACELINK_CPUPROFILE_SECONDS.
func startCPUProfile(getenv func(string) string) {
	path := getenv(cpuProfileEnv)
	if path == "" {
		return
	}
	seconds := profileSeconds(getenv, cpuProfileSecondsEnv)
	f, err := os.Create(path)
	if err != nil {
		reg.logf("error", "%s: %v", cpuProfileEnv, err)
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		reg.logf("error", "%s: %v", cpuProfileEnv, err)
		_ = f.Close()
		return
	}
	reg.logf("info", "writing a CPU profile to %s for %d s", path, seconds)
	time.AfterFunc(time.Duration(seconds)*time.Second, func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			reg.logf("error", "%s: %v", cpuProfileEnv, err)
			return
		}
		reg.logf("info", "CPU profile written to %s", path)
	})
}

// profileSeconds reads a profile's length or delay from getenv(name), default 60.
func profileSeconds(getenv func(string) string, name string) int {
	if n, err := strconv.Atoi(getenv(name)); err == nil && n > 0 {
		return n
	}
	return 60
}

// scheduleHeapProfile writes the heap profile TRACELINK_HEAPPROFILE asks for after
// TRACELINK_HEAPPROFILE_SECONDS.
func scheduleHeapProfile(getenv func(string) string) {
	path := getenv(heapProfileEnv)
	if path == "" {
		return
	}
	seconds := profileSeconds(getenv, heapProfileSecondsEnv)
	reg.logf("info", "writing a heap profile to %s in %d s", path, seconds)
	time.AfterFunc(time.Duration(seconds)*time.Second, func() {
		if err := writeHeapProfile(path); err != nil {
			reg.logf("error", "%s: %v", heapProfileEnv, err)
			return
		}
		reg.logf("info", "heap profile written to %s", path)
	})
}

// writeHeapProfile writes the Go heap's profile to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = pprof.Lookup("heap").WriteTo(f, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
