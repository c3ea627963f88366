// Package e2e holds tracelink's integration tests in the real host: each runs a real
// Fluent Bit (FLUENT_BIT_BIN, else fluent-bit on PATH) with the plugin loaded, feeds it
// lines as an application writes them, and asserts what arrives at the next hop or at a
// stand-in for the backend's API. Without a Fluent Bit they skip, saying why. `make e2e`
// runs only these; `make test` runs them with everything else.
package e2e
