package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit can be set at link time:
//
//	go build -ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD)" ./cmd/tracelink
//
// Unset, they come from the build info the go command records (the module version for
// go install ...@version; the VCS revision for a build in a git checkout).
var version, commit string

// versionLine is what tracelink version prints: tracelink VERSION (commit REV[, modified], GOVERSION).
func versionLine() string {
	v, c, modified := version, commit, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if c == "" {
		c = "unknown"
	} else if len(c) > 12 {
		c = c[:12]
	}
	if modified {
		c += ", modified"
	}
	return fmt.Sprintf("tracelink %s (commit %s, %s)", v, c, runtime.Version())
}
