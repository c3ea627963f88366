package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/tracelink/tracelink/internal/fbconf"
	"github.com/tracelink/tracelink/internal/output"
)

// checkPipeline checks what a tracelink output section needs from the rest of its
// pipeline, as far as the config file shows it: a Match that cannot loop back to the
// output, and a forward input where the output sends. problems fail the check; warnings
// are printed.
func checkPipeline(all []fbconf.Section, sec fbconf.Section) (problems []error, warnings []string) {
	get := func(s fbconf.Section, key string) string {
		for k, v := range s.Props {
			if strings.EqualFold(k, key) {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	if emit := strings.ToLower(get(sec, "Emit")); emit == "" || emit == "forward" {
		if err := output.CheckMatch(get(sec, "Match"), get(sec, "Match_Regex"), get(sec, "Tag_Prefix")); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", sec.Pos(matchKey(sec)), err))
		}
		if err := checkForwardInput(all, sec, get); err != nil {
			problems = append(problems, err)
		}
	}
	if get(sec, "Workers") != "" {
		for _, s := range all {
			if s.Kind == "SERVICE" && isOn(get(s, "Hot_Reload")) {
				warnings = append(warnings, fmt.Sprintf("%s: Workers with Hot_Reload on: Fluent Bit v5.1.1 crashes on the second hot reload of a Go output with Workers; tracelink does not need Workers (a flush never waits)", sec.Pos(keyOf(sec, "Workers"))))
			}
		}
	}
	return problems, warnings
}

// checkForwardInput fails when no forward input listens where the section sends.
func checkForwardInput(all []fbconf.Section, sec fbconf.Section, get func(fbconf.Section, string) string) error {
	path := get(sec, "Unix_Path")
	host, port := get(sec, "Forward_Host"), get(sec, "Forward_Port")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "24224"
	}
	var inputs []string
	for _, s := range all {
		if s.Kind != "INPUT" || !strings.EqualFold(get(s, "Name"), "forward") {
			continue
		}
		inPath := get(s, "Unix_Path")
		inPort := get(s, "Port")
		if inPort == "" {
			inPort = "24224"
		}
		inListen := get(s, "Listen")
		if inPath != "" {
			inputs = append(inputs, "unix:"+inPath)
		} else {
			inputs = append(inputs, net.JoinHostPort(orDefault(inListen, "0.0.0.0"), inPort))
		}
		switch {
		case path != "" && inPath == path:
			return nil
		case path == "" && inPath == "" && inPort == port && listensOn(inListen, host):
			return nil
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
	return fmt.Errorf("%s: tracelink sends to %s, but %s in this config: add [INPUT] Name forward with %s, or point Unix_Path / Forward_Port at one",
		sec.Pos(keyOf(sec, "Unix_Path")), target, found, map[bool]string{true: "Unix_Path " + path, false: "Port " + port}[path != ""])
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

func isOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1":
		return true
	}
	return false
}

// keyOf returns the section's spelling of key (for Pos), or key.
func keyOf(sec fbconf.Section, key string) string {
	for k := range sec.Props {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	return key
}

// matchKey is the key to point at for a Match problem.
func matchKey(sec fbconf.Section) string {
	if k := keyOf(sec, "Match"); k != "Match" || sec.Props["Match"] != "" {
		return k
	}
	return keyOf(sec, "Match_Regex")
}
