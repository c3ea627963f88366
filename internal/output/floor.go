//go:build tracelink_floor

package output

// handBackUnchanged, set by the tracelink_floor build tag, makes Flush hand every chunk
// back as it came, walked but not rewritten. BenchmarkRealHost builds a plugin so to
// measure the floor of the output-and-forward-input design: what Fluent Bit's second pass
// costs with no work done in Go. It is never set in a plugin that ships.
const handBackUnchanged = true
