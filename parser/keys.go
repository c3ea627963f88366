package parser

// The record keys Cloud Logging's agents and Fluent Bit's stackdriver output lift into a LogEntry.
const (
	keyGoogleTrace      = "logging.googleapis.com/trace"
	keyGoogleSpan       = "logging.googleapis.com/spanId"
	keyGoogleSampled    = "logging.googleapis.com/traceSampled"
	keyGoogleSampledAlt = "logging.googleapis.com/trace_sampled"
	keyGoogleSeverity   = "logging.googleapis.com/severity"
	keyGoogleSourceLoc  = "logging.googleapis.com/sourceLocation"
)
