package parser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/property"
)

// config is the validated, immutable form of the properties.
type config struct {
	format       Format
	be           *backend // backends[format]
	project      string
	traceKey     []string // dotted path split; nil = detect
	spanKey      []string
	sampledKey   []string
	hasKeys      bool   // any of Trace_Key, Span_Key, Sampled_Key is set
	messageKey   string // "" = auto
	mergeLog     bool
	ddHex        bool
	severity     bool
	sourceLoc    bool
	eventTime    bool
	outTrace     string
	outSpan      string
	outSampled   string // "" = not written
	outSeverity  string
	outSourceLoc string // "" = not written
	grok         []grokRule
	keys         [numOut]string // output key names by out* index
	encKeys      [numOut][]byte // the same, msgpack-encoded
	keyLens      uint64         // bit n set when an output key is n bytes long (n < 64)
	grokCaps     int            // capture buffer length the grok rules need
	sample       sampler        // Sample_Rate, Sample_Keep_Level
	// tracePrefix is "projects/<project>/traces/" precomputed for stackdriver.
	tracePrefix string
}

// projectIDPattern accepts what can stand between "projects/" and "/traces/" in a trace
// resource name: Google Cloud project ids (my-project-123), legacy domain-scoped ones
// (example.com:my-project), and the short names tests and examples use. Slashes, spaces
// and other punctuation are refused.
var projectIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.:_-]{0,99}$`)

const projectIDAccepted = "a Google Cloud project id such as my-project-123 (letters, digits, - . : _; no slashes or spaces)"

// metadataTimeout bounds the project lookup at build time.
const metadataTimeout = 5 * time.Second

// New validates props (names case-insensitive, as Fluent Bit passes them) and builds a Processor.
// An invalid property fails with a *PropertyError naming the property, the value and what is accepted.
func New(props map[string]string, opts ...Option) (*Processor, error) {
	var bo buildOptions
	for _, o := range opts {
		o(&bo)
	}
	if bo.getenv == nil {
		bo.getenv = os.Getenv
	}
	p, err := normalizeProps(props)
	if err != nil {
		return nil, err
	}
	var c config
	if c.format, err = parseFormat(p["format"]); err != nil {
		return nil, err
	}
	c.be = c.format.backend()
	be := c.be
	if c.traceKey, err = keyPath("Trace_Key", p["trace_key"]); err != nil {
		return nil, err
	}
	if c.spanKey, err = keyPath("Span_Key", p["span_key"]); err != nil {
		return nil, err
	}
	if c.sampledKey, err = keyPath("Sampled_Key", p["sampled_key"]); err != nil {
		return nil, err
	}
	c.hasKeys = c.traceKey != nil || c.spanKey != nil || c.sampledKey != nil
	c.messageKey = strings.TrimSpace(p["message_key"])
	if c.mergeLog, err = property.ParseBool("Merge_Log", p["merge_log"], false); err != nil {
		return nil, err
	}
	switch v := strings.ToLower(strings.TrimSpace(p["datadog_trace_id"])); v {
	case "", "decimal":
	case "hex", "hex128", "128":
		c.ddHex = true
	default:
		return nil, &PropertyError{Property: "Datadog_Trace_Id", Value: p["datadog_trace_id"], Accepted: "decimal, hex"}
	}
	if c.severity, err = property.ParseBool("Severity", p["severity"], true); err != nil {
		return nil, err
	}
	if c.sourceLoc, err = property.ParseBool("Source_Location", p["source_location"], true); err != nil {
		return nil, err
	}
	if c.eventTime, err = property.ParseBool("Event_Time", p["event_time"], true); err != nil {
		return nil, err
	}
	c.outTrace, c.outSpan, c.outSampled = be.trace, be.span, be.sampled
	c.outSeverity, c.outSourceLoc = be.severity, be.sourceLoc
	for _, o := range []struct {
		name string
		dst  *string
	}{
		{"Output_Trace_Key", &c.outTrace}, {"Output_Span_Key", &c.outSpan},
		{"Output_Sampled_Key", &c.outSampled}, {"Output_Severity_Key", &c.outSeverity},
		{"Output_Source_Location_Key", &c.outSourceLoc},
	} {
		if v, ok := p[strings.ToLower(o.name)]; ok {
			v = strings.TrimSpace(v)
			if v == "" {
				return nil, &PropertyError{Property: o.name, Value: v, Accepted: "a non-empty record key"}
			}
			*o.dst = v
		}
	}
	if be.needsProject {
		if c.project, err = resolveProject(p["project_id"], bo); err != nil {
			return nil, err
		}
		c.tracePrefix = "projects/" + c.project + "/traces/"
	} else if v := strings.TrimSpace(p["project_id"]); v != "" {
		if !projectIDPattern.MatchString(v) {
			return nil, &PropertyError{Property: "Project_ID", Value: v, Accepted: projectIDAccepted}
		}
		c.project = v
	}
	if c.grok, err = buildGrok(p); err != nil {
		return nil, err
	}
	if c.sample, err = newSampler(p["sample_rate"], p["sample_keep_level"]); err != nil {
		return nil, err
	}
	c.keys = c.outKeys()
	for i, k := range c.keys {
		c.encKeys[i] = msgp.AppendString(nil, k)
		if k != "" && len(k) < 64 {
			c.keyLens |= 1 << len(k)
		}
	}
	c.grokCaps = maxGrokCaps(c.grok)
	return &Processor{cfg: c}, nil
}

// Format returns the output format the processor writes.
func (p *Processor) Format() Format { return p.cfg.format }

// Project returns the Google Cloud project in use ("" when the format needs none and none was set).
func (p *Processor) Project() string { return p.cfg.project }

func keyPath(prop, v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ".")
	for _, s := range parts {
		if s == "" {
			return nil, &PropertyError{Property: prop, Value: v, Accepted: "a record key, or a dotted path of non-empty keys"}
		}
	}
	// The whole string is also tried as one flat key (dd.trace_id is usually flat).
	return append([]string{v}, parts...), nil
}

func resolveProject(prop string, bo buildOptions) (string, error) {
	if v := strings.TrimSpace(prop); v != "" {
		if !projectIDPattern.MatchString(v) {
			return "", &PropertyError{Property: "Project_ID", Value: v, Accepted: projectIDAccepted}
		}
		return v, nil
	}
	if v := strings.TrimSpace(bo.getenv("GOOGLE_CLOUD_PROJECT")); v != "" {
		if !projectIDPattern.MatchString(v) {
			return "", fmt.Errorf("environment variable GOOGLE_CLOUD_PROJECT=%q is not a Google Cloud project id; set property Project_ID", v)
		}
		return v, nil
	}
	if bo.lookupProject == nil {
		return "", errors.New("property Project_ID is required for Format stackdriver: set Project_ID or GOOGLE_CLOUD_PROJECT (the GCE metadata server was not consulted)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), metadataTimeout)
	defer cancel()
	v, err := bo.lookupProject(ctx)
	if err != nil {
		return "", fmt.Errorf("property Project_ID is required for Format stackdriver: not set, GOOGLE_CLOUD_PROJECT is empty, and the GCE metadata server lookup failed: %w", err)
	}
	v = strings.TrimSpace(v)
	if !projectIDPattern.MatchString(v) {
		return "", fmt.Errorf("the GCE metadata server returned project id %q, which is not valid; set property Project_ID", v)
	}
	return v, nil
}
