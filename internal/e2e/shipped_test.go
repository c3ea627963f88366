package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tracelink/tracelink/internal/fbtest"
)

// repoFile reads a file of the repository.
func repoFile(tb testing.TB, rel string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// shipped is a shipped config (fluent-bit.conf or fluent-bit.yaml) adapted to this
// machine: its paths moved into a temporary directory, the kubernetes filter pointed at a
// stand-in API server, the stackdriver output at stand-ins for the metadata server and
// Cloud Logging. Nothing else of it changes.
type shipped struct {
	dir      string
	conf     string
	logFile  string
	httpPort int
	gcp      *fbtest.Stackdriver
	env      []string
}

func newShipped(t *testing.T, name, text string, extraService [][2]string) *shipped {
	t.Helper()
	fbtest.Require(t)
	s := &shipped{dir: shortDir(t), gcp: fbtest.NewStackdriver(t), httpPort: freePort(t)}
	kube := fbtest.NewKubeAPI(t)
	writeFile(t, filepath.Join(s.dir, "parsers.conf"), "[PARSER]\n    Name   json\n    Format json\n")
	if err := os.MkdirAll(filepath.Join(s.dir, "containers"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.logFile = filepath.Join(s.dir, "containers", fbtest.ContainerLog("orders-7d9f8b6c5d-x2k4q", "shop", "orders"))
	writeFile(t, s.logFile, "") // present at start: tail follows it from offset 0
	port := strconv.Itoa(s.httpPort)
	conf := fbtest.Adapt(text,
		map[string]string{
			"/var/log/containers/":            s.dir + "/containers/",
			"/var/lib/tracelink/":             s.dir + "/lib/",
			"/var/run/tracelink/forward.sock": s.dir + "/fw.sock",
			"HTTP_Listen   0.0.0.0":           "HTTP_Listen   127.0.0.1",
			"HTTP_Port     2020":              "HTTP_Port     " + port,
			"http_listen: 0.0.0.0":            "http_listen: 127.0.0.1",
			"http_port: 2020":                 "http_port: " + port,
		},
		map[string][][2]string{
			"kubernetes": {{"kube_url", kube.URL}, {"kube_token_file", writeFile(t, filepath.Join(s.dir, "kube-token"), "test-token\n")}},
			"stackdriver": {
				{"metadata_server", s.gcp.Metadata.URL}, {"cloud_logging_base_url", s.gcp.Logging.URL},
				{"tls", "on"}, {"tls.verify", "off"},
			},
		})
	if len(extraService) > 0 {
		conf = addService(conf, filepath.Ext(name) == ".yaml", extraService)
	}
	if err := os.MkdirAll(filepath.Join(s.dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.conf = writeFile(t, filepath.Join(s.dir, name), conf)
	s.env = []string{
		"PROJECT_ID=", // as the DaemonSet sets it: tracelink asks the metadata server
		"GCE_METADATA_HOST=" + s.gcp.Metadata.Listener.Addr().String(),
		"CLUSTER_NAME=test-cluster", "CLUSTER_LOCATION=us-central1",
	}
	return s
}

// addService adds properties to the [SERVICE] section (service: in YAML).
func addService(conf string, yaml bool, kv [][2]string) string {
	marker, indent := "[SERVICE]\n", "    "
	if yaml {
		marker, indent = "service:\n", "  "
	}
	add := ""
	for _, p := range kv {
		if yaml {
			add += indent + p[0] + ": " + p[1] + "\n"
		} else {
			add += indent + p[0] + " " + p[1] + "\n"
		}
	}
	i := strings.Index(conf, marker)
	if i < 0 {
		return conf
	}
	i += len(marker)
	return conf[:i] + add + conf[i:]
}

func (s *shipped) start(t *testing.T) *fbtest.Process {
	return fbtest.Start(t, s.conf, fbtest.Options{Env: s.env})
}

// standInNotices are the warnings the stand-ins cause, not the pipeline: no service account
// namespace file for the kubernetes filter, no credentials file for stackdriver (it then
// asks the metadata server, as on GKE).
var standInNotices = []string{"serviceaccount/namespace", "client_email is not defined", "private_key is not defined"}

// configMapConf returns the fluent-bit.conf the ConfigMap carries.
func configMapConf(t *testing.T, text string) string {
	t.Helper()
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal([]byte(text), &cm); err != nil {
		t.Fatal(err)
	}
	conf, ok := cm.Data["fluent-bit.conf"]
	if !ok {
		t.Fatal("the ConfigMap has no fluent-bit.conf")
	}
	return conf
}

// writer returns an application writing n CRI lines at rate per second to the container log.
func (s *shipped) writer(n, rate int) *fbtest.Writer {
	return &fbtest.Writer{Path: s.logFile, Rate: rate, N: n, Line: func(seq int) string { return fbtest.CRI(fbtest.AppLine(seq)) }}
}

// Every shipped config delivers every line once, linked, at Cloud Logging.
func TestShippedConfigsDeliver(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"fluent-bit.conf", "fluent-bit.conf"},
		{"fluent-bit.yaml", "fluent-bit.yaml"},
		{"configmap", "deploy/kubernetes/configmap.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := repoFile(t, tc.file)
			name := filepath.Base(tc.file)
			if tc.name == "configmap" {
				text = configMapConf(t, text)
				name = "fluent-bit.conf"
			}
			s := newShipped(t, name, text, nil)
			fb := s.start(t)
			const n = 2000
			w := s.writer(n, 2000)
			w.Start()
			if err := w.Wait(); err != nil {
				t.Fatal(err)
			}
			r := s.gcp.Counter.WaitAll(n, 30*time.Second)
			if r.Missing != 0 || r.Duplicates != 0 || r.Unlinked != 0 {
				t.Errorf("at Cloud Logging: %s", r)
			}
			// The application's JSON line arrives as structured jsonPayload fields, as GKE's
			// own agent delivers it, with the link lifted out to the LogEntry.
			for _, e := range s.gcp.Entries()[:1] {
				p, _ := e["jsonPayload"].(map[string]any)
				if p["msg"] == nil || p["log"] != nil || p["logging.googleapis.com/trace"] != nil || p["kubernetes"] == nil {
					t.Errorf("jsonPayload %v: want the line's members (msg), the kubernetes map, no log and no link keys", p)
				}
				if e["trace"] == nil || e["spanId"] == nil || e["severity"] == nil {
					t.Errorf("LogEntry %v: want trace, spanId and severity", e)
				}
				// pino's "time":1764500000000 (epoch milliseconds) is the entry's timestamp.
				if ts, _ := e["timestamp"].(string); !strings.HasPrefix(ts, "2025-11-30T10:53:20") {
					t.Errorf("LogEntry timestamp %q, want the log's own time 2025-11-30T10:53:20Z", ts)
				}
			}
			fb.Stop(20 * time.Second)
			checkNoProblems(t, fb.Log(), standInNotices...)
		})
	}
}
