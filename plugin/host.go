package main

/*
#cgo LDFLAGS: -ldl
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>

#include "abi.h"

static struct tl_config_map *tl_config_map_alloc(int n) {
	return calloc((size_t) n + 1, sizeof(struct tl_config_map));
}

static void tl_config_map_set(struct tl_config_map *m, int i, int type, char *name, char *def, char *desc) {
	m[i].type = type;
	m[i].name = name;
	m[i].def_value = def;
	m[i].desc = desc;
}

// tl_def_set_config_map fills the config_map member, which only hosts with the v5.1.1
// layout have (internal/host decides).
static void tl_def_set_config_map(void *def, struct tl_config_map *m) {
	((struct tl_proxy_def_cm *) def)->config_map = m;
}

static void *tl_api(void *plugin) { return ((struct tl_output_plugin *) plugin)->api; }
static int tl_has_log(void *api) { return api && ((struct tl_api *) api)->log_print; }
static void *tl_ins(void *plugin) { return ((struct tl_output_plugin *) plugin)->o_ins; }

static void tl_log(void *api, int level, const char *msg) {
	struct tl_api *a = api;
	if (a && a->log_print) {
		a->log_print(level, NULL, 0, "%s", msg);
	}
}

static int tl_log_check(void *api, void *ins, int level) {
	struct tl_api *a = api;
	if (!a || !a->output_log_check) {
		return 1;
	}
	return a->output_log_check(ins, level);
}

// tl_cmt returns the instance's cmetrics context: through the API, or, where the host left
// that API member unset (builds without FLB_HAVE_METRICS in flb_api.c, such as v5.1.1's
// minimal build), through the exported function it would have pointed to.
static void *tl_cmt(void *api, void *ins) {
	struct tl_api *a = api;
	void *(*get)(void *) = a ? a->output_get_cmt_instance : NULL;
	if (!get) {
		get = (void *(*)(void *)) dlsym(RTLD_DEFAULT, "flb_output_get_cmt_instance");
	}
	return get ? get(ins) : NULL;
}

// tl_output_name returns Fluent Bit's name for the instance (tracelink.0, or its alias),
// as its own metrics label it, or NULL.
static const char *tl_output_name(void *ins) {
	const char *(*name)(void *) = (const char *(*)(void *)) dlsym(RTLD_DEFAULT, "flb_output_name");
	return name ? name(ins) : NULL;
}

// cmetrics, exported by the fluent-bit binary to the objects it loads.
typedef void *(*tl_counter_create_fn)(void *, char *, char *, char *, char *, int, char **);
typedef int (*tl_counter_add_fn)(void *, uint64_t, double, int, char **);

static tl_counter_create_fn tl_counter_create_p;
static tl_counter_add_fn tl_counter_add_p;

static int tl_cmt_resolve(void) {
	tl_counter_create_p = (tl_counter_create_fn) dlsym(RTLD_DEFAULT, "cmt_counter_create");
	tl_counter_add_p = (tl_counter_add_fn) dlsym(RTLD_DEFAULT, "cmt_counter_add");
	return tl_counter_create_p != NULL && tl_counter_add_p != NULL;
}

static void *tl_counter_create(void *cmt, char *ns, char *sub, char *name, char *help, int n, char **labels) {
	return tl_counter_create_p(cmt, ns, sub, name, help, n, labels);
}

static int tl_counter_add(void *counter, uint64_t ts, double v, int n, char **vals) {
	return tl_counter_add_p(counter, ts, v, n, vals);
}
*/
import "C"

import (
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/tracelink/tracelink/internal/host"
	tlout "github.com/tracelink/tracelink/internal/output"
	"github.com/tracelink/tracelink/internal/property"
	"github.com/tracelink/tracelink/parser"
)

// Fluent Bit's config map types and log levels.
const (
	flbConfigMapStr       = 0
	flbConfigMapStrPrefix = 1

	flbLogError = 1
	flbLogWarn  = 2
	flbLogInfo  = 3
	flbLogDebug = 4
)

// configMaps are the config maps registered with Fluent Bit, by proxy definition: Fluent
// Bit reads one until it unregisters that definition (a hot reload registers the new
// context's before it unregisters the old one's).
var configMaps struct {
	sync.Mutex
	byDef map[uintptr][]unsafe.Pointer // the C array first, then its strings
}

// registerConfigMap gives Fluent Bit the plugin's properties, so that it refuses an
// unknown one with its standard message and lists them all under `-o tracelink -h`.
// Only hosts whose proxy definition has the member (internal/host: v5.1.1) get one.
func registerConfigMap(def unsafe.Pointer) bool {
	if !hostCaps().ConfigMap {
		return false
	}
	props := append(parser.Properties(), property.Sink()...)
	m := C.tl_config_map_alloc(C.int(len(props) + 1))
	entries := unsafe.Slice(m, len(props)+2)
	owned := []unsafe.Pointer{unsafe.Pointer(m)}
	cstr := func(s string) *C.char {
		p := C.CString(s)
		owned = append(owned, unsafe.Pointer(p))
		return p
	}
	for i, p := range props {
		C.tl_config_map_set(&entries[0], C.int(i), flbConfigMapStr, cstr(strings.ToLower(p.Name)), cstr(p.Default), cstr(p.Doc+" Accepted: "+p.Accepted+"."))
	}
	// Grok_Pattern_1 ... Grok_Pattern_31: one prefix entry.
	C.tl_config_map_set(&entries[0], C.int(len(props)), flbConfigMapStrPrefix, cstr(strings.ToLower(strings.TrimSuffix(parser.GrokPatternProperty(1), "1"))), nil,
		cstr("Further grok patterns, tried in order after Grok_Pattern: Grok_Pattern_1 ... Grok_Pattern_31."))
	C.tl_def_set_config_map(def, m)
	configMaps.Lock()
	defer configMaps.Unlock()
	if configMaps.byDef == nil {
		configMaps.byDef = map[uintptr][]unsafe.Pointer{}
	}
	configMaps.byDef[uintptr(def)] = owned
	return true
}

// freeConfigMap releases def's config map once Fluent Bit no longer reads it.
func freeConfigMap(def unsafe.Pointer) {
	configMaps.Lock()
	owned := configMaps.byDef[uintptr(def)]
	delete(configMaps.byDef, uintptr(def))
	configMaps.Unlock()
	for _, p := range owned {
		C.free(p)
	}
}

// hostOptions returns the options that tie an instance to Fluent Bit: its logger, its
// metrics where the host exports cmetrics, and its forward input (pipe, the configuration
// Fluent Bit started with, or pipeErr, says whether that input is threaded). A host whose layouts are
// not verified (internal/host) gets none of them: the instance logs its own lines and sends
// through the socket.
func hostOptions(plugin unsafe.Pointer, caps host.Caps, pipe *host.Pipeline, pipeErr error) func(name string) []tlout.Option {
	api, ins := C.tl_api(plugin), C.tl_ins(plugin)
	return func(name string) []tlout.Option {
		var opts []tlout.Option
		if caps.LegacyOTLPFlags {
			opts = append(opts, tlout.WithLegacyOTLPFlags())
		}
		if !caps.HostAPI {
			return opts
		}
		if C.tl_has_log(api) != 0 {
			opts = append(opts, tlout.WithLogger(&hostLog{api: api, ins: ins, prefix: "[output:" + pluginName + ":" + name + "] "}))
			if C.tl_log_check(api, ins, flbLogDebug) != 0 {
				opts = append(opts, tlout.WithChunkDebug()) // Log_Level debug: why records did not link
			}
		}
		if m := newHostMetrics(api, ins, name); m != nil {
			opts = append(opts, tlout.WithMetrics(m))
		}
		if caps.InProcess {
			opts = append(opts, tlout.WithInProcess(func(unixPath string) (tlout.Appender, string) {
				return findInput(unixPath, pipe, pipeErr)
			}))
		}
		return opts
	}
}

// newHostLog returns a logger through Fluent Bit's own logger for plugin, or nil where the
// host's API has no logger. Only for hosts whose API layout is verified.
func newHostLog(plugin unsafe.Pointer, prefix string) *hostLog {
	api := C.tl_api(plugin)
	if C.tl_has_log(api) == 0 {
		return nil
	}
	return &hostLog{api: api, ins: C.tl_ins(plugin), prefix: prefix}
}

// hostLog writes an instance's log lines through Fluent Bit's own logger: its format,
// its log_level (of the instance) and its log_file apply.
type hostLog struct {
	api, ins unsafe.Pointer
	prefix   string // "[output:tracelink:tracelink.0] "
}

// Logf implements tlout.Logger.
func (h *hostLog) Logf(level tlout.Level, format string, args ...any) {
	lv := C.int(flbLogInfo)
	switch level {
	case tlout.LevelError:
		lv = flbLogError
	case tlout.LevelWarn:
		lv = flbLogWarn
	case tlout.LevelDebug:
		lv = flbLogDebug
	}
	if C.tl_log_check(h.api, h.ins, lv) == 0 {
		return
	}
	msg := C.CString(h.prefix + fmt.Sprintf(format, args...))
	defer C.free(unsafe.Pointer(msg))
	C.tl_log(h.api, lv, msg)
}

// hostMetrics counts on the instance's cmetrics context, which Fluent Bit exports (for
// example at /api/v2/metrics/prometheus) with its own output metrics.
type hostMetrics struct {
	mu       sync.Mutex // cmetrics counters are not safe for concurrent updates
	records  unsafe.Pointer
	links    unsafe.Pointer
	retries  unsafe.Pointer
	loop     unsafe.Pointer
	panics   unsafe.Pointer
	name     *C.char
	cstrings map[string]*C.char
}

var cmtOnce struct {
	sync.Once
	ok bool
}

// newHostMetrics creates tracelink's counters on the instance's cmetrics context, or
// returns nil where the host offers none.
func newHostMetrics(api, ins unsafe.Pointer, name string) *hostMetrics {
	cmtOnce.Do(func() { cmtOnce.ok = C.tl_cmt_resolve() != 0 })
	if !cmtOnce.ok {
		return nil
	}
	cmt := C.tl_cmt(api, ins)
	if cmt == nil {
		return nil
	}
	if n := C.tl_output_name(ins); n != nil {
		name = C.GoString(n) // the name Fluent Bit's own output metrics carry
	}
	m := &hostMetrics{name: C.CString(name), cstrings: map[string]*C.char{}}
	create := func(metric, help string, labels ...string) unsafe.Pointer {
		cl := make([]*C.char, len(labels))
		for i, l := range labels {
			cl[i] = m.cstr(l)
		}
		return C.tl_counter_create(cmt, m.cstr("fluentbit"), m.cstr("tracelink"), m.cstr(metric), m.cstr(help), C.int(len(cl)), &cl[0])
	}
	m.records = create("records_total", "Records tracelink handled, by result: linked, unchanged, invalid (holding a rejected id), sampled_out.", "name", "result")
	m.links = create("links_total", "Records linked to a trace, by the format the context was read from.", "name", "source")
	m.retries = create("retries_total", "Flushes tracelink asked Fluent Bit to retry (spool full or not writable), and failed sends to the forward input (each retried), by kind.", "name", "kind")
	m.loop = create("loop_drops_total", "Chunks dropped by the loop guard (their tag already starts with Tag_Prefix).", "name")
	m.panics = create("panics_total", "Chunks whose processing panicked, passed on unchanged.", "name")
	if m.records == nil || m.links == nil || m.retries == nil || m.loop == nil || m.panics == nil {
		return nil
	}
	m.zero()
	return m
}

// zero creates every series at 0 (cmt_counter_add creates a label set's series on first
// use), so that /api/v2/metrics/prometheus shows them, and rate() and alert rules see them,
// before they first move.
func (m *hostMetrics) zero() {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := C.uint64_t(time.Now().UnixNano())
	for _, r := range []string{"linked", "unchanged", "invalid", "sampled_out"} {
		m.add(m.records, ts, 0, r)
	}
	for src := parser.Source(1); src < parser.NumSources; src++ {
		m.add(m.links, ts, 0, src.String())
	}
	for _, k := range []string{"flush", "send", "in_process"} {
		m.add(m.retries, ts, 0, k)
	}
	m.add(m.loop, ts, 0)
	m.add(m.panics, ts, 0)
}

// add adds v to the series of counter with the instance's name and labels; m.mu is held.
func (m *hostMetrics) add(counter unsafe.Pointer, ts C.uint64_t, v uint64, labels ...string) {
	vals := []*C.char{m.name}
	for _, l := range labels {
		vals = append(vals, m.cstr(l))
	}
	C.tl_counter_add(counter, ts, C.double(v), C.int(len(vals)), &vals[0])
}

// cstr returns a C copy of s, kept for the process's life (metric names and label values).
func (m *hostMetrics) cstr(s string) *C.char {
	if p, ok := m.cstrings[s]; ok {
		return p
	}
	p := C.CString(s)
	m.cstrings[s] = p
	return p
}

// Add implements tlout.Metrics.
func (m *hostMetrics) Add(d tlout.Stats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := C.uint64_t(time.Now().UnixNano())
	add := func(counter unsafe.Pointer, v uint64, labels ...string) {
		if v != 0 {
			m.add(counter, ts, v, labels...)
		}
	}
	add(m.records, d.LinkedTotal(), "linked")
	add(m.records, d.Unchanged, "unchanged")
	add(m.records, d.Invalid, "invalid")
	add(m.records, d.SampledOut, "sampled_out")
	for src, n := range d.Linked {
		if parser.Source(src) != parser.SourceNone {
			add(m.links, n, parser.Source(src).String())
		}
	}
	add(m.retries, d.Retries, "flush")
	add(m.retries, d.SendRetries, "send")
	add(m.retries, d.Refused, "in_process")
	add(m.loop, d.LoopDrops)
	add(m.panics, d.Panics)
}
