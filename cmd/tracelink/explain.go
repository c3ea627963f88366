package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tracelink/tracelink/internal/explain"
)

const explainUsage = `usage: tracelink explain [-c FILE [-section N]] [-p key=value ...] [-json] [-e LINE ...] [FILE ...]

For each line (of -e LINE, else of the FILEs, else of standard input): which format and
which key or token linked it and what tracelink wrote, or why nothing linked: the key (or
token) and value that were refused and the rule that refused them, or that no trace context
was found. It finds the key by taking the record apart: each key, and each token of a text
line, is removed in turn and the record linked again; the ones whose removal changes the
outcome are named. With Format stackdriver and no project, the project is shown as
project-at-run-time.

Flags:
`

// stringsFlag collects a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, "\n") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// runExplain is tracelink explain.
func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	var o options
	fs := newFlagSet(&o)
	var lines stringsFlag
	fs.Var(&lines, "e", "explain this `line` (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, explainUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "tracelink explain: %v (tracelink explain -h)\n", err)
		return exitUsage
	}
	o.files = fs.Args()
	o.lookup = func(context.Context) (string, error) { return placeholderProject, nil }
	proc, ok := reportProcessor(o, getenv, stderr, "tracelink explain")
	if !ok {
		return exitUsage
	}
	lk := &linker{proc: proc, json: o.json}
	ex := explain.New(proc)
	out := bufio.NewWriter(stdout)
	n := 0
	explainOne := func(name string, lineNo int, line []byte) {
		n++
		where := fmt.Sprintf("line %d", n)
		if name != "" {
			where = fmt.Sprintf("%s:%d", name, lineNo)
		}
		fmt.Fprintf(out, "%s: %s\n", where, ex.Record(lk.record(nil, line)))
	}
	for _, l := range lines {
		explainOne("", 0, []byte(l))
	}
	if len(lines) == 0 {
		inputs, err := openInputs(o.files, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "tracelink explain: %v\n", err)
			return exitIO
		}
		defer inputs.close()
		for _, in := range inputs {
			sc := bufio.NewScanner(in.r)
			sc.Buffer(make([]byte, 0, 64*1024), MaxLine+2)
			lineNo := 0
			for sc.Scan() {
				lineNo++
				explainOne(in.name, lineNo, trimEOL(sc.Bytes()))
			}
			if err := sc.Err(); err != nil {
				_ = out.Flush()
				fmt.Fprintf(stderr, "tracelink explain: reading %s after line %d: %v\n", in.name, lineNo, err)
				return exitIO
			}
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "tracelink explain: writing output: %v\n", err)
		return exitIO
	}
	return exitOK
}
