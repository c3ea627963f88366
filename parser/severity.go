package parser

import (
	"bytes"

	"github.com/tracelink/tracelink/internal/swar"
)

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
	numLevels
)

// otelSeverityNumber are OpenTelemetry's SeverityNumbers: the first of each range, and
// INFO2 for notice, FATAL2 and FATAL3 for alert and emergency.
var otelSeverityNumber = [...]uint8{lvTrace: 1, lvDebug: 5, lvInfo: 9, lvNotice: 10, lvWarning: 13, lvError: 17, lvCritical: 21, lvAlert: 22, lvEmergency: 23}

func (l level) name(f Format) string { return f.backend().levels[l] }

// levelWords are the level words of every common vocabulary, in lower case.
var levelWords = map[string]level{
	"trace": lvTrace, "finest": lvTrace, "finer": lvTrace,
	"fine": lvDebug, "config": lvDebug, "verbose": lvDebug, "silly": lvDebug, "debug": lvDebug, "dbg": lvDebug, "d": lvDebug,
	"info": lvInfo, "information": lvInfo, "informational": lvInfo, "i": lvInfo, "http": lvInfo,
	"notice": lvNotice, "n": lvNotice,
	"warn": lvWarning, "warning": lvWarning, "w": lvWarning,
	"error": lvError, "err": lvError, "e": lvError, "severe": lvError,
	"critical": lvCritical, "crit": lvCritical, "c": lvCritical, "fatal": lvCritical, "f": lvCritical, "dpanic": lvCritical,
	"alert": lvAlert, "a": lvAlert,
	"emergency": lvEmergency, "emerg": lvEmergency, "panic": lvEmergency,
}

// levelTable holds levelWords for lookups by word loads, with no copy and no lowering pass:
// a word is keyed by its first 16 bytes with 0x20 set in every byte, and its length. Setting
// 0x20 maps A-Z to a-z and no other byte to a lower-case letter, so a key matches a
// (letters-only) level word exactly when the word matches it in some case.
var levelTable = func() (t [levelSlots]levelSlot) {
	for w, lv := range levelWords {
		w0, w1 := swar.Words16([]byte(w))
		w0, w1 = w0|swar.Low*0x20, w1|swar.Low*0x20
		for h := levelHash(w0, w1, len(w)); ; h = (h + 1) & (levelSlots - 1) {
			if t[h].n == 0 {
				t[h] = levelSlot{w0: w0, w1: w1, n: uint8(len(w)), lv: lv}
				break
			}
		}
	}
	return t
}()

const levelSlots = 128 // a power of two, over twice len(levelWords)

type levelSlot struct {
	w0, w1 uint64
	n      uint8
	lv     level
}

func levelHash(w0, w1 uint64, n int) uint32 {
	return uint32((w0^w1*0x9E3779B97F4A7C15^uint64(n))*0xBF58476D1CE4E5B9>>57) & (levelSlots - 1)
}

// levelWord maps a level word of any common vocabulary, in any case, to a level.
func levelWord(w []byte) level {
	n := len(w)
	if n == 0 || n > 16 {
		return lvNone
	}
	w0, w1 := swar.Words16(w)
	w0, w1 = w0|swar.Low*0x20, w1|swar.Low*0x20
	for h := levelHash(w0, w1, n); ; h = (h + 1) & (levelSlots - 1) {
		t := &levelTable[h]
		if t.w0 == w0 && t.w1 == w1 && int(t.n) == n {
			return t.lv
		}
		if t.n == 0 {
			return lvNone
		}
	}
}

// syslogLevels maps syslog severities 0..7.
var syslogLevels = [8]level{lvEmergency, lvAlert, lvCritical, lvError, lvWarning, lvNotice, lvInfo, lvDebug}

// levelFromWord reads a level name in any case.
func levelFromWord(s []byte) level {
	s = bytes.TrimSpace(s)
	if lv := levelWord(s); lv != lvNone {
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
		e := blankIndex(s)
		w := s[:e]
		s = s[e:]
		// Most tokens (dates, times, paths, prose) are refused on their first byte: a level
		// word starts with an upper-case letter, or with the punctuation around one.
		if len(w) < 4 || (w[0]-'A' > 'Z'-'A' && !isLevelPunct(w[0])) {
			continue
		}
		w = trimPunct(w)
		if len(w) < 4 || len(w) > 9 || !allUpper(w) {
			continue
		}
		if lv := levelWord(w); lv != lvNone {
			return lv
		}
	}
	return lvNone
}

// blankIndex returns the index of the first space or tab in s, or len(s).
func blankIndex(s []byte) int {
	if i := swar.Index2(s, ' ', '\t'); i >= 0 {
		return i
	}
	return len(s)
}

// allUpper reports whether s holds only the letters A-Z.
func allUpper(s []byte) bool {
	for _, c := range s {
		if c-'A' > 'Z'-'A' {
			return false
		}
	}
	return true
}

// isLevelPunct reports whether c is one of the brackets and separators around a level word.
func isLevelPunct(c byte) bool {
	return c == '[' || c == ']' || c == '(' || c == ')' || c == ':' || c == '|'
}

// trimPunct strips the brackets and separators that surround a level word.
func trimPunct(w []byte) []byte {
	for len(w) > 0 && isLevelPunct(w[0]) {
		w = w[1:]
	}
	for len(w) > 0 && isLevelPunct(w[len(w)-1]) {
		w = w[:len(w)-1]
	}
	return w
}
