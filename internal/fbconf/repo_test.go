package fbconf

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRepoConfigsAgree loads the repository's own fluent-bit.conf and fluent-bit.yaml: each
// has exactly one tracelink output, with the same properties.
func TestRepoConfigsAgree(t *testing.T) {
	vars := env(nil)
	var props []map[string]string
	for _, name := range []string{"fluent-bit.conf", "fluent-bit.yaml"} {
		secs, err := LoadEnv(filepath.Join("..", "..", name), vars)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(secs) != 1 {
			t.Fatalf("%s: %d tracelink sections, want 1", name, len(secs))
		}
		lower := map[string]string{}
		for k, v := range secs[0].Props {
			lower[strings.ToLower(k)] = v
		}
		if lower["spool_path"] == "" || lower["format"] == "" {
			t.Errorf("%s: tracelink section %v lacks Format or Spool_Path", name, lower)
		}
		props = append(props, lower)
	}
	if !reflect.DeepEqual(props[0], props[1]) {
		t.Errorf("tracelink sections differ:\nconf: %v\nyaml: %v", props[0], props[1])
	}
}
