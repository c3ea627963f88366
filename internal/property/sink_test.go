package property

import "testing"

func TestGlobCanMatchPrefix(t *testing.T) {
	tests := []struct {
		pattern string
		want    bool
	}{
		{"*", true},
		{"traced.*", true},
		{"traced*", true},
		{"t*", true},
		{"*.log", true}, // traced.x.log
		{"*app*", true},
		{"tr*ed.kube.*", true},
		{"traced.kube.app", true},
		{"kube.*", false},
		{"app", false},
		{"traced", false}, // needs a non-empty rest after the prefix
		{"tracedx*", false},
		{"kube.*.traced.*", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := globCanMatchPrefix(tt.pattern, "traced."); got != tt.want {
			t.Errorf("globCanMatchPrefix(%q, traced.) = %v, want %v", tt.pattern, got, tt.want)
		}
	}
}
