// Command tracelink runs tracelink's core over log lines: each input line becomes a record
// {"log": line} (or, with -json, the line is the whole record), is linked to its trace
// context and rewritten for Cloud Logging, Datadog or OpenTelemetry, and is printed as one
// JSON line. It takes the same properties as the Fluent Bit plugin, from -p flags or from
// the tracelink section of a Fluent Bit config file.
//
// Usage:
//
//	tracelink [-c FILE [-section N]] [-p key=value ...] [-json] [-time] [-q] [FILE ...]
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}
