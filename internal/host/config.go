package host

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tracelink/tracelink/internal/fbconf"
	"github.com/tracelink/tracelink/internal/property"
)

// Args is what the plugin needs of Fluent Bit's command line.
type Args struct {
	// Config is the configuration file (-c / --config), "" when none was given.
	Config string
	// HotReload reports -Y / --enable-hot-reload.
	HotReload bool
}

// ParseArgs reads Fluent Bit's command line (argv, the program name first), as its getopt
// does for the options that matter here.
func ParseArgs(argv []string) Args {
	var a Args
	for i := 1; i < len(argv); i++ {
		arg := argv[i]
		switch {
		case arg == "--":
			return a
		case arg == "-c" || arg == "--config":
			if i+1 < len(argv) {
				a.Config = argv[i+1]
				i++
			}
		case strings.HasPrefix(arg, "--config="):
			a.Config = strings.TrimPrefix(arg, "--config=")
		case arg == "-Y" || arg == "--enable-hot-reload":
			a.HotReload = true
		case strings.HasPrefix(arg, "-c") && !strings.HasPrefix(arg, "--"):
			a.Config = arg[2:]
		}
	}
	return a
}

// Pipeline is what the plugin reads of the configuration Fluent Bit was started with: the
// settings Fluent Bit keeps in struct members the plugin has no verified way to read.
type Pipeline struct {
	sections  []fbconf.Section
	hotReload bool
}

// LoadPipeline reads the configuration named on Fluent Bit's command line argv, expanding
// ${VAR} with getenv. It fails when there is none (a pipeline given with -i/-o flags) or it
// cannot be read; the caller then assumes the worst of what it could not see.
func LoadPipeline(argv []string, getenv func(string) string) (*Pipeline, error) {
	a := ParseArgs(argv)
	if a.Config == "" {
		return nil, fmt.Errorf("no configuration file on Fluent Bit's command line")
	}
	sections, err := fbconf.LoadAllEnv(a.Config, getenv)
	if err != nil {
		return nil, fmt.Errorf("reading Fluent Bit's configuration: %w", err)
	}
	return NewPipeline(sections, a.HotReload), nil
}

// NewPipeline is the pipeline of a configuration's sections (fbconf.LoadAllEnv);
// hotReloadFlag reports -Y on the command line.
func NewPipeline(sections []fbconf.Section, hotReloadFlag bool) *Pipeline {
	p := &Pipeline{sections: sections, hotReload: hotReloadFlag}
	for _, s := range sections {
		if s.Kind == "SERVICE" && property.IsOn(s.Get("Hot_Reload")) {
			p.hotReload = true
		}
	}
	return p
}

// HotReload reports whether Fluent Bit reloads its configuration on SIGHUP or
// POST /api/v2/reload (service hot_reload, or -Y).
func (p *Pipeline) HotReload() bool { return p.hotReload }

// ThreadedForward returns where ("file:line") the forward input listening on unixPath sets
// threaded on, or "" when it runs on the engine thread (or there is none). A threaded input
// takes appended records through a ring buffer with one producer, its own thread, so the
// engine thread must not append to it.
func (p *Pipeline) ThreadedForward(unixPath string) string {
	want := filepath.Clean(unixPath)
	for _, s := range p.sections {
		if s.Kind == "INPUT" && strings.EqualFold(s.Get("Name"), "forward") &&
			s.Get("Unix_Path") != "" && filepath.Clean(s.Get("Unix_Path")) == want {
			if property.IsOn(s.Get("Threaded")) {
				return s.Pos("Threaded")
			}
			return ""
		}
	}
	return ""
}

// Workers returns the position ("file:line") of the first tracelink output with Workers
// above 0, or "".
func (p *Pipeline) Workers() string {
	for _, s := range p.sections {
		if !s.IsTracelink() {
			continue
		}
		if n, err := strconv.Atoi(s.Get("Workers")); err == nil && n > 0 {
			return s.Pos("Workers")
		}
	}
	return ""
}

// Routing returns what fbconf.CheckRouting finds for the index-th tracelink output of the
// pipeline (in file order, as Fluent Bit starts them): where its records go when they come
// back, double shipping. ok is false when the pipeline has no such output.
func (p *Pipeline) Routing(index int) (findings []fbconf.Finding, ok bool) {
	n := 0
	for _, s := range p.sections {
		if !s.IsTracelink() {
			continue
		}
		if n == index {
			_, f := fbconf.CheckRouting(p.sections, s)
			return f, true
		}
		n++
	}
	return nil, false
}
