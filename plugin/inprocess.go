package main

/*
#cgo LDFLAGS: -ldl
#include <stddef.h>
#include <stdlib.h>
#include <dlfcn.h>

#include "abi.h"

typedef void *(*tl_context_get_fn)(void);
typedef void *(*tl_input_get_instance_fn)(void *, int);
typedef const char *(*tl_input_name_fn)(void *);
typedef const char *(*tl_input_get_property_fn)(const char *, void *);
typedef int (*tl_input_log_append_records_fn)(void *, size_t, const char *, size_t, const void *, size_t);

static tl_context_get_fn tl_context_get_p;
static tl_input_get_instance_fn tl_input_get_instance_p;
static tl_input_name_fn tl_input_name_p;
static tl_input_get_property_fn tl_input_get_property_p;
static tl_input_log_append_records_fn tl_input_log_append_records_p;

// tl_inproc_resolve finds the functions the fluent-bit binary exports for in-process
// delivery; it reports whether all of them are there.
static int tl_inproc_resolve(void) {
	tl_context_get_p = (tl_context_get_fn) dlsym(RTLD_DEFAULT, "flb_context_get");
	tl_input_get_instance_p = (tl_input_get_instance_fn) dlsym(RTLD_DEFAULT, "flb_input_get_instance");
	tl_input_name_p = (tl_input_name_fn) dlsym(RTLD_DEFAULT, "flb_input_name");
	tl_input_get_property_p = (tl_input_get_property_fn) dlsym(RTLD_DEFAULT, "flb_input_get_property");
	tl_input_log_append_records_p = (tl_input_log_append_records_fn) dlsym(RTLD_DEFAULT, "flb_input_log_append_records");
	return tl_context_get_p && tl_input_get_instance_p && tl_input_name_p &&
		tl_input_get_property_p && tl_input_log_append_records_p;
}

// tl_engine_config is the engine's flb_config when called on the engine thread, else NULL.
static void *tl_engine_config(void) {
	struct tl_lib_ctx *c = tl_context_get_p ? tl_context_get_p() : NULL;
	return c ? c->config : NULL;
}

static void *tl_input(void *config, int id) { return tl_input_get_instance_p(config, id); }
static const char *tl_input_name(void *ins) { return tl_input_name_p(ins); }
static const char *tl_input_prop(void *ins, const char *key) { return tl_input_get_property_p(key, ins); }

static int tl_input_append(void *ins, size_t n, const char *tag, size_t tag_len, const void *buf, size_t size) {
	return tl_input_log_append_records_p(ins, n, tag, tag_len, buf, size);
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/tracelink/tracelink/internal/host"
	tlout "github.com/tracelink/tracelink/internal/output"
)

// inprocResolved looks the input functions up once per process: the C pointers it sets are
// read by flushes on other threads (hostInput.Append), so they are written once, before any
// instance uses them.
var inprocResolved = sync.OnceValue(func() bool { return C.tl_inproc_resolve() != 0 })

// maxInputIDs bounds the input instance ids searched (Fluent Bit numbers them from 0).
const maxInputIDs = 1024

// findInput returns the forward input of the running Fluent Bit that listens on
// unixPath, for in-process delivery, or nil (with the reason) where there is none or the
// host cannot be trusted with it. It must run on the engine thread (FLBPluginInit does), in
// a host whose layouts are verified (hostOptions checks).
//
// A forward input with threaded on is never appended to: it takes records through a ring
// buffer that only its own thread may write. Fluent Bit keeps that setting where the plugin
// cannot read it, so it is read from the configuration file (pipe); when that could not be
// read (pipe nil, pipeErr why), the socket is used.
func findInput(unixPath string, pipe *host.Pipeline, pipeErr error) (tlout.Appender, string) {
	if pipe == nil {
		return nil, fmt.Sprintf("cannot check whether its forward input is threaded (%v)", pipeErr)
	}
	if pipe.ThreadedForward(unixPath) != "" {
		return nil, fmt.Sprintf("the forward input on %s has threaded on (its own thread alone may append to it)", unixPath)
	}
	if !inprocResolved() {
		return nil, "this Fluent Bit does not export the input functions it needs"
	}
	config := C.tl_engine_config()
	if config == nil {
		return nil, "the instance did not start on Fluent Bit's engine thread"
	}
	key := C.CString("unix_path")
	defer C.free(unsafe.Pointer(key))
	prefixKey := C.CString("tag_prefix")
	defer C.free(unsafe.Pointer(prefixKey))
	var inputs []tlout.HostInput
	var ptrs []unsafe.Pointer
	for id := range maxInputIDs {
		ins := C.tl_input(config, C.int(id))
		if ins == nil {
			continue
		}
		in := tlout.HostInput{Name: C.GoString(C.tl_input_name(ins))}
		if p := C.tl_input_prop(ins, key); p != nil {
			in.UnixPath = C.GoString(p)
		}
		if p := C.tl_input_prop(ins, prefixKey); p != nil {
			in.TagPrefix = C.GoString(p)
		}
		inputs = append(inputs, in)
		ptrs = append(ptrs, ins)
	}
	i := tlout.FindForwardInput(unixPath, inputs)
	if i < 0 {
		return nil, fmt.Sprintf("no input of this Fluent Bit has unix_path %s", unixPath)
	}
	return &hostInput{config: config, ins: ptrs[i], in: inputs[i]}, ""
}

// hostInput appends events to one input instance of the running Fluent Bit.
type hostInput struct {
	config, ins unsafe.Pointer // the engine's flb_config and the flb_input_instance, owned by Fluent Bit
	in          tlout.HostInput
}

// Append implements tlout.Appender: on the engine thread of the configuration the input
// belongs to, it appends count events under tag (as the forward input would have named
// them) with flb_input_log_append_records, which copies them into the input's chunk.
func (h *hostInput) Append(tag string, count int, events []byte) (bool, error) {
	if C.tl_engine_config() != h.config {
		return false, nil // a worker thread (Workers): the input is not ours to touch here
	}
	if len(events) == 0 {
		return true, nil
	}
	tag = h.in.Tag(tag)
	rc := C.tl_input_append(h.ins, C.size_t(count),
		(*C.char)(unsafe.Pointer(unsafe.StringData(tag))), C.size_t(len(tag)),
		unsafe.Pointer(&events[0]), C.size_t(len(events)))
	if rc != 0 {
		return true, fmt.Errorf("input %s refused %d events (%d bytes): it is paused at its mem_buf_limit or storage limit", h.in.Name, count, len(events))
	}
	return true, nil
}

// String names the input.
func (h *hostInput) String() string { return h.in.Name }
