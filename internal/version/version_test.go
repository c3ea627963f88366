package version

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	Version, Commit = "v9.8.7", "0123456789abcdef0123"
	defer func() { Version, Commit = "", "" }()
	if got := String(); !strings.HasPrefix(got, "v9.8.7 (commit 0123456789ab") {
		t.Errorf("String() = %q", got)
	}
	Version, Commit = "", ""
	if v, _, _ := Info(); v == "" {
		t.Error("Info() gave no version")
	}
}
