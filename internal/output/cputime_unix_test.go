//go:build unix

package output

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the process used so far; benchmarks
// report it per record so the result means "per core" even on a busy shared machine.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
