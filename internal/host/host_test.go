package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Version
		err  bool
	}{
		{in: "Fluent Bit v5.1.1\nGit commit: \n", want: Version{5, 1, 1}},
		{in: "Fluent Bit v3.2.10", want: Version{3, 2, 10}},
		{in: "v4.0.14", want: Version{4, 0, 14}},
		{in: "5.0.9", want: Version{5, 0, 9}},
		{in: "Fluent Bit v5.1.1-rc1", err: true}, // not the tagged release
		{in: "Fluent Bit v5.1", err: true},
		{in: "Fluent Bit v5.01.1", err: true},
		{in: "Fluent Bit v5.1.x", err: true},
		{in: "", err: true},
		{in: "some other program 1.2.3", err: true},
	} {
		got, err := ParseVersion(tt.in)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// The support table, version by version: each row is a binary the CI matrix runs
// (../shared/fluent-bit/versions and bin), or an edge of the table.
func TestFor(t *testing.T) {
	type caps struct{ refuse, verified, hostAPI, inProcess, configMap, legacyOTLP bool }
	for _, tt := range []struct {
		v    Version
		want caps
	}{
		{Version{2, 2, 3}, caps{refuse: true}},
		{Version{3, 0, 0}, caps{verified: true, hostAPI: true, legacyOTLP: true}},
		{Version{3, 2, 10}, caps{verified: true, hostAPI: true, legacyOTLP: true}},
		{Version{4, 0, 13}, caps{verified: true, hostAPI: true, legacyOTLP: true}},
		{Version{4, 0, 14}, caps{verified: true, hostAPI: true, inProcess: true, legacyOTLP: true}},
		{Version{4, 2, 8}, caps{verified: true, hostAPI: true, inProcess: true, legacyOTLP: true}},
		{Version{5, 0, 4}, caps{verified: true, hostAPI: true, inProcess: true, legacyOTLP: true}},
		{Version{5, 0, 9}, caps{verified: true, hostAPI: true, inProcess: true}},
		{Version{5, 1, 0}, caps{verified: true, hostAPI: true, inProcess: true}}, // no config_map member: 40-byte proxy definition
		{Version{5, 1, 1}, caps{verified: true, hostAPI: true, inProcess: true, configMap: true}},
		{Version{5, 1, 2}, caps{}}, // newer than verified: the safe path
		{Version{6, 0, 0}, caps{}},
	} {
		c := For(tt.v, true)
		got := caps{c.Refuse != "", c.Verified, c.HostAPI, c.InProcess, c.ConfigMap, c.LegacyOTLPFlags}
		if got != tt.want {
			t.Errorf("For(%v) = %+v, want %+v", tt.v, got, tt.want)
		}
		if c.Summary() == "" || !strings.Contains(c.Summary(), tt.v.String()) {
			t.Errorf("For(%v).Summary() = %q: does not name the version", tt.v, c.Summary())
		}
	}
	unknown := For(Version{}, false)
	if unknown.HostAPI || unknown.InProcess || unknown.ConfigMap || unknown.Refuse != "" || !unknown.LegacyOTLPFlags {
		t.Errorf("unknown version: %+v, want the safe path (and both OTLP flag keys)", unknown)
	}
}

func TestParseArgs(t *testing.T) {
	for _, tt := range []struct {
		argv []string
		want Args
	}{
		{[]string{"fluent-bit", "-e", "x.so", "-c", "/etc/fb.conf"}, Args{Config: "/etc/fb.conf"}},
		{[]string{"fluent-bit", "--config=/etc/fb.yaml", "-Y"}, Args{Config: "/etc/fb.yaml", HotReload: true}},
		{[]string{"fluent-bit", "--config", "a.conf", "--enable-hot-reload"}, Args{Config: "a.conf", HotReload: true}},
		{[]string{"fluent-bit", "-ca.conf"}, Args{Config: "a.conf"}},
		{[]string{"fluent-bit", "-i", "dummy", "-o", "stdout"}, Args{}},
		{[]string{"fluent-bit", "--", "-c", "a.conf"}, Args{}},
	} {
		if got := ParseArgs(tt.argv); got != tt.want {
			t.Errorf("ParseArgs(%q) = %+v, want %+v", tt.argv, got, tt.want)
		}
	}
}

func TestPipeline(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "fluent-bit.conf")
	write := func(s string) {
		if err := os.WriteFile(conf, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`[SERVICE]
    Hot_Reload  ${RELOAD}
[INPUT]
    Name       forward
    Unix_Path  /run/a.sock
    Threaded   on
[INPUT]
    Name       forward
    Unix_Path  /run/b.sock
[OUTPUT]
    Name     tracelink
    Match    app
    Workers  2
`)
	env := func(k string) string { return map[string]string{"RELOAD": "on"}[k] }
	p, err := LoadPipeline([]string{"fluent-bit", "-c", conf}, env)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HotReload() {
		t.Error("hot_reload ${RELOAD}=on: not seen")
	}
	if p.ThreadedForward("/run/a.sock") == "" || p.ThreadedForward("/run//a.sock") == "" {
		t.Error("the threaded forward input on /run/a.sock: not seen")
	}
	if at := p.ThreadedForward("/run/a.sock"); !strings.HasSuffix(at, "fluent-bit.conf:6") {
		t.Errorf("ThreadedForward = %q, want the line of Threaded", at)
	}
	if p.ThreadedForward("/run/b.sock") != "" || p.ThreadedForward("/run/c.sock") != "" {
		t.Error("an unthreaded (or absent) forward input is reported threaded")
	}
	if at := p.Workers(); !strings.HasSuffix(at, "fluent-bit.conf:13") {
		t.Errorf("Workers() = %q, want the line of Workers", at)
	}
	if p, err := LoadPipeline([]string{"fluent-bit", "-c", conf}, func(string) string { return "" }); err != nil || p.HotReload() {
		t.Errorf("hot_reload empty: HotReload() = %v (%v), want false", p != nil && p.HotReload(), err)
	}
	if p, err := LoadPipeline([]string{"fluent-bit", "-c", conf, "-Y"}, func(string) string { return "off" }); err != nil || !p.HotReload() {
		t.Errorf("-Y: HotReload() = false (%v), want true", err)
	}
	if _, err := LoadPipeline([]string{"fluent-bit", "-i", "dummy"}, env); err == nil {
		t.Error("no -c: want an error")
	}
	if _, err := LoadPipeline([]string{"fluent-bit", "-c", filepath.Join(dir, "missing.conf")}, env); err == nil {
		t.Error("a missing config file: want an error")
	}
}
