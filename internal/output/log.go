package output

import (
	"fmt"
	"io"
	"time"
)

// Level is a log line's severity.
type Level int

// The levels tracelink logs at.
const (
	LevelError Level = iota + 1
	LevelWarn
	LevelInfo
	LevelDebug
)

// Logger receives an instance's log lines. Inside Fluent Bit the plugin passes one that
// writes through Fluent Bit's own logger (WithLogger); the default writes Fluent Bit style
// lines to the writer given to New.
type Logger interface {
	Logf(level Level, format string, args ...any)
}

// WithLogger makes the instance log through l instead of the writer given to New.
func WithLogger(l Logger) Option { return func(o *options) { o.logger = l } }

// writerLogger writes Fluent Bit style lines naming the instance:
//
//	[2026/11/21 10:00:00] [ info] [output:tracelink:tracelink.0] message
type writerLogger struct {
	w      io.Writer
	prefix string // "[output:tracelink:<name>] "
	now    func() time.Time
}

func newLogger(w io.Writer, name string) *writerLogger {
	return &writerLogger{w: w, prefix: "[output:tracelink:" + name + "] ", now: time.Now}
}

// levelNames are the level words as Fluent Bit pads them.
var levelNames = map[Level]string{LevelError: "error", LevelWarn: " warn", LevelInfo: " info", LevelDebug: "debug"}

// Logf writes one line with a single Write call, so lines from concurrent flushes and
// instances sharing a writer (os.Stderr) do not interleave.
func (l *writerLogger) Logf(level Level, format string, args ...any) {
	b := make([]byte, 0, 128)
	b = append(b, '[')
	b = l.now().AppendFormat(b, "2006/01/02 15:04:05")
	b = append(b, "] ["...)
	b = append(b, levelNames[level]...)
	b = append(b, "] "...)
	b = append(b, l.prefix...)
	b = fmt.Appendf(b, format, args...)
	b = append(b, '\n')
	_, _ = l.w.Write(b) // nowhere to report a failing log writer
}
