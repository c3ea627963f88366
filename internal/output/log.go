package output

import (
	"fmt"
	"io"
	"time"
)

// Log levels, padded as Fluent Bit prints them.
const (
	levelError = "error"
	levelWarn  = " warn"
	levelInfo  = " info"
)

// logger writes Fluent Bit style lines naming the instance:
//
//	[2026/11/21 10:00:00] [ info] [output:tracelink:tracelink.0] message
type logger struct {
	w      io.Writer
	prefix string // "[output:tracelink:<name>] "
	now    func() time.Time
}

func newLogger(w io.Writer, name string) *logger {
	return &logger{w: w, prefix: "[output:tracelink:" + name + "] ", now: time.Now}
}

// logf writes one line with a single Write call, so lines from concurrent flushes and
// instances sharing a writer (os.Stderr) do not interleave.
func (l *logger) logf(level, format string, args ...any) {
	b := make([]byte, 0, 128)
	b = append(b, '[')
	b = l.now().AppendFormat(b, "2006/01/02 15:04:05")
	b = append(b, "] ["...)
	b = append(b, level...)
	b = append(b, "] "...)
	b = append(b, l.prefix...)
	b = fmt.Appendf(b, format, args...)
	b = append(b, '\n')
	_, _ = l.w.Write(b) // nowhere to report a failing log writer
}
