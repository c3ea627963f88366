// Package fbconf reads the tracelink output sections of a Fluent Bit configuration file,
// classic (fluent-bit.conf) or YAML (fluent-bit.yaml), so the tracelink CLI can run with the
// same properties as the plugin.
package fbconf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PluginName is the output plugin name whose sections Load returns (compared case-insensitively).
const PluginName = "tracelink"

// maxIncludeDepth bounds @INCLUDE / includes nesting (and so include cycles).
const maxIncludeDepth = 16

// Section is one section of a config: a [SECTION] (classic), or a service map or a
// pipeline.inputs/filters/outputs entry (YAML).
type Section struct {
	// Kind is the section's kind in upper case: SERVICE, INPUT, FILTER, OUTPUT, PARSER...
	Kind string
	// Props holds the section's keys as written, with ${VAR} expanded. A key given twice
	// keeps its last value, as Fluent Bit does.
	Props map[string]string
	// File and Line locate the section's header ([OUTPUT] line, or the list entry).
	File string
	Line int
	// KeyLines holds the line of each key in Props, for error messages.
	KeyLines map[string]int
}

// Pos returns "file:line" for key, any case (the section's own position when the key is
// not in the section).
func (s Section) Pos(key string) string {
	for k, l := range s.KeyLines {
		if strings.EqualFold(k, key) {
			return fmt.Sprintf("%s:%d", s.File, l)
		}
	}
	return fmt.Sprintf("%s:%d", s.File, s.Line)
}

// Get returns the value of key, any case, without surrounding space ("" when absent).
func (s Section) Get(key string) string {
	for k, v := range s.Props {
		if strings.EqualFold(k, key) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// IsTracelink reports whether s is a tracelink output section.
func (s Section) IsTracelink() bool {
	return s.Kind == "OUTPUT" && isTracelink(s.Props)
}

// Load reads path with the process environment; see LoadEnv.
func Load(path string) ([]Section, error) {
	return LoadEnv(path, os.Getenv)
}

// LoadEnv reads a classic fluent-bit.conf (INI-like: [SECTION] headers, "Key Value" lines,
// '#' comments, @INCLUDE relative to the including file (globs allowed), @SET VAR=value) or,
// for a .yaml/.yml file, a YAML config (pipeline.outputs list, "includes" list, "env" map),
// and returns the tracelink output sections in file order (an included file's sections at
// the point of its @INCLUDE; for YAML, included files' sections first). ${VAR} is expanded
// from @SET / env first, then getenv; an unknown variable expands to "", as in Fluent Bit.
// Errors name file:line.
func LoadEnv(path string, getenv func(string) string) ([]Section, error) {
	all, err := LoadAllEnv(path, getenv)
	if err != nil {
		return nil, err
	}
	var out []Section
	for _, s := range all {
		if s.IsTracelink() {
			out = append(out, s)
		}
	}
	return out, nil
}

// LoadAllEnv is LoadEnv returning every section of the pipeline (SERVICE, INPUT, FILTER,
// OUTPUT, ...), each with its Kind, in file order.
func LoadAllEnv(path string, getenv func(string) string) ([]Section, error) {
	l := &loader{vars: map[string]string{}, getenv: getenv, active: map[string]bool{}}
	if err := l.loadFile(path, 0); err != nil {
		return nil, err
	}
	return l.sections, nil
}

type loader struct {
	vars     map[string]string
	getenv   func(string) string
	active   map[string]bool // files being read, to report include cycles
	sections []Section
}

func (l *loader) loadFile(path string, depth int) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("%s: includes nest more than %d deep", path, maxIncludeDepth)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if l.active[abs] {
		return fmt.Errorf("%s: include cycle", path)
	}
	l.active[abs] = true
	defer delete(l.active, abs)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return l.loadYAML(path, data, depth)
	default:
		return l.loadClassic(path, data, depth)
	}
}

// expand replaces ${VAR} references. A "${" without a closing brace is kept as written.
func (l *loader) expand(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+2:], '}')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(l.lookup(s[i+2 : i+2+j]))
		s = s[i+2+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

func (l *loader) lookup(name string) string {
	if v, ok := l.vars[name]; ok {
		return v
	}
	if l.getenv == nil {
		return ""
	}
	return l.getenv(name)
}

// includeFiles resolves an include pattern relative to the including file's directory.
// A glob that matches nothing is fine; a plain path that does not exist is an error.
func includeFiles(from, pattern string) ([]string, error) {
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(filepath.Dir(from), pattern)
	}
	if !strings.ContainsAny(pattern, "*?[") {
		if _, err := os.Stat(pattern); err != nil {
			return nil, err
		}
		return []string{pattern}, nil
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	return matches, nil // sorted by Glob
}

func newSection(kind, file string, line int) Section {
	return Section{Kind: kind, Props: map[string]string{}, File: file, Line: line, KeyLines: map[string]int{}}
}

// isTracelink reports whether props name the tracelink plugin.
func isTracelink(props map[string]string) bool {
	for k, v := range props {
		if strings.EqualFold(k, "name") && strings.EqualFold(strings.TrimSpace(v), PluginName) {
			return true
		}
	}
	return false
}
