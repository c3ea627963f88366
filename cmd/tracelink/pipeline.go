package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/tracelink/tracelink/internal/fbconf"
	"github.com/tracelink/tracelink/internal/host"
	"github.com/tracelink/tracelink/internal/property"
)

// checkPipeline checks what a tracelink output section needs from the rest of its
// pipeline, as far as the config file shows it: a Match that cannot loop back to the
// output, a forward input where the output sends, no Workers with hot reload (errors); a
// threaded forward input, which gets the socket instead of in-process delivery (a note). The routing of the records it hands back is fbconf.CheckRouting's.
func checkPipeline(all []fbconf.Section, sec fbconf.Section) []fbconf.Finding {
	var out []fbconf.Finding
	if emit := strings.ToLower(sec.Get("Emit")); emit == "" || emit == "forward" {
		if err := property.CheckMatch(sec.Get("Match"), sec.Get("Match_Regex"), sec.Get("Tag_Prefix")); err != nil {
			key := "Match"
			if sec.Get("Match") == "" {
				key = "Match_Regex"
			}
			out = append(out, fbconf.Finding{Severity: fbconf.Error, Pos: sec.Pos(key), Msg: err.Error()})
		}
		if pos, err := checkForwardInput(all, sec); err != nil {
			out = append(out, fbconf.Finding{Severity: fbconf.Error, Pos: pos, Msg: err.Error()})
		}
	}
	// What the plugin itself reads of the pipeline at start (internal/host), so that the
	// CLI and the plugin agree.
	pipe := host.NewPipeline(all, false)
	if sec.Get("Workers") != "" && pipe.HotReload() {
		out = append(out, fbconf.Finding{Severity: fbconf.Error, Pos: sec.Pos("Workers"), Msg: "Workers with Hot_Reload on: Fluent Bit crashes (SIGSEGV) at the second hot reload of a Go output with Workers, so the plugin refuses to start; remove Workers (tracelink does not need it: a flush never waits) or turn Hot_Reload off"})
	}
	if path := sec.Get("Unix_Path"); path != "" && !property.IsOff(sec.Get("In_Process")) {
		if pos := pipe.ThreadedForward(path); pos != "" {
			out = append(out, fbconf.Finding{Severity: fbconf.Note, Pos: pos, Msg: fmt.Sprintf("the forward input on %s has threaded on: tracelink sends to it through its socket, not in process (only the input's own thread may append to it), at about twice the CPU per record", path)})
		}
	}
	return out
}

// checkForwardInput fails when no forward input listens where the section sends; pos
// locates the problem.
func checkForwardInput(all []fbconf.Section, sec fbconf.Section) (pos string, err error) {
	path := sec.Get("Unix_Path")
	host, port := sec.Get("Forward_Host"), sec.Get("Forward_Port")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "24224"
	}
	var inputs []string
	for _, s := range all {
		if s.Kind != "INPUT" || !strings.EqualFold(s.Get("Name"), "forward") {
			continue
		}
		inPath := s.Get("Unix_Path")
		inPort := s.Get("Port")
		if inPort == "" {
			inPort = "24224"
		}
		inListen := s.Get("Listen")
		if inPath != "" {
			inputs = append(inputs, "unix:"+inPath)
		} else {
			inputs = append(inputs, net.JoinHostPort(orDefault(inListen, "0.0.0.0"), inPort))
		}
		switch {
		case path != "" && inPath == path:
			return "", nil
		case path == "" && inPath == "" && inPort == port && listensOn(inListen, host):
			return "", nil
		}
	}
	target := "unix:" + path
	if path == "" {
		target = net.JoinHostPort(host, port)
	}
	found := "there is no forward input"
	if len(inputs) > 0 {
		found = "the forward inputs listen on " + strings.Join(inputs, ", ")
	}
	return sec.Pos("Unix_Path"), fmt.Errorf("tracelink sends to %s, but %s in this config: add [INPUT] Name forward with %s, or point Unix_Path / Forward_Port at one",
		target, found, map[bool]string{true: "Unix_Path " + path, false: "Port " + port}[path != ""])
}

// listensOn reports whether a forward input's Listen address accepts connections to host.
func listensOn(listen, host string) bool {
	switch listen {
	case "", "0.0.0.0", "::", host:
		return true
	}
	return (listen == "localhost" && host == "127.0.0.1") || (listen == "127.0.0.1" && host == "localhost")
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
