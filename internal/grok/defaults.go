package grok

import (
	"fmt"
	"reflect"

	vgrok "github.com/vjeantet/grok"
)

// defaultPatterns returns vjeantet/grok's built-in pattern table (name -> raw
// grok expression).
//
// Why reflection: the table lives in an unexported map of the dependency and
// its licence terms are the dependency's, so we do not copy it into this
// repository. Instead we let the dependency build a *grok.Grok and read its
// unexported rawPattern field (map[string]string) with reflect, which may read
// unexported fields (MapRange, String) without unsafe. The version is pinned in
// go.mod; TestDefaultPatternsBridge fails loudly if the field's name or type
// ever changes.
func defaultPatterns() (map[string]string, error) {
	g, err := vgrok.New()
	if err != nil {
		return nil, fmt.Errorf("grok: build vjeantet/grok defaults: %w", err)
	}
	field := reflect.ValueOf(g).Elem().FieldByName("rawPattern")
	if !field.IsValid() {
		return nil, fmt.Errorf("grok: vjeantet/grok.Grok has no rawPattern field (dependency layout changed)")
	}
	t := field.Type()
	if t.Kind() != reflect.Map || t.Key().Kind() != reflect.String || t.Elem().Kind() != reflect.String {
		return nil, fmt.Errorf("grok: vjeantet/grok.Grok.rawPattern is %s, want map[string]string (dependency layout changed)", t)
	}
	out := make(map[string]string, field.Len())
	for it := field.MapRange(); it.Next(); {
		out[it.Key().String()] = it.Value().String()
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("grok: vjeantet/grok.Grok.rawPattern is empty (dependency layout changed)")
	}
	return out, nil
}
