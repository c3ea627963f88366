package fbconf

import (
	"fmt"
	"regexp"
	"strings"
)

// Severity ranks a Finding.
type Severity uint8

const (
	Note    Severity = iota // worth knowing; the pipeline works
	Warning                 // works, but likely not as meant
	Error                   // records are lost, looped or shipped twice
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// Finding is one result of a pipeline check, located at file:line.
type Finding struct {
	Severity Severity
	Pos      string // file:line
	Msg      string
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s: %s", f.Pos, f.Severity, f.Msg) }

// DefaultTagPrefix is the tracelink Tag_Prefix default.
const DefaultTagPrefix = "traced."

// Route describes where the records a tracelink output hands back go.
type Route struct {
	// Emitted is the Fluent Bit wildcard pattern of the tags the records come back with:
	// the forward input's own tag_prefix, then Tag_Prefix, then what Match covers.
	Emitted string
	// Outputs are the other outputs whose Match covers Emitted ("name (file:line)").
	Outputs []string
}

// CheckRouting follows the records of tracelink output tl (one of all) through the
// pipeline: the tags they come back with (Tag_Prefix + what its Match covers) must reach
// at least one output other than tracelink, or every linked record is dropped; and an
// output that receives them must not also receive the raw records tracelink reads (its
// Match), or each record is shipped twice, once unlinked. Both are errors. A tracelink
// output with Emit stdout hands nothing back and is not followed.
func CheckRouting(all []Section, tl Section) (Route, []Finding) {
	var route Route
	if emit := strings.ToLower(tl.Get("Emit")); emit != "" && emit != "forward" {
		return route, nil
	}
	match := tl.Get("Match")
	if match == "" {
		if tl.Get("Match_Regex") != "" {
			return route, []Finding{{Note, tl.Pos("Match_Regex"), "Match_Regex: the routing of the records tracelink hands back is not followed (only a Match pattern is); check by hand that an output other than tracelink matches Tag_Prefix + the tags"}}
		}
		return route, []Finding{{Error, tl.Pos("Name"), "no Match: Fluent Bit routes no records to this tracelink output"}}
	}
	prefix := tl.Get("Tag_Prefix")
	if prefix == "" {
		prefix = DefaultTagPrefix
	}
	inPrefix := forwardInputTagPrefix(all, tl)
	route.Emitted = inPrefix + prefix + match

	type hit struct {
		s     Section
		label string
	}
	var hits []hit
	var others []string
	for _, s := range all {
		if s.Kind != "OUTPUT" || s.IsTracelink() {
			continue
		}
		label := fmt.Sprintf("%s (%s)", s.Get("Name"), s.Pos("Name"))
		m, mr := s.Get("Match"), s.Get("Match_Regex")
		switch {
		case m != "":
			others = append(others, fmt.Sprintf("%s Match %s", s.Get("Name"), m))
			if GlobsIntersect(m, route.Emitted) {
				hits = append(hits, hit{s, label})
			}
		case mr != "":
			others = append(others, fmt.Sprintf("%s Match_Regex %s", s.Get("Name"), mr))
			if regexMatchesGlob(mr, route.Emitted) {
				hits = append(hits, hit{s, label})
			}
		}
	}
	var findings []Finding
	if len(hits) == 0 {
		seen := "there is no other output"
		if len(others) > 0 {
			seen = "the other outputs are " + strings.Join(others, ", ")
		}
		msg := fmt.Sprintf("the records tracelink hands back are tagged %s (Tag_Prefix %q + Match %s), and no output other than tracelink matches them: every record would be linked and then dropped (%s)",
			route.Emitted, prefix, match, seen)
		if !strings.HasSuffix(prefix, ".") && len(others) > 0 {
			for _, s := range all {
				if s.Kind == "OUTPUT" && !s.IsTracelink() && s.Get("Match") != "" && GlobsIntersect(s.Get("Match"), inPrefix+prefix+"."+match) {
					msg += fmt.Sprintf("; did you mean Tag_Prefix %s. (with the dot)?", prefix)
					break
				}
			}
		}
		findings = append(findings, Finding{Error, tl.Pos("Tag_Prefix"), msg})
		return route, findings
	}
	for _, h := range hits {
		route.Outputs = append(route.Outputs, h.label)
		if f, ok := checkK8sTagPrefix(h.s, route.Emitted); ok {
			findings = append(findings, f)
		}
		m, mr := h.s.Get("Match"), h.s.Get("Match_Regex")
		double := false
		if m != "" {
			double = GlobsIntersect(m, match)
		} else {
			double = regexMatchesGlob(mr, match)
		}
		if double {
			key := "Match"
			if m == "" {
				key, m = "Match_Regex", mr
			}
			findings = append(findings, Finding{Error, h.s.Pos(key), fmt.Sprintf(
				"output %s %s %s matches both the records tracelink hands back (%s) and the raw records tracelink reads (Match %s): each record would be shipped twice, once unlinked; narrow it to %s*",
				h.s.Get("Name"), key, m, route.Emitted, match, inPrefix+prefix)})
		}
	}
	return route, findings
}

// forwardInputTagPrefix returns the tag_prefix of the forward input that tl hands records
// back to ("" when it has none or the input is not in the file).
func forwardInputTagPrefix(all []Section, tl Section) string {
	path := tl.Get("Unix_Path")
	port := tl.Get("Forward_Port")
	if port == "" {
		port = "24224"
	}
	for _, s := range all {
		if s.Kind != "INPUT" || !strings.EqualFold(s.Get("Name"), "forward") {
			continue
		}
		inPort := s.Get("Port")
		if inPort == "" {
			inPort = "24224"
		}
		if (path != "" && s.Get("Unix_Path") == path) || (path == "" && s.Get("Unix_Path") == "" && inPort == port) {
			return s.Get("Tag_Prefix")
		}
	}
	return ""
}

// GlobsIntersect reports whether some tag matches both Fluent Bit wildcard patterns a and
// b (where * matches any run of characters, the empty one included, case-sensitively, as
// in flb_router_match).
func GlobsIntersect(a, b string) bool {
	memo := map[[2]int]bool{}
	var walk func(i, j int) bool
	walk = func(i, j int) bool {
		k := [2]int{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		memo[k] = false // a cycle does not reach the end by itself
		var r bool
		switch {
		case i == len(a) && j == len(b):
			r = true
		case i < len(a) && a[i] == '*':
			r = walk(i+1, j) || (j < len(b) && walk(i, j+1))
		case j < len(b) && b[j] == '*':
			r = walk(i, j+1) || (i < len(a) && walk(i+1, j))
		case i < len(a) && j < len(b) && a[i] == b[j]:
			r = walk(i+1, j+1)
		}
		memo[k] = r
		return r
	}
	return walk(0, 0)
}

// regexMatchesGlob reports whether Match_Regex re (anchored at the start, as Fluent Bit
// runs it) matches some sample tags of the wildcard pattern glob: an approximation, as
// deciding it exactly needs automata.
func regexMatchesGlob(re, glob string) bool {
	r, err := regexp.Compile(`^(?:` + re + `)`)
	if err != nil {
		return false
	}
	for _, fill := range []string{"", "x", "app.log", "var.log.containers.app_ns_c-0123.log"} {
		if loc := r.FindStringIndex(strings.ReplaceAll(glob, "*", fill)); loc != nil && loc[1] > 0 {
			return true
		}
	}
	return false
}

// stackdriverK8sTagPrefix is the stackdriver output's default tag_prefix.
const stackdriverK8sTagPrefix = "kube.var.log.containers."

// checkK8sTagPrefix warns when a stackdriver output with Resource k8s_container receives the
// records tracelink hands back (tagged emitted) but its tag_prefix cannot be the start of
// their tags: it then cannot read the pod, namespace and container from the tag.
func checkK8sTagPrefix(s Section, emitted string) (Finding, bool) {
	if !strings.EqualFold(s.Get("Name"), "stackdriver") || !strings.EqualFold(s.Get("Resource"), "k8s_container") || s.Get("custom_k8s_regex") != "" {
		return Finding{}, false
	}
	tp := s.Get("tag_prefix")
	if tp == "" {
		tp = stackdriverK8sTagPrefix
	}
	if GlobsIntersect(tp+"*", emitted) {
		return Finding{}, false
	}
	return Finding{Warning, s.Pos("tag_prefix"), fmt.Sprintf(
		"stackdriver tag_prefix %q does not start the tags it receives from tracelink (%s): it cannot read the pod, namespace and container for the k8s_container resource; set tag_prefix to Tag_Prefix + the tail input's tag prefix (e.g. traced.kube.var.log.containers.)", tp, emitted)}, true
}
