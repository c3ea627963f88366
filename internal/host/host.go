// Package host decides what tracelink may do inside the Fluent Bit that loaded it.
//
// A Go plugin shares memory with its host: it fills Fluent Bit's proxy definition, reads its
// API table and calls functions with its structs. Those layouts change between versions
// without any exported symbol changing (v5.1.0 and v5.1.1 export the same functions, yet only
// v5.1.1's proxy definition has a config_map member), so nothing here is decided from symbol
// probes: each capability comes from the host's exact version, looked up in a table of the
// versions whose layouts were read from Fluent Bit's source and run in CI. Outside that table
// the plugin touches only what fluent-bit-go itself touches (the proxy definition's first
// members, the property getter) and says so once at start.
package host

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Fluent Bit release number.
type Version struct{ Major, Minor, Patch int }

// String returns "v5.1.1".
func (v Version) String() string { return fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// ParseVersion reads a version from what `fluent-bit --version` prints ("Fluent Bit v5.1.1"
// on its first line) or from a bare "5.1.1" / "v5.1.1". Suffixes after the patch number
// ("5.1.1-rc1", "5.1.1+build") are refused: such a build is not the tagged release.
func ParseVersion(s string) (Version, error) {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "Fluent Bit ")
	line = strings.TrimPrefix(line, "v")
	parts := strings.Split(line, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("host version %q: want MAJOR.MINOR.PATCH", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || p == "" || (len(p) > 1 && p[0] == '0') {
			return Version{}, fmt.Errorf("host version %q: %q is not a release number", s, p)
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, nil
}

// The version table. Each bound was read from Fluent Bit's source at that tag and is run in
// CI against a build of it (the version matrix, .ci/run).
var (
	// minSupported is the oldest host tracelink starts in. v2.2's forward input
	// acknowledges chunks it failed to append (a paused input loses them) and its Go proxy
	// drops flushes during a hot reload; v3.0 fixed both.
	minSupported = Version{3, 0, 0}
	// maxVerified is the newest host whose layouts (struct flb_plugin_proxy_def,
	// flb_api's first seven members, flb_lib_ctx, flb_input_log_append_records and the
	// flb_input_* getters, cmt_counter_*) were checked. From v2.2.3 to v5.1.1 all of them are
	// identical except the proxy definition's config_map member.
	maxVerified = Version{5, 1, 1}
	// configMapSince is the first host whose struct flb_plugin_proxy_def has config_map
	// (Fluent Bit commit 09936af4c). Up to v5.1.0 the struct is 40 bytes and a write at
	// offset 40 corrupts the heap.
	configMapSince = Version{5, 1, 1}
	// inProcessSince is the oldest host where appending to the forward input in process
	// loses nothing across a hot reload (the version matrix: v3.2.10 lost 84-386 of 6,000
	// lines over three reloads, the socket none; v4.0.14 and later none). Older supported
	// hosts get the socket.
	inProcessSince = Version{4, 0, 14}
	// otlpFlagsSince is the first host whose opentelemetry output reads a LogRecord's
	// flags from the otlp.trace_flags metadata (earlier ones read only $TraceFlags).
	otlpFlagsSince = Version{5, 0, 5}
)

// Caps is what the plugin may do in one host.
type Caps struct {
	// Version is the host's version; Known is false when it could not be read.
	Version Version
	Known   bool
	// Verified reports whether Version is in the table (minSupported to maxVerified).
	Verified bool
	// Refuse, when not empty, is why tracelink must not start in this host.
	Refuse string
	// ConfigMap: the proxy definition has the config_map member; tracelink registers its
	// properties there (Fluent Bit then refuses unknown ones and documents them under -h).
	ConfigMap bool
	// HostAPI: the proxy API table (flb_api) and the exported flb_*/cmt_* functions have
	// the verified layouts: Fluent Bit's logger and metrics may be used.
	HostAPI bool
	// InProcess: records may be appended to the forward input in process (a HostAPI host
	// where that was shown to lose nothing across hot reloads).
	InProcess bool
	// LegacyOTLPFlags: the opentelemetry output reads flags only from the $TraceFlags
	// metadata key, which Format otel must then write too.
	LegacyOTLPFlags bool
}

// For returns the capabilities of a host of version v; known is false when the version
// could not be read (why says why), and the host then gets the safe path.
func For(v Version, known bool) Caps {
	c := Caps{Version: v, Known: known}
	if !known {
		c.LegacyOTLPFlags = true // either key costs nothing; write both
		return c
	}
	if v.Less(minSupported) {
		c.Refuse = fmt.Sprintf("Fluent Bit %s is older than %s: its forward input acknowledges records it failed to store and its Go proxy drops flushes during a hot reload, so tracelink would lose records; upgrade Fluent Bit", v, minSupported)
		return c
	}
	c.Verified = !maxVerified.Less(v)
	c.HostAPI = c.Verified
	c.InProcess = c.Verified && !v.Less(inProcessSince)
	c.ConfigMap = c.Verified && !v.Less(configMapSince)
	c.LegacyOTLPFlags = v.Less(otlpFlagsSince)
	return c
}

// Summary is the start line's description of the host: what tracelink uses in it, and why
// not the rest.
func (c Caps) Summary() string {
	switch {
	case !c.Known:
		return "Fluent Bit version unknown: tracelink uses only the Go proxy's own interface (no config map, no in-process delivery, no Fluent Bit metrics, its own log lines)"
	case c.Refuse != "":
		return c.Refuse
	case !c.Verified:
		return fmt.Sprintf("Fluent Bit %s is newer than %s, the newest host tracelink was verified in: it uses only the Go proxy's own interface (no config map, no in-process delivery, no Fluent Bit metrics, its own log lines)", c.Version, maxVerified)
	}
	s := fmt.Sprintf("Fluent Bit %s (verified): metrics", c.Version)
	if c.InProcess {
		s += ", in-process delivery"
	}
	if c.ConfigMap {
		s += ", config map"
	} else {
		s += fmt.Sprintf("; no config map (its proxy definition has none before %s)", configMapSince)
	}
	if !c.InProcess {
		s += fmt.Sprintf("; no in-process delivery (before %s it loses records across hot reloads): records go through the forward input's socket", inProcessSince)
	}
	if c.LegacyOTLPFlags {
		s += "; Format otel also writes $TraceFlags (its opentelemetry output reads flags only there)"
	}
	return s
}
