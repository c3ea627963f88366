package property

import (
	"fmt"
	"regexp"
	"strings"
)

// sink are the properties of the sink (where rewritten records go), as opposed
// to the rewrite properties of the core (parser.Properties).
//
// Fluent Bit v5.1.1 keeps some property names for itself and never stores them where a
// Go plugin can read them (flb_output_set_property in src/flb_output.c): match,
// match_regex, alias, log_level, log_suppress_interval, host, port, ipv6, retry_limit,
// workers, storage.total_limit_size, tls and tls.*, net.*, oauth2*. That is why the
// receiver's address is Forward_Host / Forward_Port and not Host / Port: a Go plugin
// asking for "Host" always gets "".
var sink = []Property{
	{Name: "Emit", Default: "forward", Accepted: "forward, stdout", Doc: "Send rewritten records back into Fluent Bit's forward input (forward), or write them as JSON lines to standard output (stdout, for sidecars and debugging)."},
	{Name: "Unix_Path", Default: "(none: use Forward_Host and Forward_Port)", Accepted: "a unix socket path", Doc: "The forward input's unix_path; when set, Forward_Host and Forward_Port must not be."},
	{Name: "Forward_Host", Default: "127.0.0.1", Accepted: "a host name or IP address", Doc: "The forward input's listen address (Host is reserved by Fluent Bit and never reaches a Go plugin)."},
	{Name: "Forward_Port", Default: "24224", Accepted: "1-65535", Doc: "The forward input's TCP port (Port is reserved by Fluent Bit and never reaches a Go plugin)."},
	{Name: "In_Process", Default: "on", Accepted: BoolAccepted, Doc: "When Unix_Path names a forward input of this same Fluent Bit, put the rewritten records straight into that input, in process, instead of through its socket (the same records, tags and guarantees, at a fraction of the CPU). The socket is still used for flushes on output worker threads (Workers), for chunks the input refuses while paused at its Mem_Buf_Limit, and for batches a previous run left in the spool. off always uses the socket."},
	{Name: "Shared_Key", Default: "(none)", Accepted: "a string", Doc: "The forward input's shared_key: run the secure-forward handshake with it."},
	{Name: "Self_Hostname", Default: "the host name", Accepted: "a host name (at most 255 bytes)", Doc: "The host name sent in the secure-forward handshake."},
	{Name: "Tag_Prefix", Default: "traced.", Accepted: "a non-empty string", Doc: "Prefix added to the tag of the records sent back, so that this output's Match does not see them again."},
	{Name: "Connect_Timeout", Default: "5s", Accepted: "a duration: 10 (seconds), 10s, 500ms, 1m; above 0", Doc: "Bound on connecting to the forward input (and the handshake)."},
	{Name: "Ack_Timeout", Default: "30s", Accepted: "a duration: 10 (seconds), 10s, 500ms, 1m; above 0", Doc: "How long a sender waits for the forward input's ack of a message before it sends the batch again (a flush never waits for it)."},
	{Name: "Max_Connections", Default: "2", Accepted: "1-1024", Doc: "Senders, each with its own connection to the forward input, delivering spooled batches in parallel."},
	{Name: "Spool_Path", Default: "$TMPDIR/tracelink-spool (/tmp/tracelink-spool)", Accepted: "a directory path (created if missing)", Doc: "Where rewritten chunks that go through the socket wait for the forward input's ack, one subdirectory per instance (tracelink.0, ...). Put it on storage that outlives the process (a hostPath on Kubernetes): batches left by a restart or a hot reload are sent at the next start."},
	{Name: "Spool_Limit", Default: "256M", Accepted: "a size: 100000, 500K, 256M, 1G; at least 1M", Doc: "Bound on the spool's bytes; when it is reached, flushes ask Fluent Bit to retry (backpressure) until senders drain it."},
	{Name: "Spool_Memory", Default: "32M", Accepted: "a size: 0 (every batch to a file), 500K, 32M, 1G; at most Spool_Limit", Doc: "Batches wait in memory up to this many bytes and go to files only beyond it or when the instance stops (shutdown, hot reload); 0 writes each batch to a file before the flush returns, which also survives a crash (pair it with storage.type filesystem)."},
	{Name: "Stats_Interval", Default: "60s", Accepted: "a duration: 60 (seconds), 60s, 5m; 0 = off", Doc: "How often a summary of records, links and retries is logged."},
}

// Sink returns the sink properties (where and how rewritten records are sent), in
// documentation order. The rewrite properties are parser.Properties; an instance accepts
// both.
func Sink() []Property {
	out := make([]Property, len(sink))
	copy(out, sink)
	return out
}

// SinkError builds the error for a bad value of sink property name, naming what is accepted.
func SinkError(name, value string) error {
	for _, p := range sink {
		if p.Name == name {
			return &Error{Property: name, Value: value, Accepted: p.Accepted}
		}
	}
	return &Error{Property: name, Value: value}
}

// CheckMatch fails when Match or Match_Regex (as written in a config) would route the
// records an instance sends back (tagged tagPrefix + tag; "" is traced.) to the same
// output again: an endless loop. An instance checks its own at start; the CLI's config
// check checks a file's.
//
// Fluent Bit v5.1.1 does not let a Go plugin read Match or Match_Regex (they never reach
// the instance's property list), so inside Fluent Bit this check only sees them when a
// future version passes them on; the runtime guard in Flush is what protects a running
// pipeline. The check still runs for any getter that does return them.
func CheckMatch(match, matchRegex, tagPrefix string) error {
	match, matchRegex = strings.TrimSpace(match), strings.TrimSpace(matchRegex)
	if tagPrefix == "" {
		tagPrefix = "traced."
	}
	if match != "" && globCanMatchPrefix(match, tagPrefix) {
		return fmt.Errorf("property Match %q also matches the tags this output sends back (%s<tag>): the records would loop through tracelink forever; narrow Match or change Tag_Prefix", match, tagPrefix)
	}
	if matchRegex != "" {
		// Fluent Bit runs Match_Regex with onig_match: anchored at the start of the tag,
		// and only a non-empty match counts (src/flb_router.c).
		re, err := regexp.Compile(`^(?:` + matchRegex + `)`)
		if err != nil {
			return &Error{Property: "Match_Regex", Value: matchRegex, Accepted: "a regular expression", Err: err}
		}
		loop := func(tag string) bool {
			loc := re.FindStringIndex(tag)
			return loc != nil && loc[1] > 0
		}
		lit, _ := re.LiteralPrefix()
		example := ""
		if strings.HasPrefix(lit, tagPrefix) && len(lit) > len(tagPrefix) {
			example = lit
		}
		for _, probe := range loopProbes {
			if example == "" && loop(tagPrefix+probe) {
				example = tagPrefix + probe
			}
		}
		if example != "" {
			return fmt.Errorf("property Match_Regex %q also matches the tags this output sends back (e.g. %q): the records would loop through tracelink forever; make it exclude %s<tag> or change Tag_Prefix", matchRegex, example, tagPrefix)
		}
	}
	return nil
}

// loopProbes are tag tails tried against Match_Regex (besides its literal prefix): an exact
// decision would need automaton intersection, and the runtime guard in Flush covers the rest.
var loopProbes = []string{"", "x", "app", "app.log", "kube.var.log.containers.app_ns_c-0123.log", "tail.0", "docker.abc"}

// globCanMatchPrefix reports whether the Fluent Bit wildcard pattern (where * matches any
// run of characters, case-sensitively, as in flb_router_match) matches at least one tag that starts with prefix and has a
// non-empty rest.
func globCanMatchPrefix(pattern, prefix string) bool {
	// states[j] = pattern position j reachable after consuming a prefix of prefix.
	states := make([]bool, len(pattern)+1)
	closure := func() {
		for j := 0; j < len(pattern); j++ {
			if states[j] && pattern[j] == '*' {
				states[j+1] = true
			}
		}
	}
	states[0] = true
	closure()
	next := make([]bool, len(pattern)+1)
	for i := 0; i < len(prefix); i++ {
		clear(next)
		any := false
		for j := 0; j < len(pattern); j++ {
			if !states[j] {
				continue
			}
			switch {
			case pattern[j] == '*':
				next[j], any = true, true
			case pattern[j] == prefix[i]:
				next[j+1], any = true, true
			}
		}
		if !any {
			return false
		}
		states, next = next, states
		closure()
	}
	// Any pattern left over can be satisfied by a non-empty rest of the tag.
	for j := 0; j < len(pattern); j++ {
		if states[j] {
			return true
		}
	}
	return false
}
