package output

import (
	"path/filepath"
	"strings"
)

// Appender puts rewritten events straight into an input of the Fluent Bit this plugin
// runs in, instead of sending them to that input over its socket: the forward input's
// work (reading the socket, unpacking the message, counting its records) and the spool
// are skipped, and the events are in the input's chunk when Append returns.
type Appender interface {
	// Append hands count events (Fluent Bit's event encoding, one after another) under
	// tag to the input, which copies them. It reports false when it cannot run where it
	// was called (a flush on an output worker thread, while the input belongs to the
	// engine thread): the caller then spools the events for the socket. An error means
	// the input refused them (paused at its buffer limit): the chunk is retried.
	Append(tag string, count int, events []byte) (bool, error)
	// String names the input, for log lines.
	String() string
}

// WithInProcess gives New the host's inputs: find returns the input listening on the
// unix socket path that Unix_Path names, or nil and why not. It is asked once, at start,
// when In_Process is on (the default) and Unix_Path is set.
func WithInProcess(find func(unixPath string) (Appender, string)) Option {
	return func(o *options) { o.findInput = find }
}

// HostInput is what the plugin reads of one input instance of the running Fluent Bit.
type HostInput struct {
	// Name is Fluent Bit's name for the instance: its alias, or plugin.N (forward.0).
	Name string
	// UnixPath is its unix_path property ("" when unset).
	UnixPath string
	// TagPrefix is its tag_prefix property ("" when unset).
	TagPrefix string
}

// Tag is the tag the input gives events that arrive tagged tag: in_forward prepends its
// tag_prefix.
func (h HostInput) Tag(tag string) string { return h.TagPrefix + tag }

// FindForwardInput returns the index of the input that a forward connection to the unix
// socket unixPath reaches, or -1. Only one input can listen on a path; an input named
// after another plugin (tail.0, http.1) is never it, one with an alias may be.
func FindForwardInput(unixPath string, inputs []HostInput) int {
	if unixPath == "" {
		return -1
	}
	want := filepath.Clean(unixPath)
	for i, in := range inputs {
		if in.UnixPath == "" || filepath.Clean(in.UnixPath) != want {
			continue
		}
		if plugin, n, numbered := strings.Cut(in.Name, "."); numbered && plugin != "forward" && n != "" && strings.Trim(n, "0123456789") == "" {
			continue
		}
		return i
	}
	return -1
}

// appendDirect puts a rewritten chunk (tagged outTag) into the forward input in process. It reports
// false when it did not: the flush runs where it cannot (an output worker thread), or the
// input refused the events (paused at its buffer limit). The caller then spools them for
// the socket, whose senders deliver once the input reads again: a refusal is backpressure,
// not a reason for Fluent Bit to retry the chunk (and drop it after Retry_Limit).
func (in *Instance) appendDirect(outTag string, entries []byte, count int, fc *flushCounts) bool {
	ok, err := in.direct.Append(outTag, count, entries)
	switch {
	case !ok:
		if !in.workerNoted.Swap(true) {
			in.log.Logf(LevelInfo, "flushes run on output worker threads (Workers): records go to input %s through its socket, not in process", in.direct)
		}
		return false
	case err != nil:
		in.count(Stats{Refused: 1})
		if in.logEvery(&in.lastBusyLog, warnEvery) {
			in.log.Logf(LevelInfo, "%v; spooled for its socket instead (%d chunks so far)", err, in.counters.refused.Load())
		}
		return false
	}
	d := fc.delta()
	d.Acked = uint64(count)
	in.count(d)
	return true
}
