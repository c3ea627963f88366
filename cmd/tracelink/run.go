package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tinylib/msgp/msgp"
	"github.com/tracelink/tracelink/internal/fbconf"
	"github.com/tracelink/tracelink/internal/gcpproject"
	"github.com/tracelink/tracelink/internal/jsonmp"
	"github.com/tracelink/tracelink/parser"
)

// MaxLine is the longest input line accepted, without its line ending.
const MaxLine = 1 << 20

// Exit codes.
const (
	exitOK    = 0
	exitIO    = 1 // reading input or writing output failed
	exitUsage = 2 // bad flag, property or config file
)

const usageText = `usage: tracelink [-c FILE [-section N]] [-p key=value ...] [-json] [-time] [-q] [FILE ...]
       tracelink check FILE ...
       tracelink explain [-c FILE [-section N]] [-p key=value ...] [-json] [-e LINE ...] [FILE ...]
       tracelink version

Links each log line to its trace context and rewrites it as the Fluent Bit plugin does.
Each line of the FILEs (standard input when none is given, or for "-") becomes the record
{"log": line}; the rewritten record is printed as one JSON line, in input order. A summary
goes to standard error at the end. A line over 1 MiB is skipped with a warning, and counted.

  check    validates the tracelink outputs of Fluent Bit config files and the pipeline
           around them (routing included); never reads standard input; exit 1 on an error.
  explain  says for each line which format and which key or token linked it and what was
           written, or why nothing linked (which key and value were refused, and the rule).
  version  prints the version and commit.

Properties (the plugin's; names are case-insensitive) come from -p key=value and/or from
the tracelink output section of a Fluent Bit config (-c fluent-bit.conf or .yaml); -p
overrides the file. -p grok_pattern=... may be repeated. -c FILE alone, typed at a
terminal, checks FILE.

Flags:
`

// options are the parsed command line.
type options struct {
	config  string
	section int
	props   propFlag
	json    bool
	time    bool
	quiet   bool
	files   []string
	// lookup finds the project when nothing names it (default: the GCE metadata server).
	lookup func(context.Context) (string, error)
}

// run is the whole command: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return runCheck(args[1:], stdout, stderr, getenv)
		case "explain":
			return runExplain(args[1:], stdin, stdout, stderr, getenv)
		case "version", "-version", "--version":
			fmt.Fprintln(stdout, versionLine())
			return exitOK
		case "help":
			printUsage(stdout)
			return exitOK
		}
	}
	opts, code, ok := parseFlags(args, stdout, stderr)
	if !ok {
		return code
	}
	if opts.config != "" && len(opts.files) == 0 && len(opts.props) == 0 && isTerminal(stdin) {
		// tracelink -c FILE typed at a terminal: nothing to link, so check the file
		// instead of waiting for lines that will not come.
		return checkFiles([]string{opts.config}, stdout, getenv)
	}
	proc, ok := reportProcessor(opts, getenv, stderr, "tracelink")
	if !ok {
		return exitUsage
	}
	inputs, err := openInputs(opts.files, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "tracelink: %v\n", err)
		return exitIO
	}
	defer inputs.close()

	out := bufio.NewWriterSize(stdout, 64*1024)
	lk := linker{proc: proc, json: opts.json, time: opts.time, warn: stderr}
	for _, in := range inputs {
		if err := lk.linkInput(in, out); err != nil {
			_ = out.Flush()
			fmt.Fprintf(stderr, "tracelink: %v\n", err)
			return exitIO
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "tracelink: writing output: %v\n", err)
		return exitIO
	}
	if !opts.quiet {
		fmt.Fprintln(stderr, lk.stats.summary(opts.json))
	}
	return exitOK
}

// newFlagSet declares the flags of linking (and of explain, which takes the same).
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("tracelink", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller, in the tracelink: form
	fs.StringVar(&o.config, "c", "", "read properties from the tracelink output of this Fluent Bit `config` (classic or YAML)")
	fs.IntVar(&o.section, "section", 0, "with -c: which tracelink output to use when there are several (0-based)")
	fs.Var(&o.props, "p", "set a property, as `key=value` (repeatable)")
	fs.BoolVar(&o.json, "json", false, "each line is a whole JSON record (lines that are not a JSON object become {\"log\": line})")
	fs.BoolVar(&o.time, "time", false, `print {"time": ..., "record": ...} when an event time was read from the log`)
	fs.BoolVar(&o.quiet, "q", false, "no summary on standard error")
	return fs
}

// printUsage writes the help (on standard output: it is what was asked for).
func printUsage(w io.Writer) {
	var o options
	fs := newFlagSet(&o)
	fs.SetOutput(w)
	fmt.Fprint(w, usageText)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nProperties: %s\n", knownProperties())
}

func parseFlags(args []string, stdout, stderr io.Writer) (options, int, bool) {
	var o options
	fs := newFlagSet(&o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return o, exitOK, false
		}
		fmt.Fprintf(stderr, "tracelink: %v (tracelink -h lists the flags)\n", err)
		return o, exitUsage, false
	}
	if o.section != 0 && o.config == "" {
		fmt.Fprintln(stderr, "tracelink: -section needs -c")
		return o, exitUsage, false
	}
	o.files = fs.Args()
	return o, exitOK, true
}

// buildProcessor gathers the properties and builds the core; with a config file it also
// checks the pipeline around the tracelink section, and returns its warnings.
// reportProcessor is buildProcessor for a command named cmd: it writes the warnings, and the
// error (then ok is false), to stderr.
func reportProcessor(o options, getenv func(string) string, stderr io.Writer, cmd string) (proc *parser.Processor, ok bool) {
	proc, warnings, err := buildProcessor(o, getenv)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "tracelink: warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return nil, false
	}
	return proc, true
}

func buildProcessor(o options, getenv func(string) string) (*parser.Processor, []string, error) {
	props := map[string]string{}
	var src *configSource
	var warnings []string
	if o.config != "" {
		var err error
		if props, src, err = propsFromConfig(o.config, o.section, getenv); err != nil {
			return nil, nil, err
		}
	}
	if err := applyFlags(props, o.props); err != nil {
		return nil, warnings, err
	}
	flagKeys := map[string]bool{}
	for _, f := range o.props {
		k, _, _ := strings.Cut(f, "=")
		flagKeys[strings.ToLower(strings.TrimSpace(k))] = true
	}
	lookup := o.lookup
	if lookup == nil {
		lookup = func(ctx context.Context) (string, error) { return gcpproject.Lookup(ctx) }
	}
	proc, err := parser.New(props, parser.WithGetenv(getenv), parser.WithProjectLookup(lookup))
	if err != nil {
		return nil, warnings, src.locate(err, flagKeys)
	}
	if src != nil {
		var problems []error
		for _, f := range checkPipeline(src.all, src.section) {
			if f.Severity == fbconf.Error {
				problems = append(problems, fmt.Errorf("%s: %s", f.Pos, f.Msg))
			} else {
				warnings = append(warnings, f.Pos+": "+f.Msg)
			}
		}
		if len(problems) > 0 {
			return nil, warnings, errors.Join(problems...)
		}
	}
	return proc, warnings, nil
}

// input is one named source of lines.
type input struct {
	name string
	r    io.Reader
	c    io.Closer // nil for standard input
}

type inputs []input

func (ins inputs) close() {
	for _, in := range ins {
		if in.c != nil {
			_ = in.c.Close()
		}
	}
}

// openInputs opens every file up front, so that a missing file fails before any output.
func openInputs(files []string, stdin io.Reader) (inputs, error) {
	if len(files) == 0 {
		return inputs{{name: "<stdin>", r: stdin}}, nil
	}
	var ins inputs
	for _, name := range files {
		if name == "-" {
			ins = append(ins, input{name: "<stdin>", r: stdin})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			ins.close()
			return nil, fmt.Errorf("input: %w", err)
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			_ = f.Close()
			ins.close()
			return nil, fmt.Errorf("input %s: is a directory", name)
		}
		ins = append(ins, input{name: name, r: f, c: f})
	}
	return ins, nil
}

// stats counts what happened to the lines. Every line lands in exactly one of linked,
// already, invalid, noTrace, dropped and skipped, so they add up to lines.
type stats struct {
	linked   int                    // linked and rewritten
	already  int                    // carried this backend's link already: left as it was
	invalid  int                    // not linked: an id was refused
	noTrace  int                    // not linked: no trace context found
	dropped  int                    // sampled out (Sample_Rate)
	skipped  int                    // over MaxLine
	bySource [parser.NumSources]int // of linked
	spanBad  int                    // linked, with a malformed span dropped (part of linked)
	notJSON  int                    // -json: lines that were not a JSON object (any outcome)
}

func (s *stats) add(res parser.Result) {
	switch {
	case res.Dropped:
		s.dropped++
	case res.Linked() && !res.Changed:
		s.already++
	case res.Linked():
		s.linked++
		if res.Source < parser.NumSources {
			s.bySource[res.Source]++
		}
		if res.Invalid {
			s.spanBad++
		}
	case res.Invalid:
		s.invalid++
	default:
		s.noTrace++
	}
}

// summary is the report printed on standard error.
func (s *stats) summary(jsonMode bool) string {
	var b strings.Builder
	lines := s.linked + s.already + s.invalid + s.noTrace + s.dropped + s.skipped
	fmt.Fprintf(&b, "tracelink: %d lines: %d linked", lines, s.linked)
	var parts []string
	for src := parser.Source(1); src < parser.NumSources; src++ {
		if n := s.bySource[src]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", src, n))
		}
	}
	if s.spanBad > 0 {
		parts = append(parts, fmt.Sprintf("%d without their malformed span", s.spanBad))
	}
	if len(parts) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, ", %d already linked, %d with invalid ids, %d without trace context", s.already, s.invalid, s.noTrace)
	if s.dropped > 0 {
		fmt.Fprintf(&b, ", %d sampled out", s.dropped)
	}
	if s.skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped (over 1 MiB)", s.skipped)
	}
	if jsonMode {
		fmt.Fprintf(&b, "; %d not JSON", s.notJSON)
	}
	return b.String()
}

// linker turns lines into records, runs the core and writes JSON lines. Its buffers are
// reused from line to line.
type linker struct {
	proc  *parser.Processor
	warn  io.Writer // where skipped lines are reported
	json  bool
	time  bool
	stats stats
	rec   []byte // the input record (msgpack)
	out   []byte // the processed record (msgpack)
	text  []byte // the JSON line
}

// linkInput processes every line of one input. A line longer than MaxLine is skipped
// with a warning (and counted), as Fluent Bit's tail input does with Skip_Long_Lines.
func (lk *linker) linkInput(in input, w *bufio.Writer) error {
	r := bufio.NewReaderSize(in.r, 64*1024)
	var long []byte // a line longer than the reader's buffer
	skipping := false
	lineNo := 0
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !skipping && len(long)+len(chunk) > MaxLine+2 {
				skipping, long = true, nil
			}
			if !skipping {
				long = append(long, chunk...)
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading %s: %w", in.name, err)
		}
		line := chunk
		if long != nil {
			long = append(long, chunk...)
			line = long
		}
		if skipping || len(line) > 0 {
			lineNo++
			line = trimEOL(line)
			if skipping || len(line) > MaxLine {
				lk.stats.skipped++
				if lk.warn != nil {
					fmt.Fprintf(lk.warn, "tracelink: warning: %s:%d: line longer than the %d-byte (1 MiB) limit: skipped\n", in.name, lineNo, MaxLine)
				}
			} else if err := lk.linkLine(line, w); err != nil {
				return fmt.Errorf("%s:%d: %w", in.name, lineNo, err)
			}
		}
		long, skipping = nil, false // the next line starts afresh; a long line's buffer is not kept
		if err != nil {             // io.EOF
			return nil
		}
	}
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line
}

// linkLine processes one line and writes its JSON line.
func (lk *linker) linkLine(line []byte, w *bufio.Writer) error {
	lk.rec = lk.record(lk.rec[:0], line)
	var res parser.Result
	lk.out, res = lk.proc.Process(lk.out[:0], lk.rec)
	lk.stats.add(res)
	if res.Dropped {
		return nil // sampled out: no line
	}
	t := lk.text[:0]
	if lk.time && res.HasTime {
		t = append(t, `{"time":"`...)
		t = time.Unix(res.Time.Sec, res.Time.Nsec).UTC().AppendFormat(t, time.RFC3339Nano)
		t = append(t, `","record":`...)
	}
	t, _, err := jsonmp.AppendJSON(t, lk.out)
	if err != nil {
		return fmt.Errorf("rendering the processed record: %w", err)
	}
	if lk.time && res.HasTime {
		t = append(t, '}')
	}
	lk.text = append(t, '\n')
	if _, err := w.Write(lk.text); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// record builds the msgpack record for a line: the line itself when -json is set and it
// is a JSON object, else {"log": line}.
func (lk *linker) record(dst, line []byte) []byte {
	if lk.json {
		start := len(dst)
		if out, rest, err := jsonmp.AppendMsgpack(dst, line); err == nil && len(rest) == 0 && msgp.NextType(out[start:]) == msgp.MapType {
			return out
		}
		lk.stats.notJSON++
		dst = dst[:start]
	}
	dst = msgp.AppendMapHeader(dst, 1)
	dst = msgp.AppendString(dst, "log")
	return msgp.AppendStringFromBytes(dst, line)
}
