package fbconf

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// loadYAML parses Fluent Bit's YAML format: env, includes, pipeline.outputs.
func (l *loader) loadYAML(path string, data []byte, depth int) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: the top level must be a map", path, root.Line)
	}
	if env := mapValue(root, "env"); env != nil {
		if env.Kind != yaml.MappingNode {
			return fmt.Errorf("%s:%d: env must be a map", path, env.Line)
		}
		for i := 0; i+1 < len(env.Content); i += 2 {
			k, v := env.Content[i], env.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s:%d: env %s must be a scalar", path, v.Line, k.Value)
			}
			l.vars[k.Value] = l.expand(v.Value)
		}
	}
	if inc := mapValue(root, "includes"); inc != nil {
		if inc.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s:%d: includes must be a list", path, inc.Line)
		}
		for _, n := range inc.Content {
			if n.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s:%d: includes entries must be file names", path, n.Line)
			}
			files, err := includeFiles(path, l.expand(n.Value))
			if err != nil {
				return fmt.Errorf("%s:%d: include %s: %w", path, n.Line, n.Value, err)
			}
			for _, f := range files {
				if err := l.loadFile(f, depth+1); err != nil {
					return fmt.Errorf("%s:%d: in include %s: %w", path, n.Line, n.Value, err)
				}
			}
		}
	}
	if svc := mapValue(root, "service"); svc != nil && svc.Kind == yaml.MappingNode {
		s := newSection("SERVICE", path, svc.Line)
		for i := 0; i+1 < len(svc.Content); i += 2 {
			if k, v := svc.Content[i], svc.Content[i+1]; v.Kind == yaml.ScalarNode {
				s.Props[k.Value] = l.expand(v.Value)
				s.KeyLines[k.Value] = k.Line
			}
		}
		l.sections = append(l.sections, s)
	}
	pipeline := mapValue(root, "pipeline")
	if pipeline == nil {
		return nil
	}
	if pipeline.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: pipeline must be a map", path, pipeline.Line)
	}
	for _, kind := range []string{"inputs", "filters", "outputs"} {
		if err := l.loadYAMLList(path, pipeline, kind); err != nil {
			return err
		}
	}
	return nil
}

// loadYAMLList adds the entries of pipeline.<kind> (inputs, filters, outputs).
func (l *loader) loadYAMLList(path string, pipeline *yaml.Node, kind string) error {
	list := mapValue(pipeline, kind)
	if list == nil {
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		return fmt.Errorf("%s:%d: pipeline.%s must be a list", path, list.Line, kind)
	}
	for _, out := range list.Content {
		if out.Kind != yaml.MappingNode {
			return fmt.Errorf("%s:%d: each pipeline.%s entry must be a map", path, out.Line, kind)
		}
		s := newSection(strings.ToUpper(strings.TrimSuffix(kind, "s")), path, out.Line)
		for i := 0; i+1 < len(out.Content); i += 2 {
			k, v := out.Content[i], out.Content[i+1]
			if v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			if v.Kind != yaml.ScalarNode {
				if strings.EqualFold(k.Value, "processors") {
					continue // processors run inside Fluent Bit, not in the plugin
				}
				if kind == "outputs" && isTracelink(scalarProps(out)) {
					return fmt.Errorf("%s:%d: key %s: value must be a single value, not a list or map", path, k.Line, k.Value)
				}
				continue
			}
			s.Props[k.Value] = l.expand(v.Value)
			s.KeyLines[k.Value] = k.Line
		}
		l.sections = append(l.sections, s)
	}
	return nil
}

// scalarProps collects an entry's scalar keys (to tell whether it is a tracelink entry).
func scalarProps(n *yaml.Node) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i+1].Kind == yaml.ScalarNode {
			m[n.Content[i].Value] = n.Content[i+1].Value
		}
	}
	return m
}

// mapValue returns the value of key in mapping m (case-insensitive), or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if strings.EqualFold(m.Content[i].Value, key) {
			return m.Content[i+1]
		}
	}
	return nil
}
