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

Links each log line to its trace context and rewrites it as the Fluent Bit plugin does.
Each line of the FILEs (standard input when none is given, or for "-") becomes the record
{"log": line}; the rewritten record is printed as one JSON line, in input order. A summary
goes to standard error at the end.

Properties (the plugin's; names are case-insensitive) come from -p key=value and/or from
the tracelink output section of a Fluent Bit config (-c fluent-bit.conf or .yaml); -p
overrides the file. -p grok_pattern=... may be repeated.

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
}

// run is the whole command: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	opts, code, ok := parseFlags(args, stderr)
	if !ok {
		return code
	}
	proc, warnings, err := buildProcessor(opts, getenv)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "tracelink: warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tracelink: %v\n", err)
		return exitUsage
	}
	inputs, err := openInputs(opts.files, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "tracelink: %v\n", err)
		return exitIO
	}
	defer inputs.close()

	out := bufio.NewWriterSize(stdout, 64*1024)
	lk := linker{proc: proc, json: opts.json, time: opts.time}
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

func parseFlags(args []string, stderr io.Writer) (options, int, bool) {
	var o options
	fs := flag.NewFlagSet("tracelink", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported below, in the tracelink: form
	fs.StringVar(&o.config, "c", "", "read properties from the tracelink output of this Fluent Bit `config` (classic or YAML)")
	fs.IntVar(&o.section, "section", 0, "with -c: which tracelink output to use when there are several (0-based)")
	fs.Var(&o.props, "p", "set a property, as `key=value` (repeatable)")
	fs.BoolVar(&o.json, "json", false, "each line is a whole JSON record (lines that are not a JSON object become {\"log\": line})")
	fs.BoolVar(&o.time, "time", false, `print {"time": ..., "record": ...} when an event time was read from the log`)
	fs.BoolVar(&o.quiet, "q", false, "no summary on standard error")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nProperties: %s\n", knownProperties())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
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
	proc, err := parser.New(props,
		parser.WithGetenv(getenv),
		parser.WithProjectLookup(func(ctx context.Context) (string, error) { return gcpproject.Lookup(ctx) }))
	if err != nil {
		return nil, warnings, src.locate(err, flagKeys)
	}
	if src != nil {
		var problems []error
		problems, warnings = checkPipeline(src.all, src.section)
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

// stats counts what happened to the records.
type stats struct {
	records   int
	linked    int
	bySource  [parser.NumSources]int
	invalid   int
	unchanged int
	notJSON   int
	dropped   int // sampled out (Sample_Rate)
}

func (s *stats) add(res parser.Result) {
	if res.Dropped {
		s.dropped++
		return
	}
	s.records++
	if res.Linked() {
		s.linked++
	}
	if res.Source < parser.NumSources {
		s.bySource[res.Source]++
	}
	if res.Invalid {
		s.invalid++
	}
	if !res.Changed {
		s.unchanged++
	}
}

// summary is the report printed on standard error.
func (s *stats) summary(jsonMode bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tracelink: %d records, %d linked", s.records, s.linked)
	var parts []string
	for src := parser.Source(1); src < parser.NumSources; src++ {
		if n := s.bySource[src]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", src, n))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, ", %d with invalid ids, %d unchanged", s.invalid, s.unchanged)
	if s.dropped > 0 {
		fmt.Fprintf(&b, ", %d sampled out", s.dropped)
	}
	if jsonMode {
		fmt.Fprintf(&b, ", %d not JSON", s.notJSON)
	}
	return b.String()
}

// linker turns lines into records, runs the core and writes JSON lines. Its buffers are
// reused from line to line.
type linker struct {
	proc  *parser.Processor
	json  bool
	time  bool
	stats stats
	rec   []byte // the input record (msgpack)
	out   []byte // the processed record (msgpack)
	text  []byte // the JSON line
}

// linkInput processes every line of one input.
func (lk *linker) linkInput(in input, w *bufio.Writer) error {
	r := bufio.NewReaderSize(in.r, 64*1024)
	var long []byte // a line longer than the reader's buffer
	lineNo := 0
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long)+len(chunk) > MaxLine+2 {
				return fmt.Errorf("%s:%d: line longer than the %d-byte (1 MiB) limit", in.name, lineNo+1, MaxLine)
			}
			long = append(long, chunk...)
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
		if len(line) > 0 {
			lineNo++
			line = trimEOL(line)
			if len(line) > MaxLine {
				return fmt.Errorf("%s:%d: line longer than the %d-byte (1 MiB) limit", in.name, lineNo, MaxLine)
			}
			if err := lk.linkLine(line, w); err != nil {
				return fmt.Errorf("%s:%d: %w", in.name, lineNo, err)
			}
		}
		long = nil      // the next line starts afresh; a long line's buffer is not kept
		if err != nil { // io.EOF
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
