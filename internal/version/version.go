// Package version says which tracelink this is, for the CLI's version command and the
// plugin's start line: the version and commit set at link time,
//
//	go build -ldflags "-X github.com/tracelink/tracelink/internal/version.Version=v1.2.0 -X github.com/tracelink/tracelink/internal/version.Commit=$(git rev-parse HEAD)"
//
// or, unset, what the go command recorded in the binary (the module version for go install
// ...@version; the git revision for a build in a clone, unless -buildvcs=false).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Commit can be set with -ldflags -X (see the package comment).
var Version, Commit string

// Info returns the version ("(devel)" when unknown), the commit (at most 12 hex digits, ""
// when unknown) and whether the clone had uncommitted changes.
func Info() (version, commit string, modified bool) {
	version, commit = Version, Commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if version == "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if version == "" {
		version = "(devel)"
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	return version, commit, modified
}

// String is "VERSION (commit REV[, modified], GOVERSION)", e.g. "v1.2.0 (commit 2d5e2c2a91f0, go1.26.8)".
func String() string {
	v, c, modified := Info()
	if c == "" {
		c = "unknown"
	}
	if modified {
		c += ", modified"
	}
	return fmt.Sprintf("%s (commit %s, %s)", v, c, runtime.Version())
}
