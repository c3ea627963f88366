package fbtest

import (
	"strings"
)

// Adapt rewrites a shipped Fluent Bit config (classic or YAML) to run on this machine:
// each old -> new string replacement of paths and addresses is applied, and after the
// line that names plugin p (Name p / name: p), insert[p] is added, one property per line,
// as "key value" pairs written in the file's own syntax and indentation.
func Adapt(conf string, replace map[string]string, insert map[string][][2]string) string {
	for old, repl := range replace {
		conf = strings.ReplaceAll(conf, old, repl)
	}
	lines := strings.Split(conf, "\n")
	var out []string
	for i, l := range lines {
		out = append(out, l)
		trimmed := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
		var name string
		yaml := false
		switch {
		case strings.HasPrefix(strings.ToLower(trimmed), "name:"):
			name, yaml = strings.TrimSpace(trimmed[len("name:"):]), true
		case strings.HasPrefix(strings.ToLower(trimmed), "name ") && !strings.HasPrefix(strings.TrimSpace(l), "#"):
			name = strings.TrimSpace(trimmed[len("name "):])
		}
		props, ok := insert[strings.ToLower(name)]
		if !ok || name == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		indent := ""
		if i+1 < len(lines) {
			next := lines[i+1]
			indent = next[:len(next)-len(strings.TrimLeft(next, " "))]
		}
		for _, kv := range props {
			if yaml {
				out = append(out, indent+kv[0]+": "+kv[1])
			} else {
				out = append(out, indent+kv[0]+" "+kv[1])
			}
		}
	}
	return strings.Join(out, "\n")
}
