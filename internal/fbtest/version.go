package fbtest

import (
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"testing"

	"github.com/tracelink/tracelink/internal/host"
)

var versions sync.Map // binary path -> host.Version

// Version returns the version of the Fluent Bit tests run (`fluent-bit --version`), or skips
// tb where there is none.
func Version(tb testing.TB) host.Version {
	tb.Helper()
	bin := Require(tb)
	if v, ok := versions.Load(bin); ok {
		return v.(host.Version)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		tb.Fatalf("%s --version: %v", bin, err)
	}
	v, err := host.ParseVersion(string(out))
	if err != nil {
		tb.Fatalf("%s --version: %v", bin, err)
	}
	versions.Store(bin, v)
	return v
}

// Caps returns what tracelink may do in the Fluent Bit tests run: the support table
// (internal/host) for its version, which each real-host test asserts.
func Caps(tb testing.TB) host.Caps {
	tb.Helper()
	return host.For(Version(tb), true)
}

// startedLine is a line every supported Fluent Bit logs once its pipeline runs ("[engine]
// Shutdown Grace Period" comes only from v4.0.3).
const startedLine = "[sp] stream processor started"

// ReloadDone counts the hot reloads p finished: "[reload] successful reload done" from
// v4.0.12 (v4.1.1), "[reload] start everything" before.
func (p *Process) ReloadDone() int {
	if v := Version(p.tb); v.Less(host.Version{Major: 4, Minor: 0, Patch: 12}) || v == (host.Version{Major: 4, Minor: 1, Patch: 0}) {
		return p.CountLog("[reload] start everything")
	}
	return p.CountLog("[reload] successful reload done")
}

// ExitStatus describes how p ended ("exit 0", "exit 1", "signal: aborted"), or "running".
func (p *Process) ExitStatus() string {
	if !p.Exited() {
		return "running"
	}
	st := p.cmd.ProcessState
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "signal: " + ws.Signal().String()
	}
	return fmt.Sprintf("exit %d", st.ExitCode())
}
