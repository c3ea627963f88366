package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tracelink/tracelink/internal/fbconf"
	"github.com/tracelink/tracelink/parser"
)

const checkUsage = `usage: tracelink check FILE ...

Checks each Fluent Bit config (classic .conf or .yaml, with its @INCLUDEs): every tracelink
output's properties, a Match that cannot loop, the forward input it hands records back to,
and where those records go (Tag_Prefix + Match must reach an output other than tracelink,
and that output must not also take the raw records). Prints each finding as
file:line: error|warning|note: ..., then one verdict line per file. Never reads standard
input and never calls the network: a project that only the metadata server knows at run
time is a note. Exit status 0 when no file has an error, 1 otherwise, 2 for bad usage.
`

// runCheck is tracelink check.
func runCheck(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("tracelink check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, checkUsage)
			return exitOK
		}
		fmt.Fprintf(stderr, "tracelink check: %v (tracelink check -h)\n", err)
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, "tracelink check: name the config file(s) to check\n"+checkUsage)
		return exitUsage
	}
	return checkFiles(fs.Args(), stdout, getenv)
}

// checkFiles checks each config file and prints the findings and a verdict per file.
func checkFiles(files []string, stdout io.Writer, getenv func(string) string) int {
	code := exitOK
	for _, file := range files {
		start := time.Now()
		findings, summary := checkConfig(file, getenv)
		counts := map[fbconf.Severity]int{}
		for _, f := range findings {
			counts[f.Severity]++
			fmt.Fprintln(stdout, f)
		}
		tail := fmt.Sprintf("%d error(s), %d warning(s), %d note(s); %v", counts[fbconf.Error], counts[fbconf.Warning], counts[fbconf.Note], time.Since(start).Round(time.Millisecond))
		if counts[fbconf.Error] > 0 {
			code = 1
			fmt.Fprintf(stdout, "%s: FAIL: %s\n", file, tail)
			continue
		}
		fmt.Fprintf(stdout, "%s: OK: %s; %s\n", file, summary, tail)
	}
	return code
}

// checkConfig returns the findings for one config file and, when it is sound, a summary
// of its tracelink outputs and where their records go.
func checkConfig(file string, getenv func(string) string) ([]fbconf.Finding, string) {
	all, err := fbconf.LoadAllEnv(file, getenv)
	if err != nil {
		return []fbconf.Finding{{Severity: fbconf.Error, Pos: file, Msg: err.Error()}}, ""
	}
	var findings []fbconf.Finding
	var routes []string
	n := 0
	for _, sec := range all {
		if !sec.IsTracelink() {
			continue
		}
		n++
		findings = append(findings, checkSection(sec, getenv)...)
		findings = append(findings, checkPipeline(all, sec)...)
		route, rf := fbconf.CheckRouting(all, sec)
		findings = append(findings, rf...)
		desc := fmt.Sprintf("Format %s, Match %s", orDefault(sec.Get("Format"), "stackdriver"), orDefault(sec.Get("Match"), sec.Get("Match_Regex")))
		switch {
		case len(route.Outputs) > 0:
			names := make([]string, len(route.Outputs))
			for i, o := range route.Outputs {
				names[i], _, _ = strings.Cut(o, " ")
			}
			desc += fmt.Sprintf(" -> %s -> %s", route.Emitted, strings.Join(names, ", "))
		case strings.EqualFold(sec.Get("Emit"), "stdout"):
			desc += " -> standard output"
		}
		routes = append(routes, desc)
	}
	if n == 0 {
		return []fbconf.Finding{{Severity: fbconf.Error, Pos: file, Msg: fmt.Sprintf("no output section with Name %s", fbconf.PluginName)}}, ""
	}
	return findings, fmt.Sprintf("%d tracelink output(s): %s", n, strings.Join(routes, "; "))
}

// placeholderProject stands for the project the metadata server would name at run time.
const placeholderProject = "project-at-run-time"

// checkSection validates a tracelink section's rewrite properties the way the plugin
// does at start, without the network: when the project would come from the GCE metadata
// server, that is a note.
func checkSection(sec fbconf.Section, getenv func(string) string) []fbconf.Finding {
	props, err := sectionProps(sec)
	if err != nil {
		pos, msg := splitPos(err.Error(), sec)
		return []fbconf.Finding{{Severity: fbconf.Error, Pos: pos, Msg: msg}}
	}
	fromMetadata := false
	_, err = parser.New(props,
		parser.WithGetenv(getenv),
		parser.WithProjectLookup(func(context.Context) (string, error) {
			fromMetadata = true
			return placeholderProject, nil
		}))
	if err != nil {
		src := &configSource{section: sec}
		pos, msg := splitPos(src.locate(err, nil).Error(), sec)
		return []fbconf.Finding{{Severity: fbconf.Error, Pos: pos, Msg: msg}}
	}
	if fromMetadata {
		return []fbconf.Finding{{Severity: fbconf.Note, Pos: sec.Pos("Name"), Msg: "Project_ID is not set and GOOGLE_CLOUD_PROJECT is empty: the plugin asks the GCE metadata server at start (on GKE, the project the node runs in); off Google Cloud it would fail to start, so set one of them there"}}
	}
	return nil
}

// splitPos separates a leading "file:line: " from msg (the section's position otherwise).
func splitPos(msg string, sec fbconf.Section) (string, string) {
	if strings.HasPrefix(msg, sec.File+":") {
		rest := msg[len(sec.File)+1:]
		if i := strings.Index(rest, ": "); i > 0 {
			return sec.File + ":" + rest[:i], rest[i+2:]
		}
	}
	return sec.Pos("Name"), msg
}

// isTerminal reports whether r is a character device (a terminal), where waiting for lines
// would just hang.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
