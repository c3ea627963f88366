package main

import "github.com/tracelink/tracelink/internal/version"

// versionLine is what tracelink version prints: tracelink VERSION (commit REV[, modified], GOVERSION).
// Set the version at link time with -ldflags "-X github.com/tracelink/tracelink/internal/version.Version=..."
// (internal/version says how; unset, it comes from the build info).
func versionLine() string { return "tracelink " + version.String() }
