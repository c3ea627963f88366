package fbtest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Counter counts records by the seq their application line carries.
type Counter struct {
	mu     sync.Mutex
	seen   map[int]int
	linked map[int]bool
	noSeq  int
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{seen: map[int]int{}, linked: map[int]bool{}} }

// Add counts one record of seq.
func (c *Counter) Add(seq int, linked bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[seq]++
	if linked {
		c.linked[seq] = true
	}
}

// Seen returns how many records of seq arrived.
func (c *Counter) Seen(seq int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[seq]
}

// AddNoSeq counts a record that carried no seq.
func (c *Counter) AddNoSeq() {
	c.mu.Lock()
	c.noSeq++
	c.mu.Unlock()
}

// Check counts what arrived of seq 0 to n-1.
func (c *Counter) Check(n int) Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	var r Result
	for seq, k := range c.seen {
		if seq < 0 || seq >= n {
			r.Extra += k
			continue
		}
		r.Distinct++
		r.Duplicates += k - 1
		if !c.linked[seq] {
			r.Unlinked++
		}
	}
	for seq := 0; seq < n; seq++ {
		if c.seen[seq] == 0 {
			r.Missing++
			if len(r.FirstMissing) < 5 {
				r.FirstMissing = append(r.FirstMissing, seq)
			}
		}
	}
	r.NoSeq = c.noSeq
	return r
}

// WaitAll waits up to d until seq 0 to n-1 all arrived, and returns the count.
func (c *Counter) WaitAll(n int, d time.Duration) Result {
	deadline := time.Now().Add(d)
	for {
		r := c.Check(n)
		if r.Missing == 0 || time.Now().After(deadline) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var seqRE = regexp.MustCompile(`"seq":(\d+)`)

// seqOf finds `"seq":N` in s (an application line), or in a structured payload's seq.
func seqOf(payload map[string]any) (int, bool) {
	if v, ok := payload["seq"].(float64); ok {
		return int(v), true
	}
	for _, k := range []string{"log", "message", "msg"} {
		if s, ok := payload[k].(string); ok {
			if m := seqRE.FindStringSubmatch(s); m != nil {
				n, _ := strconv.Atoi(m[1])
				return n, true
			}
		}
	}
	return 0, false
}

// Stackdriver stands in for Google Cloud: the GCE metadata server (token, project,
// zone, instance id) over HTTP, and Cloud Logging's entries:write over TLS, as Fluent
// Bit's stackdriver output talks to them. Every LogEntry received is kept.
type Stackdriver struct {
	Metadata *httptest.Server
	Logging  *httptest.Server
	// Counter counts entries by seq; linked means a top-level trace field.
	Counter *Counter

	mu      sync.Mutex
	entries []map[string]any
}

// ProjectID is the project the metadata stand-in reports.
const ProjectID = "demo-project"

// MetadataHandler is a GCE metadata server stand-in: the token Fluent Bit's stackdriver
// output asks for, and the project, zone, instance and hostname it reads (Metadata-Flavor:
// Google required).
func MetadataHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata-Flavor") != "Google" {
			http.Error(w, "missing Metadata-Flavor", http.StatusForbidden)
			return
		}
		switch r.URL.Path {
		case "/computeMetadata/v1/instance/service-accounts/default/token":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"test-token","expires_in":3600,"token_type":"Bearer"}`)
		case "/computeMetadata/v1/project/project-id":
			fmt.Fprint(w, ProjectID)
		case "/computeMetadata/v1/project/numeric-project-id":
			fmt.Fprint(w, "123456789")
		case "/computeMetadata/v1/instance/zone":
			fmt.Fprint(w, "projects/123456789/zones/us-central1-a")
		case "/computeMetadata/v1/instance/id":
			fmt.Fprint(w, "4242424242")
		case "/computeMetadata/v1/instance/hostname":
			fmt.Fprint(w, "gke-node-1")
		default:
			http.NotFound(w, r)
		}
	})
}

// NewStackdriver starts both servers; t.Cleanup stops them.
func NewStackdriver(tb testing.TB) *Stackdriver {
	s := &Stackdriver{Counter: NewCounter()}
	s.Metadata = httptest.NewServer(MetadataHandler())
	s.Logging = httptest.NewTLSServer(http.HandlerFunc(s.write))
	tb.Cleanup(s.Metadata.Close)
	tb.Cleanup(s.Logging.Close)
	return s
}

func (s *Stackdriver) write(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer test-token" {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	body, ok := postBody(w, r, "/v2/entries:write")
	if !ok {
		return
	}
	var req struct {
		Entries []map[string]any `json:"entries"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.entries = append(s.entries, req.Entries...)
	s.mu.Unlock()
	for _, e := range req.Entries {
		payload, _ := e["jsonPayload"].(map[string]any)
		seq, ok := seqOf(payload)
		if !ok {
			s.Counter.AddNoSeq()
			continue
		}
		trace, _ := e["trace"].(string)
		s.Counter.Add(seq, strings.HasPrefix(trace, "projects/"))
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, "{}")
}

// Entries returns the LogEntries received so far.
func (s *Stackdriver) Entries() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.entries...)
}

// OutputSettings are the stackdriver output properties that point it at the stand-ins.
func (s *Stackdriver) OutputSettings() string {
	return fmt.Sprintf("    metadata_server         %s\n    cloud_logging_base_url  %s\n    tls                     on\n    tls.verify              off\n",
		s.Metadata.URL, s.Logging.URL)
}

// Datadog stands in for the Datadog logs intake as Fluent Bit's datadog output talks to it
// (POST /api/v2/logs, a JSON array of logs, optionally gzipped). Every log is kept.
type Datadog struct {
	Server *httptest.Server
	// Counter counts logs by seq; linked means a dd.trace_id attribute.
	Counter *Counter

	mu   sync.Mutex
	logs []map[string]any
}

// NewDatadog starts the intake; t.Cleanup stops it.
func NewDatadog(tb testing.TB) *Datadog {
	d := &Datadog{Counter: NewCounter()}
	d.Server = httptest.NewServer(http.HandlerFunc(d.intake))
	tb.Cleanup(d.Server.Close)
	return d
}

func (d *Datadog) intake(w http.ResponseWriter, r *http.Request) {
	body, ok := postBody(w, r, "/api/v2/logs")
	if !ok {
		return
	}
	var logs []map[string]any
	if err := json.Unmarshal(body, &logs); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	d.logs = append(d.logs, logs...)
	d.mu.Unlock()
	for _, l := range logs {
		seq, ok := seqOf(l)
		if !ok {
			d.Counter.AddNoSeq()
			continue
		}
		_, linked := l["dd.trace_id"].(string)
		d.Counter.Add(seq, linked)
	}
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprint(w, "{}")
}

// Logs returns the logs received so far.
func (d *Datadog) Logs() []map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]map[string]any(nil), d.logs...)
}

// HostPort returns the intake's host and port.
func (d *Datadog) HostPort() (string, string) { return hostPort(d.Server.URL) }

// hostPort splits an httptest server's URL into host and port.
func hostPort(url string) (string, string) {
	a := strings.TrimPrefix(url, "http://")
	i := strings.LastIndexByte(a, ':')
	return a[:i], a[i+1:]
}

// postBody answers the request itself (404, or 400) and returns false unless it is a POST
// to path whose body, gunzipped when Content-Encoding says gzip, can be read.
func postBody(w http.ResponseWriter, r *http.Request, path string) ([]byte, bool) {
	if r.Method != http.MethodPost || r.URL.Path != path {
		http.NotFound(w, r)
		return nil, false
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return nil, false
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, false
	}
	return b, true
}
