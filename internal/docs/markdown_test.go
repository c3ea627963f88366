package docs

import (
	"reflect"
	"strings"
	"testing"
)

func TestTableCells(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"| `Format` | stackdriver | a, b | Doc. |", []string{"Format", "stackdriver", "a, b", "Doc."}},
		{"|a|b|", []string{"a", "b"}},
		{"| x \\| y | z |", []string{"x | y", "z"}},
		{"  | trailing pipe missing", []string{"trailing pipe missing"}},
		{"not a row", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := tableCells(tt.line); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("tableCells(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestPropertyRows(t *testing.T) {
	md := strings.Join([]string{
		"# Title",
		"| Other | Table |",
		"|---|---|",
		"| `Ignored` | row |",
		"",
		"| Name | Default | Accepted | What it does |",
		"|---|---|---|---|",
		"| `Format` | `stackdriver` | stackdriver, datadog | The backend. |",
		"| Short | only two |",
		"text after the table",
		"| Name | Default | Accepted | What it does |",
		"| --- | --- | --- | --- |",
		"| Emit | forward | forward, stdout | Where records go. |",
	}, "\n")
	want := []tableRow{
		{Line: 8, Name: "Format", Default: "stackdriver", Accepted: "stackdriver, datadog", Doc: "The backend."},
		{Line: 9, Name: "Short", Default: "only two"},
		{Line: 13, Name: "Emit", Default: "forward", Accepted: "forward, stdout", Doc: "Where records go."},
	}
	if got := propertyRows(md); !reflect.DeepEqual(got, want) {
		t.Errorf("propertyRows:\n got %+v\nwant %+v", got, want)
	}
}

func TestExamples(t *testing.T) {
	md := strings.Join([]string{
		"<!-- example -->",
		"```sh",
		"# a comment",
		"tracelink -p format=datadog \\",
		"  testdata/input/a.log",
		"",
		"echo x | tracelink -q",
		"```",
		"",
		"```json",
		`{"a": 1}`,
		"```",
		"```sh",
		"tracelink not-marked",
		"```",
		"<!-- example -->",
		"```sh",
		"tracelink -h",
		"```",
		"<!-- example -->",
		"plain text, no block",
	}, "\n")
	want := []example{
		{Line: 1, Commands: []string{"tracelink -p format=datadog testdata/input/a.log", "echo x | tracelink -q"}, Expected: `{"a": 1}`, HasWant: true},
		{Line: 16, Commands: []string{"tracelink -h"}},
		{Line: 20},
	}
	if got := examples(md); !reflect.DeepEqual(got, want) {
		t.Errorf("examples:\n got %+v\nwant %+v", got, want)
	}
}

func FuzzMarkdown(f *testing.F) {
	f.Add("| Name | Default | Accepted | What it does |\n|---|---|---|---|\n| `A` | b | c | d |\n")
	f.Add("<!-- example -->\n```sh\ntracelink \\\n -q\n```\n```json\n{}\n```\n")
	f.Add("<!-- example -->\n```sh\n")
	f.Fuzz(func(t *testing.T, md string) {
		lines := strings.Count(md, "\n") + 1
		for _, r := range propertyRows(md) {
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("row line %d outside 1..%d", r.Line, lines)
			}
		}
		for _, ex := range examples(md) {
			if ex.Line < 1 || ex.Line > lines {
				t.Fatalf("example line %d outside 1..%d", ex.Line, lines)
			}
			for _, c := range ex.Commands {
				if c == "" || strings.Contains(c, "\n") {
					t.Fatalf("command %q is empty or spans lines", c)
				}
			}
		}
	})
}
