// Package parser is tracelink's core: it finds the trace context in a Fluent Bit record
// (msgpack), normalizes it, and rewrites the record for Cloud Logging, Datadog or
// OpenTelemetry. It is pure Go, allocation-free on the per-record path, and safe for
// concurrent use once built.
package parser

import (
	"context"
)

// Processor is an immutable, validated rewrite configuration. It is safe for concurrent use.
type Processor struct {
	cfg config
}

// Option adjusts how New resolves what the properties leave open.
type Option func(*buildOptions)

type buildOptions struct {
	lookupProject func(ctx context.Context) (string, error)
	getenv        func(string) string
}

// WithProjectLookup sets the last resort for the Google Cloud project id when neither the
// Project_ID property nor GOOGLE_CLOUD_PROJECT is set (the plugin and CLI pass the GCE
// metadata server lookup). Without it, a stackdriver Processor with no project fails to build.
func WithProjectLookup(f func(ctx context.Context) (string, error)) Option {
	return func(o *buildOptions) { o.lookupProject = f }
}

// WithGetenv replaces os.Getenv for reading GOOGLE_CLOUD_PROJECT (tests use it).
func WithGetenv(f func(string) string) Option {
	return func(o *buildOptions) { o.getenv = f }
}
