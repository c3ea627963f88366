package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tracelink/tracelink/internal/fbconf"
	"github.com/tracelink/tracelink/internal/property"
	"github.com/tracelink/tracelink/parser"
)

// ignoredConfigKeys are the keys of a tracelink config section that are not rewrite
// properties: Fluent Bit's own output keys and the plugin's sink keys (where rewritten
// records are sent, taken from internal/output so the two cannot drift). The CLI reads a
// config file for its rewrite properties only.
var ignoredConfigKeys = func() map[string]bool {
	m := map[string]bool{
		"name": true, "match": true, "match_regex": true, "alias": true, "log_level": true,
		"log_suppress_interval": true, "retry_limit": true, "workers": true, "ipv6": true,
		"host": true, "port": true, "processors": true,
	}
	for _, p := range property.Sink() {
		m[strings.ToLower(p.Name)] = true
	}
	return m
}()

// ignoredConfigPrefixes are families of Fluent Bit output keys (storage.total_limit_size,
// net.keepalive, tls.verify, oauth2.token_url ...).
var ignoredConfigPrefixes = []string{"storage.", "net.", "tls", "oauth2"}

func isIgnoredConfigKey(key string) bool {
	k := strings.ToLower(strings.TrimSpace(key))
	if ignoredConfigKeys[k] {
		return true
	}
	for _, p := range ignoredConfigPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// propFlag collects repeated -p key=value flags in order.
type propFlag []string

func (p *propFlag) String() string { return strings.Join(*p, " ") }

func (p *propFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want key=value, got %q", v)
	}
	*p = append(*p, v)
	return nil
}

// knownProperties lists the core's property names for error messages.
func knownProperties() string {
	var names []string
	for _, p := range parser.Properties() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// isGrokPattern reports whether key is Grok_Pattern or Grok_Pattern_N (any case).
func isGrokPattern(key string) bool {
	k := strings.ToLower(key)
	return k == "grok_pattern" || strings.HasPrefix(k, "grok_pattern_")
}

// configSource remembers where each property of a config section was written, so that
// the core's errors can name file:line.
type configSource struct {
	section fbconf.Section
	all     []fbconf.Section // every section of the config, for the pipeline check
}

// propsFromConfig returns the rewrite properties of section index of the config file.
func propsFromConfig(path string, index int, getenv func(string) string) (map[string]string, *configSource, error) {
	all, err := fbconf.LoadAllEnv(path, getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	var sections []fbconf.Section
	for _, s := range all {
		if s.IsTracelink() {
			sections = append(sections, s)
		}
	}
	if len(sections) == 0 {
		return nil, nil, fmt.Errorf("config %s: no output section with Name %s", path, fbconf.PluginName)
	}
	if index < 0 || index >= len(sections) {
		return nil, nil, fmt.Errorf("config %s: -section %d: the file has %d tracelink sections (0 to %d)", path, index, len(sections), len(sections)-1)
	}
	sec := sections[index]
	props, err := sectionProps(sec)
	if err != nil {
		return nil, nil, err
	}
	return props, &configSource{section: sec, all: all}, nil
}

// sectionProps returns the rewrite properties of a tracelink section: Fluent Bit's and the
// sink's keys are left out; an unknown key is an error naming file:line.
func sectionProps(sec fbconf.Section) (map[string]string, error) {
	keys := make([]string, 0, len(sec.Props))
	for k := range sec.Props {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return sec.KeyLines[keys[i]] < sec.KeyLines[keys[j]] })
	props := map[string]string{}
	for _, k := range keys {
		if isIgnoredConfigKey(k) {
			continue
		}
		if !parser.IsProperty(k) {
			return nil, fmt.Errorf("%s: unknown tracelink property %q (known: %s)", sec.Pos(k), k, knownProperties())
		}
		props[k] = sec.Props[k]
	}
	return props, nil
}

// applyFlags merges -p key=value flags over props (keys case-insensitive; a flag replaces a
// config key of any case). Repeated grok_pattern flags become Grok_Pattern, Grok_Pattern_1,
// ... in order, and replace every Grok_Pattern the config had.
func applyFlags(props map[string]string, flags []string) error {
	var groks []string
	for _, f := range flags {
		key, value, _ := strings.Cut(f, "=")
		key = strings.TrimSpace(key)
		if strings.EqualFold(key, "grok_pattern") {
			groks = append(groks, value)
			continue
		}
		if !parser.IsProperty(key) {
			return fmt.Errorf("-p %s: unknown property %q (known: %s)", f, key, knownProperties())
		}
		for k := range props {
			if strings.EqualFold(k, key) {
				delete(props, k)
			}
		}
		props[key] = value
	}
	if len(groks) == 0 {
		return nil
	}
	if len(groks) > parser.MaxGrokPatterns {
		return fmt.Errorf("-p grok_pattern given %d times; at most %d patterns", len(groks), parser.MaxGrokPatterns)
	}
	for k := range props {
		if isGrokPattern(k) {
			delete(props, k)
		}
	}
	for i, g := range groks {
		props[parser.GrokPatternProperty(i)] = g
	}
	return nil
}

// locate adds the config file position to a core error about a property read from it.
// Properties set by -p flags (flagKeys, lowercase) are not located in the file.
func (c *configSource) locate(err error, flagKeys map[string]bool) error {
	var pe *parser.PropertyError
	if c == nil || !errors.As(err, &pe) || flagKeys[strings.ToLower(pe.Property)] {
		return err
	}
	for k := range c.section.Props {
		if strings.EqualFold(k, pe.Property) {
			return fmt.Errorf("%s: %w", c.section.Pos(k), err)
		}
	}
	return err
}
