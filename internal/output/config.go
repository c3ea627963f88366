package output

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tracelink/tracelink/internal/property"
)

// Where the records go.
const (
	emitForward = "forward"
	emitStdout  = "stdout"
)

// Bounds of the numeric properties.
const (
	maxConnections = 1024
	// maxDuration bounds every duration property; anything longer is a typo.
	maxDuration = 24 * time.Hour
)

// sinkConfig is the validated form of the sink properties.
type sinkConfig struct {
	emit           string
	network        string // "unix" or "tcp"
	address        string // path or host:port
	sharedKey      string
	selfHostname   string
	tagPrefix      string
	connectTimeout time.Duration
	ackTimeout     time.Duration
	maxConns       int
	statsInterval  time.Duration
	spoolPath      string
	spoolLimit     int64
	spoolMemory    int64
	inProcess      bool
}

// Spool defaults and bounds.
const (
	defaultSpoolLimit  = 256 << 20
	minSpoolLimit      = 1 << 20
	defaultSpoolMemory = 32 << 20
)

// spoolDir is the spool directory of instance name.
func (c sinkConfig) spoolDir(name string) string {
	return filepath.Join(c.spoolPath, name)
}

// duration reads duration property name (see property.ParseDuration), within maxDuration.
func duration(name, raw string, def time.Duration, zeroOK bool) (time.Duration, error) {
	d, ok := property.ParseDuration(raw, def, maxDuration, zeroOK)
	if !ok {
		return 0, property.SinkError(name, raw)
	}
	return d, nil
}

// parseSink validates the sink properties; get returns "" for an unset property.
func parseSink(get func(string) string) (sinkConfig, error) {
	c := sinkConfig{emit: emitForward, tagPrefix: "traced."}
	v := func(name string) string { return strings.TrimSpace(get(name)) }

	switch e := strings.ToLower(v("Emit")); e {
	case "", emitForward:
	case emitStdout:
		c.emit = emitStdout
	default:
		return c, property.SinkError("Emit", get("Emit"))
	}

	if p := get("Tag_Prefix"); p != "" {
		if strings.TrimSpace(p) != p || strings.ContainsAny(p, "\x00") {
			return c, &property.Error{Property: "Tag_Prefix", Value: p, Accepted: "a non-empty string without surrounding spaces"}
		}
		c.tagPrefix = p
	}

	var err error
	if c.connectTimeout, err = duration("Connect_Timeout", get("Connect_Timeout"), 5*time.Second, false); err != nil {
		return c, err
	}
	if c.ackTimeout, err = duration("Ack_Timeout", get("Ack_Timeout"), 30*time.Second, false); err != nil {
		return c, err
	}
	if c.statsInterval, err = duration("Stats_Interval", get("Stats_Interval"), 60*time.Second, true); err != nil {
		return c, err
	}
	c.maxConns = 2
	if s := v("Max_Connections"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxConnections {
			return c, property.SinkError("Max_Connections", get("Max_Connections"))
		}
		c.maxConns = n
	}

	unixPath := v("Unix_Path")
	host, portStr := v("Forward_Host"), v("Forward_Port")
	port := 24224
	if portStr != "" {
		n, err := strconv.Atoi(portStr)
		if err != nil || n < 1 || n > 65535 {
			return c, property.SinkError("Forward_Port", get("Forward_Port"))
		}
		port = n
	}
	if host != "" && strings.ContainsAny(host, " /\t") {
		return c, property.SinkError("Forward_Host", get("Forward_Host"))
	}
	switch {
	case unixPath != "" && (host != "" || portStr != ""):
		return c, &property.Error{Property: "Unix_Path", Value: unixPath, Accepted: "a unix socket path, with Forward_Host and Forward_Port unset (they select TCP instead)"}
	case unixPath != "":
		c.network, c.address = "unix", unixPath
	default:
		if host == "" {
			host = "127.0.0.1"
		}
		c.network, c.address = "tcp", net.JoinHostPort(host, strconv.Itoa(port))
	}

	c.spoolPath = v("Spool_Path")
	if c.spoolPath == "" {
		c.spoolPath = filepath.Join(os.TempDir(), "tracelink-spool")
	}
	c.spoolLimit = defaultSpoolLimit
	if s := v("Spool_Limit"); s != "" {
		n, ok := property.ParseSize(s)
		if !ok || n < minSpoolLimit {
			return c, property.SinkError("Spool_Limit", get("Spool_Limit"))
		}
		c.spoolLimit = n
	}
	c.spoolMemory = min(defaultSpoolMemory, c.spoolLimit)
	if s := v("Spool_Memory"); s != "" {
		n, ok := property.ParseSize(s)
		if !ok || n > c.spoolLimit {
			return c, property.SinkError("Spool_Memory", get("Spool_Memory"))
		}
		c.spoolMemory = n
	}

	if c.inProcess, err = property.ParseBool("In_Process", get("In_Process"), true); err != nil {
		return c, err
	}

	c.sharedKey = get("Shared_Key")
	c.selfHostname = v("Self_Hostname")
	if len(c.selfHostname) > 255 {
		return c, property.SinkError("Self_Hostname", c.selfHostname)
	}
	return c, nil
}

// errEmptyName is returned by New for an instance without a name.
var errEmptyName = errors.New("output: instance name is empty")
