//go:build !tracelink_floor

package output

// handBackUnchanged is false in every plugin that ships: see floor.go.
const handBackUnchanged = false
