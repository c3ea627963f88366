package fbconf

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// loadClassic parses the INI-like fluent-bit.conf format.
func (l *loader) loadClassic(path string, data []byte, depth int) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var cur *Section // the open section
	inSection := false
	flush := func() {
		if cur != nil {
			l.sections = append(l.sections, *cur)
		}
		cur = nil
	}
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		pos := fmt.Sprintf("%s:%d", path, lineNo)
		switch {
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return fmt.Errorf("%s: malformed section header %q", pos, line)
			}
			flush()
			inSection = true
			s := newSection(strings.ToUpper(strings.TrimSpace(line[1:len(line)-1])), path, lineNo)
			cur = &s
		case line[0] == '@':
			cmd, arg, _ := strings.Cut(line, " ")
			arg = strings.TrimSpace(arg)
			switch strings.ToUpper(cmd) {
			case "@INCLUDE":
				if arg == "" {
					return fmt.Errorf("%s: @INCLUDE needs a file name", pos)
				}
				flush()
				inSection = false
				files, err := includeFiles(path, l.expand(arg))
				if err != nil {
					return fmt.Errorf("%s: @INCLUDE %s: %w", pos, arg, err)
				}
				for _, f := range files {
					if err := l.loadFile(f, depth+1); err != nil {
						return fmt.Errorf("%s: in @INCLUDE %s: %w", pos, arg, err)
					}
				}
			case "@SET":
				name, value, ok := strings.Cut(arg, "=")
				name = strings.TrimSpace(name)
				if !ok || name == "" {
					return fmt.Errorf("%s: @SET wants VAR=value, got %q", pos, arg)
				}
				l.vars[name] = l.expand(strings.TrimSpace(value))
			default:
				return fmt.Errorf("%s: unknown directive %s", pos, cmd)
			}
		default:
			if !inSection {
				return fmt.Errorf("%s: %q is outside any [SECTION]", pos, line)
			}
			key, value := line, ""
			if i := strings.IndexAny(line, " \t"); i >= 0 {
				key, value = line[:i], strings.TrimSpace(line[i+1:])
			}
			if value == "" {
				return fmt.Errorf("%s: key %q has no value", pos, key)
			}
			if cur != nil {
				cur.Props[key] = l.expand(value)
				cur.KeyLines[key] = lineNo
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", path, lineNo+1, err)
	}
	flush()
	return nil
}
