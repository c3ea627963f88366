package grok

import (
	"fmt"
	"reflect"
	"testing"

	vgrok "github.com/vjeantet/grok"
)

// TestDefaultPatternsBridge fails loudly if vjeantet/grok's internal layout,
// which defaultPatterns reads with reflect, changes.
func TestDefaultPatternsBridge(t *testing.T) {
	field, ok := reflect.TypeOf(vgrok.Grok{}).FieldByName("rawPattern")
	if !ok {
		t.Fatal("vjeantet/grok.Grok has no rawPattern field: update defaults.go for the new dependency layout")
	}
	if want := reflect.TypeOf(map[string]string{}); field.Type != want {
		t.Fatalf("vjeantet/grok.Grok.rawPattern is %s, want %s: update defaults.go", field.Type, want)
	}
	defaults, err := defaultPatterns()
	if err != nil {
		t.Fatal(err)
	}
	if len(defaults) < 70 {
		t.Fatalf("got %d default patterns, want the ~77 of vjeantet/grok v1.0.1", len(defaults))
	}
	for name, want := range map[string]string{"GREEDYDATA": ".*", "DATA": ".*?", "NOTSPACE": `\S+`, "SPACE": `\s*`} {
		if defaults[name] != want {
			t.Errorf("default %s = %q, want %q", name, defaults[name], want)
		}
	}
	for _, name := range []string{"TIMESTAMP_ISO8601", "COMMONAPACHELOG", "COMBINEDAPACHELOG", "SYSLOGBASE", "IPV6", "QUOTEDSTRING", "EMAILLOCALPART"} {
		if defaults[name] == "" {
			t.Errorf("default pattern %s missing", name)
		}
	}
}

// TestEveryDefaultPatternMatchesVjeantet compiles %{X:x} for every default
// pattern X in both engines and compares their results over the test lines.
func TestEveryDefaultPatternMatchesVjeantet(t *testing.T) {
	lib, g := newTestEngines(t)
	defaults, err := defaultPatterns()
	if err != nil {
		t.Fatal(err)
	}
	for name := range defaults {
		expr := "%{" + name + ":x}"
		p, err := lib.Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		for _, line := range diffLines {
			want, err := g.Parse(expr, line)
			if err != nil {
				t.Fatalf("vjeantet Parse(%q): %v", expr, err)
			}
			got, _ := parseMap(p, []byte(line))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s on %q:\n got  %v\n want %v", expr, line, got, want)
			}
		}
	}
}
