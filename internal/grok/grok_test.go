package grok

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	vgrok "github.com/vjeantet/grok"
)

// The two grok expressions of /work/shared/seeds/datakit-python-log-trace.txt,
// as written there ("\\[" in that pipeline language is the regexp \[).
const (
	datakitLinePattern  = "%{TIMESTAMP_ISO8601:time}%{SPACE}%{WORD:level}%{SPACE}%{NOTSPACE}%{SPACE}%{NOTSPACE}%{SPACE}\\[%{GREEDYDATA:trace}\\]%{SPACE}-%{SPACE}%{GREEDYDATA:message}"
	datakitTracePattern = "%{EMAILLOCALPART}=%{EMAILLOCALPART:service}?%{SPACE}%{EMAILLOCALPART}=%{EMAILLOCALPART:env}?%{SPACE}%{EMAILLOCALPART}=%{EMAILLOCALPART:version}?%{SPACE}%{EMAILLOCALPART}=%{NUMBER:trace_id}?%{SPACE}%{EMAILLOCALPART}=%{NUMBER:span_id}?"

	// datakitLine is the ddtrace-py log line of the seed.
	datakitLine  = "2021-06-18 10:07:08,786 INFO [__main__] [lt.py:26] [dd.service.name=Python-App dd.env=Testing dd.version=V1.1 dd.trace_id=16108321602917563239 dd.span_id=12837828046733169079] - Hello, World!"
	datakitTrace = "dd.service.name=Python-App dd.env=Testing dd.version=V1.1 dd.trace_id=16108321602917563239 dd.span_id=12837828046733169079"

	apacheLine   = `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`
	combinedLine = apacheLine + ` "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`
	syslogLine   = "Mar  7 04:02:16 myhost sshd[1234]: Accepted publickey for root from 10.0.0.1 port 22"
)

// userPatterns are added to both engines before the differential tests.
var userPatterns = [][2]string{
	{"SYSLOGLINE", `%{SYSLOGBASE} %{GREEDYDATA:message}`},
	{"KV_TRACE", `trace_id=%{NUMBER:dd.trace_id}`},
}

var diffPatterns = []string{
	datakitLinePattern,
	datakitTracePattern,
	"%{COMMONAPACHELOG}",
	"%{COMBINEDAPACHELOG}",
	"%{SYSLOGLINE}",
	"%{SYSLOGBASE}",
	"%{TIMESTAMP_ISO8601:ts}",
	"%{TIMESTAMP_ISO8601:ts:string} %{LOGLEVEL:level}",
	"%{IP:ip}",
	"%{IPV6:ip6}",
	"%{IPV4:ip4}",
	"%{IPORHOST:host}:%{POSINT:port:int}",
	"%{QUOTEDSTRING:qs}",
	"%{QS:a} %{QS:b}",
	"%{DATA:a} %{GREEDYDATA:b}",
	"%{DATA:a}:%{DATA:b}",
	"%{GREEDYDATA:a}:%{GREEDYDATA:b}",
	"%{DATA:a}$",
	"%{WORD:w}?%{SPACE}%{NUMBER:n}?",
	"(?:%{INT:i}|%{WORD:w})",
	"%{LOGLEVEL:level}",
	"%{URI:uri}",
	"%{MONTH:m} +%{MONTHDAY:d}",
	"%{UUID:u}",
	"%{MAC:mac}",
	"%{PATH:p}",
	"%{HTTPDATE:hd}",
	"%{EMAILADDRESS:email}",
	"%{TTY:tty}",
	"%{DATESTAMP:ds}",
	"%{TIME:t}",
	"%{NUMBER:num:int} %{BASE16NUM:hex:float}",
	"%{KV_TRACE} span_id=%{NUMBER:dd.span_id}",
	`(?P<key>\w+)=%{NOTSPACE:val}`,
	`(?P<dd_trace_id>\d+)|%{NUMBER:dd.trace_id}`,
	"^%{WORD:first}",
	"%{WORD:last}$",
	"(?i)info %{GREEDYDATA:rest}",
	"(?m)^%{WORD:w}$",
	"%{WORD:x} %{WORD:x}",
	"%{SPACE:sp}",
	"%{NOTSPACE:ns}?",
	"%{WORD:w}(?: %{NUMBER:n})?",
	"%{COMMONENVOYACCESSLOG}",
	"%{HTTPD_ERRORLOG}",
	`\[%{DATA:inner}\]`,
	"%{DATA:lazy}",
	"Grüße, %{WORD:who}",
	"[^\\x00-\\x7f]+",
	"(?P<nonascii>[^\\x00-\\x7f]+)",
	"(?P<any>(?s).{3})",
	"%{PROG:prog}",
	"literal-with-no-captures",
}

var diffLines = []string{
	datakitLine,
	datakitTrace,
	apacheLine,
	combinedLine,
	syslogLine,
	"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
	"2021-06-18T10:07:08.786Z", "2021-06-18 10:07:08,786+02:00 WARN disk full",
	"fe80::1%eth0", "2001:db8::ff00:42:8329", "::1", "1.2.3.4", "256.1.1.1 and 10.0.0.255:8080",
	`say "hello \"world\"" and 'it\'s' ok`,
	"",
	" ",
	"a:b:c",
	"key=value other=thing",
	"trace_id=123 span_id=456",
	"12345",
	"INFO\nsecond line\n",
	"user@example.com",
	"/dev/pts/8 /var/log/messages C:\\Windows\\x",
	"10/18/2021 10:07:08",
	"550e8400-e29b-41d4-a716-446655440000",
	"00:1A:2B:3C:4D:5E 0000.1111.2222",
	"https://user:pw@example.com:8080/path/to?x=1&y=2",
	`[2021-06-18T10:07:08.786Z] "GET /a?b=c HTTP/1.1" 200 - 0 12 3 4 "-" "curl/7" "id-1" "host" "up"`,
	"[Mon Oct 11 22:14:15 2021] [error] [client 1.2.3.4] File does not exist",
	"no timestamp here",
	`{"msg":"hello","trace_id":"abc"}`,
	"2021-06-18 10:07:08,786 INFO [héllo] [lt.py:26] [dd.service.name=Pythön] - Grüße, 世界!",
	"2021-06-18 10:07:08 \xff\xfe INFO [\xc3(] [x] [y\xe2\x82] - z\x80",
	"\xef\xbf\xbd\xff Grüße, Welt",
	"0x1F 12.5 -3 .5",
}

func newTestEngines(t testing.TB) (*Library, *vgrok.Grok) {
	t.Helper()
	lib, err := NewLibrary()
	if err != nil {
		t.Fatal(err)
	}
	g, err := vgrok.NewWithConfig(&vgrok.Config{NamedCapturesOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, up := range userPatterns {
		if err := lib.AddPattern(up[0], up[1]); err != nil {
			t.Fatal(err)
		}
		if err := g.AddPattern(up[0], up[1]); err != nil {
			t.Fatal(err)
		}
	}
	return lib, g
}

// parseMap turns a Match into vjeantet's Parse result: name -> text, the last
// capture of a name winning, "" for groups that did not participate.
func parseMap(p *Pattern, line []byte) (map[string]string, bool) {
	caps := make([]int, 2*len(p.Names()))
	m := map[string]string{}
	if !p.Match(line, caps) {
		return m, false
	}
	for i, name := range p.Names() {
		v := ""
		if caps[2*i] >= 0 {
			v = string(line[caps[2*i]:caps[2*i+1]])
		}
		m[name] = v
	}
	return m, true
}

// checkAgainstRegexp compares Match with regexp.FindSubmatchIndex on the
// expanded expression, offset by offset.
func checkAgainstRegexp(t *testing.T, p *Pattern, re *regexp.Regexp, line []byte) {
	t.Helper()
	caps := make([]int, 2*len(p.Names())+2)
	for i := range caps {
		caps[i] = 99 // Match must overwrite every used slot
	}
	got := p.Match(line, caps)
	loc := re.FindSubmatchIndex(line)
	if got != (loc != nil) {
		t.Fatalf("pattern %q line %q: Match = %v, regexp matched = %v", p, line, got, loc != nil)
	}
	names := re.SubexpNames()
	k := 0
	for g, name := range names {
		if name == "" {
			continue
		}
		want := [2]int{-1, -1}
		if loc != nil {
			want = [2]int{loc[2*g], loc[2*g+1]}
		}
		if have := [2]int{caps[2*k], caps[2*k+1]}; have != want {
			t.Fatalf("pattern %q line %q: capture %d (%s) = %v, regexp says %v", p, line, k, p.Names()[k], have, want)
		}
		k++
	}
	if k != len(p.Names()) {
		t.Fatalf("pattern %q: %d named groups in regexp, %d names", p, k, len(p.Names()))
	}
	if caps[len(caps)-1] != 99 || caps[len(caps)-2] != 99 {
		t.Fatalf("pattern %q: Match wrote past 2*len(Names())", p)
	}
}

func TestMatchesVjeantet(t *testing.T) {
	lib, g := newTestEngines(t)
	for _, expr := range diffPatterns {
		p, err := lib.Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		re := regexp.MustCompile(p.regex)
		for _, line := range diffLines {
			want, err := g.Parse(expr, line)
			if err != nil {
				t.Fatalf("vjeantet Parse(%q): %v", expr, err)
			}
			wantMatch, err := g.Match(expr, line)
			if err != nil {
				t.Fatalf("vjeantet Match(%q): %v", expr, err)
			}
			got, gotMatch := parseMap(p, []byte(line))
			if gotMatch != wantMatch {
				t.Errorf("pattern %q line %q: matched %v, vjeantet %v", expr, line, gotMatch, wantMatch)
				continue
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("pattern %q line %q:\n got  %v\n want %v", expr, line, got, want)
			}
			checkAgainstRegexp(t, p, re, []byte(line))
		}
	}
}

func TestDatakitSeed(t *testing.T) {
	lib, err := NewLibrary()
	if err != nil {
		t.Fatal(err)
	}
	p, err := lib.Compile(datakitLinePattern)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := parseMap(p, []byte(datakitLine))
	want := map[string]string{
		"time":    "2021-06-18 10:07:08,786",
		"level":   "INFO",
		"trace":   datakitTrace,
		"message": "Hello, World!",
	}
	if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("line pattern: got %v (matched %v), want %v", got, ok, want)
	}
	tp, err := lib.Compile(datakitTracePattern)
	if err != nil {
		t.Fatal(err)
	}
	got, ok = parseMap(tp, []byte(datakitTrace))
	if !ok || got["trace_id"] != "16108321602917563239" || got["span_id"] != "12837828046733169079" {
		t.Fatalf("trace pattern: got %v (matched %v)", got, ok)
	}
	if want := []string{"service", "env", "version", "trace_id", "span_id"}; !slices.Equal(tp.Names(), want) {
		t.Fatalf("Names() = %v, want %v", tp.Names(), want)
	}
}

func TestNamesAndSyntax(t *testing.T) {
	lib, _ := newTestEngines(t)
	tests := []struct {
		expr     string
		names    []string
		syntaxes []string
	}{
		{"%{NUMBER:span_id}", []string{"span_id"}, []string{"NUMBER"}},
		{"%{NUMBER:dd.trace_id:int} %{WORD}", []string{"dd.trace_id"}, []string{"NUMBER"}},
		{"%{KV_TRACE} (?P<raw>x)", []string{"dd.trace_id", "raw"}, []string{"NUMBER", ""}},
		{"%{SYSLOGPROG}", []string{"program", "pid"}, []string{"PROG", "POSINT"}},
		{"(?P<dd_span_id>x)%{WORD:dd.span-id}", []string{"dd.span-id", "dd.span-id"}, []string{"", "WORD"}},
		{"(?P<grokcap0>a)%{WORD:w}", []string{"grokcap0", "w"}, []string{"", "WORD"}},
		{"%{WORD:a}(x)%{WORD:b}", []string{"a", "b"}, []string{"WORD", "WORD"}},
		{"plain", nil, nil},
	}
	for _, tt := range tests {
		p, err := lib.Compile(tt.expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.expr, err)
		}
		if p.String() != tt.expr {
			t.Errorf("String() = %q, want %q", p.String(), tt.expr)
		}
		if !slices.Equal(p.Names(), tt.names) {
			t.Errorf("%q: Names() = %q, want %q", tt.expr, p.Names(), tt.names)
		}
		for i := range tt.syntaxes {
			if got := p.Syntax(i); got != tt.syntaxes[i] {
				t.Errorf("%q: Syntax(%d) = %q, want %q", tt.expr, i, got, tt.syntaxes[i])
			}
		}
	}
}

func TestCompileErrors(t *testing.T) {
	lib, _ := newTestEngines(t)
	tests := []struct{ expr, want string }{
		{"%{NOPE:x}", "unknown pattern %{NOPE}"},
		{"%{WORD:x:bool}", "invalid pattern reference %{WORD:x:bool}"},
		{"%{WORD..X}", "invalid pattern reference %{WORD..X}"},
		{"%{WORD:x}(", "bad regular expression"},
		{"[z-a]", "bad regular expression"},
	}
	for _, tt := range tests {
		_, err := lib.Compile(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.expr) {
			t.Errorf("Compile(%q) error = %v, want it to name the expression and contain %q", tt.expr, err, tt.want)
		}
	}
}

func TestAddPattern(t *testing.T) {
	lib, err := NewLibrary()
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.AddPattern("MYID", `id-%{INT:n}`); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, expr, want string }{
		{"BAD NAME", "x", "invalid name"},
		{"", "x", "invalid name"},
		{"USES_UNKNOWN", "%{NOPE}", "unknown pattern %{NOPE}"},
		{"SELF", "%{SELF}", "reference cycle"},
		{"INT", "%{MYID}", "reference cycle"}, // MYID uses INT
	}
	for _, tt := range tests {
		err := lib.AddPattern(tt.name, tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AddPattern(%q, %q) error = %v, want %q", tt.name, tt.expr, err, tt.want)
		}
	}
	// A failed AddPattern leaves the library as it was.
	p, err := lib.Compile("%{MYID:id}")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := parseMap(p, []byte("x id-42 y")); got["id"] != "id-42" || got["n"] != "42" {
		t.Fatalf("got %v", got)
	}
	// Redefining a pattern changes its users, as in vjeantet/grok.
	if err := lib.AddPattern("INT", `[0-9]`); err != nil {
		t.Fatal(err)
	}
	p, err = lib.Compile("%{MYID:id}")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := parseMap(p, []byte("x id-42 y")); got["n"] != "4" {
		t.Fatalf("after redefining INT got %v", got)
	}
}

// TestMatchCapsReset checks that captures of a previous match never leak.
func TestMatchCapsReset(t *testing.T) {
	lib, _ := newTestEngines(t)
	p, err := lib.Compile("%{WORD:w}(?: %{NUMBER:n})?")
	if err != nil {
		t.Fatal(err)
	}
	caps := make([]int, 4)
	if !p.Match([]byte("abc 12"), caps) || caps[2] != 4 {
		t.Fatalf("caps = %v", caps)
	}
	if !p.Match([]byte("abc"), caps) || caps[2] != -1 || caps[3] != -1 {
		t.Fatalf("caps = %v, want n unset", caps)
	}
	if p.Match([]byte("!!!"), caps) || !slices.Equal(caps, []int{-1, -1, -1, -1}) {
		t.Fatalf("caps = %v, want all -1 on no match", caps)
	}
}
