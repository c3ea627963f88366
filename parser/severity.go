package parser

import "bytes"

// level is a normalized log level.
type level uint8

const (
	lvNone level = iota
	lvTrace
	lvDebug
	lvInfo
	lvNotice
	lvWarning
	lvError
	lvCritical
	lvAlert
	lvEmergency
)

// googleSeverity are Cloud Logging's LogSeverity names.
var googleSeverity = [...]string{lvTrace: "DEBUG", lvDebug: "DEBUG", lvInfo: "INFO", lvNotice: "NOTICE", lvWarning: "WARNING", lvError: "ERROR", lvCritical: "CRITICAL", lvAlert: "ALERT", lvEmergency: "EMERGENCY"}

// datadogStatus are the status values Datadog's status remapper maps exactly.
var datadogStatus = [...]string{lvTrace: "debug", lvDebug: "debug", lvInfo: "info", lvNotice: "notice", lvWarning: "warning", lvError: "error", lvCritical: "critical", lvAlert: "alert", lvEmergency: "emergency"}

// otelSeverity are OpenTelemetry's short severity texts.
var otelSeverity = [...]string{lvTrace: "TRACE", lvDebug: "DEBUG", lvInfo: "INFO", lvNotice: "INFO", lvWarning: "WARN", lvError: "ERROR", lvCritical: "FATAL", lvAlert: "FATAL", lvEmergency: "FATAL"}

func (l level) name(f Format) string {
	if l == lvNone {
		return ""
	}
	switch f {
	case FormatDatadog:
		return datadogStatus[l]
	case FormatOTel:
		return otelSeverity[l]
	}
	return googleSeverity[l]
}

// levelWord maps a lowercased level word of any common vocabulary to a level.
func levelWord(l []byte) level {
	switch string(l) {
	case "trace", "finest", "finer":
		return lvTrace
	case "fine", "config", "verbose", "silly", "debug", "dbg", "d":
		return lvDebug
	case "info", "information", "informational", "i", "http":
		return lvInfo
	case "notice", "n":
		return lvNotice
	case "warn", "warning", "w":
		return lvWarning
	case "error", "err", "e", "severe":
		return lvError
	case "critical", "crit", "c", "fatal", "f", "dpanic":
		return lvCritical
	case "alert", "a":
		return lvAlert
	case "emergency", "emerg", "panic":
		return lvEmergency
	}
	return lvNone
}

// syslogLevels maps syslog severities 0..7.
var syslogLevels = [8]level{lvEmergency, lvAlert, lvCritical, lvError, lvWarning, lvNotice, lvInfo, lvDebug}

// levelFromWord reads a level name in any case.
func levelFromWord(s []byte) level {
	s = bytes.TrimSpace(s)
	var buf [16]byte // the longest level word is 13 bytes
	l, ok := lowerInto(buf[:], s)
	if !ok {
		return lvNone
	}
	if lv := levelWord(l); lv != lvNone {
		return lv
	}
	if allDigits(s) && len(s) <= 3 {
		v, _ := parseDec64(s)
		return levelFromNumber(v)
	}
	return lvNone
}

// levelFromNumber reads pino/bunyan (10..60) and syslog (0..7) numbers.
func levelFromNumber(v uint64) level {
	switch {
	case v <= 7:
		return syslogLevels[v]
	case v == 10:
		return lvTrace
	case v == 20:
		return lvDebug
	case v == 30:
		return lvInfo
	case v == 40:
		return lvWarning
	case v == 50:
		return lvError
	case v == 60:
		return lvCritical
	}
	return lvNone
}

// levelFromOTelNumber reads an OpenTelemetry SeverityNumber (1..24).
func levelFromOTelNumber(v uint64) level {
	switch {
	case v >= 1 && v <= 4:
		return lvTrace
	case v <= 8 && v >= 5:
		return lvDebug
	case v <= 12 && v >= 9:
		return lvInfo
	case v <= 16 && v >= 13:
		return lvWarning
	case v <= 20 && v >= 17:
		return lvError
	case v <= 24 && v >= 21:
		return lvCritical
	}
	return lvNone
}

// levelOf reads a level value of any type.
func levelOf(v value, otelNumber bool) level {
	switch v.kind {
	case vkString:
		if otelNumber {
			if n, ok := parseDec64(bytes.TrimSpace(v.s)); ok {
				return levelFromOTelNumber(n)
			}
			return lvNone
		}
		return levelFromWord(v.s)
	case vkUint:
		if otelNumber {
			return levelFromOTelNumber(v.u)
		}
		return levelFromNumber(v.u)
	case vkNumber:
		if n, ok := parseDec64(v.s); ok {
			if otelNumber {
				return levelFromOTelNumber(n)
			}
			return levelFromNumber(n)
		}
	}
	return lvNone
}

// textLineLevel finds an upper-case level word among the first tokens of a text line
// ("2021-06-18 10:07:08,786 INFO [x] ...", "[ERROR] ...", "WARN: ..."), or a klog/glog
// prefix ("I0621 10:07:08.786 ..."). Lower-case words are prose, not levels.
func textLineLevel(s []byte) level {
	if len(s) >= 5 && (s[0] == 'I' || s[0] == 'W' || s[0] == 'E' || s[0] == 'F') && allDigits(s[1:5]) && (len(s) == 5 || s[5] == ' ') {
		return levelFromWord(s[:1])
	}
	for tok := 0; tok < 6 && len(s) > 0; tok++ {
		s = skipWS(s)
		e := 0
		for e < len(s) && s[e] != ' ' && s[e] != '\t' {
			e++
		}
		w := trimPunct(s[:e])
		s = s[e:]
		if len(w) < 4 || len(w) > 9 {
			continue
		}
		upper := true
		for _, c := range w {
			if c < 'A' || c > 'Z' {
				upper = false
				break
			}
		}
		if !upper {
			continue
		}
		if lv := levelFromWord(w); lv != lvNone {
			return lv
		}
	}
	return lvNone
}

// trimPunct strips the brackets and separators that surround a level word.
func trimPunct(w []byte) []byte {
	isP := func(c byte) bool { return c == '[' || c == ']' || c == '(' || c == ')' || c == ':' || c == '|' }
	for len(w) > 0 && isP(w[0]) {
		w = w[1:]
	}
	for len(w) > 0 && isP(w[len(w)-1]) {
		w = w[:len(w)-1]
	}
	return w
}
