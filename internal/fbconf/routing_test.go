package fbconf

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestGlobsIntersect(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"traced.*", "traced.kube.*", true},
		{"traced.*", "tracedkube.*", false},
		{"*", "anything", true},
		{"kube.*", "traced.kube.*", false},
		{"*.log", "kube.*", true},
		{"a*c", "ab*", true},
		{"a*c", "b*", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"*x*", "*y*", true},
		{"", "", true},
		{"", "*", true},
	}
	for _, tt := range tests {
		if got := GlobsIntersect(tt.a, tt.b); got != tt.want {
			t.Errorf("GlobsIntersect(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := GlobsIntersect(tt.b, tt.a); got != tt.want {
			t.Errorf("GlobsIntersect(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

const routingBase = `[INPUT]
    Name       forward
    Unix_Path  /tmp/f.sock
[OUTPUT]
    Name        tracelink
    Match       kube.*
    Unix_Path   /tmp/f.sock
    Tag_Prefix  %s
[OUTPUT]
    Name   stackdriver
    Match  %s
`

func routing(t *testing.T, prefix, match string) (Route, []Finding) {
	t.Helper()
	conf := strings.Replace(strings.Replace(routingBase, "%s", prefix, 1), "%s", match, 1)
	dir := writeFiles(t, map[string]string{"fb.conf": conf})
	all, err := LoadAllEnv(filepath.Join(dir, "fb.conf"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	var tl Section
	for _, s := range all {
		if s.IsTracelink() {
			tl = s
		}
	}
	return CheckRouting(all, tl)
}

func TestCheckRouting(t *testing.T) {
	tests := []struct {
		prefix, match string
		want          []string // substrings of the findings, in order; none when it is fine
	}{
		{"traced.", "traced.*", nil},
		{"traced.", "traced.kube.*", nil},
		{"traced", "traced.*", []string{"fb.conf:8: error:", "no output other than tracelink matches them", "did you mean Tag_Prefix traced. (with the dot)"}},
		{"traced.", "other.*", []string{"no output other than tracelink matches them"}},
		{"traced.", "*", []string{"fb.conf:11: error:", "shipped twice"}},
		{"traced.", "*kube.*", []string{"shipped twice"}},
	}
	for _, tt := range tests {
		route, got := routing(t, tt.prefix, tt.match)
		if len(tt.want) == 0 {
			if len(got) != 0 {
				t.Errorf("Tag_Prefix %s, Match %s: findings %v, want none", tt.prefix, tt.match, got)
			}
			if len(route.Outputs) != 1 || route.Emitted != tt.prefix+"kube.*" {
				t.Errorf("Tag_Prefix %s, Match %s: route %+v", tt.prefix, tt.match, route)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("Tag_Prefix %s, Match %s: findings %v, want one", tt.prefix, tt.match, got)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(got[0].String(), w) {
				t.Errorf("Tag_Prefix %s, Match %s: %q lacks %q", tt.prefix, tt.match, got[0], w)
			}
		}
	}
}

// TestCheckRoutingRepoConfigs: the shipped pipelines route the linked records to their
// backend, and only those.
func TestCheckRoutingRepoConfigs(t *testing.T) {
	for _, name := range []string{"fluent-bit.conf", "fluent-bit.yaml"} {
		all, err := LoadAllEnv(filepath.Join("..", "..", name), env(nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range all {
			if !s.IsTracelink() {
				continue
			}
			route, f := CheckRouting(all, s)
			if len(f) != 0 || len(route.Outputs) != 1 || !strings.HasPrefix(route.Outputs[0], "stackdriver") {
				t.Errorf("%s: route %+v, findings %v", name, route, f)
			}
		}
	}
}

func TestCheckRoutingK8sTagPrefix(t *testing.T) {
	dir := writeFiles(t, map[string]string{"fb.conf": `[INPUT]
    Name       forward
[OUTPUT]
    Name        tracelink
    Match       kube.*
[OUTPUT]
    Name        stackdriver
    Match       traced.*
    Resource    k8s_container
`})
	all, err := LoadAllEnv(filepath.Join(dir, "fb.conf"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, f := CheckRouting(all, all[1])
	if len(f) != 1 || f[0].Severity != Warning || !strings.Contains(f[0].Msg, `tag_prefix "kube.var.log.containers." does not start`) {
		t.Errorf("findings %v, want a warning about the stackdriver default tag_prefix", f)
	}
}
