package docs

import (
	"github.com/tracelink/tracelink/internal/property"
	"github.com/tracelink/tracelink/parser"
)

// sinkProperties returns the sink properties of the Fluent Bit output (Emit, Unix_Path, ...).
func sinkProperties() []parser.Property { return property.Sink() }
