// Package docs keeps the promises made outside the code true: its tests check that README.md's
// property reference matches the properties the code accepts, that the README's examples run
// as written, that the Kubernetes ConfigMap embeds the root fluent-bit.conf verbatim, and that
// every YAML file parses. This file holds the small Markdown reader those tests use.
package docs

import (
	"strings"
)

// propertyHeader is the header row of a property reference table in README.md.
var propertyHeader = []string{"Name", "Default", "Accepted", "What it does"}

// tableRow is one row of a property reference table, its cells with Markdown code spans
// removed.
type tableRow struct {
	Line                         int // 1-based line number in the document
	Name, Default, Accepted, Doc string
}

// propertyRows returns the rows of every table in md whose header is propertyHeader.
func propertyRows(md string) []tableRow {
	var rows []tableRow
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		if !equalCells(tableCells(lines[i]), propertyHeader) {
			continue
		}
		i += 2 // header and |---| delimiter rows
		for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
			c := tableCells(lines[i])
			for len(c) < len(propertyHeader) {
				c = append(c, "")
			}
			rows = append(rows, tableRow{Line: i + 1, Name: c[0], Default: c[1], Accepted: c[2], Doc: c[3]})
		}
	}
	return rows
}

// tableCells splits a Markdown table row into trimmed cells, honouring \| escapes and
// dropping backticks. A line that is not a table row gives nil.
func tableCells(line string) []string {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") {
		return nil
	}
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		case line[i] == '`':
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

func equalCells(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// exampleMarker precedes a ```sh block whose commands the tests run.
const exampleMarker = "<!-- example -->"

// example is one runnable README example: its shell commands and, when the README shows it,
// the output expected from them (a ```json block right after the commands).
type example struct {
	Line     int      // 1-based line of the marker
	Commands []string // one per command, backslash-continued lines joined
	Expected string   // "" when the README shows no output
	HasWant  bool
}

// examples returns the examples marked with exampleMarker in md. A marker not followed by a
// ```sh block gives an example with no commands, which the tests report.
func examples(md string) []example {
	lines := strings.Split(md, "\n")
	var out []example
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != exampleMarker {
			continue
		}
		ex := example{Line: i + 1}
		j := skipBlank(lines, i+1)
		if j < len(lines) && strings.TrimSpace(lines[j]) == "```sh" {
			body, next := fenced(lines, j+1)
			ex.Commands = joinContinued(body)
			j = skipBlank(lines, next)
			if j < len(lines) && strings.TrimSpace(lines[j]) == "```json" {
				want, after := fenced(lines, j+1)
				ex.Expected, ex.HasWant = strings.Join(want, "\n"), true
				j = after
			}
			i = j - 1
		}
		out = append(out, ex)
	}
	return out
}

func skipBlank(lines []string, i int) int {
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	return i
}

// fenced returns the lines up to the closing ``` fence and the index after it.
func fenced(lines []string, i int) ([]string, int) {
	start := i
	for i < len(lines) && strings.TrimSpace(lines[i]) != "```" {
		i++
	}
	end := i
	if i < len(lines) {
		i++
	}
	return lines[start:end], i
}

// joinContinued joins backslash-continued lines and drops blank and comment lines.
func joinContinued(body []string) []string {
	var cmds []string
	var cur strings.Builder
	for _, l := range body {
		t := strings.TrimSpace(l)
		if cur.Len() == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if s, ok := strings.CutSuffix(t, "\\"); ok {
			cur.WriteString(strings.TrimSpace(s))
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(t)
		cmds = append(cmds, cur.String())
		cur.Reset()
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		cmds = append(cmds, rest) // a continuation with nothing after it
	}
	return cmds
}
