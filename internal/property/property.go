// Package property holds the configuration types that the parser core, the Fluent Bit
// plugin and the CLI share: a property's description, the error a bad value gets, and the
// syntax of Fluent Bit's booleans, sizes and durations. The core's properties are listed in
// parser, the sink's (where rewritten records go) in Sink; internal/output validates them.
package property

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Property describes one configuration property. The README's reference table is tested
// against the lists.
type Property struct {
	Name     string // canonical spelling, as documented; lookups are case-insensitive
	Default  string // what applies when the property is not set
	Accepted string // the values accepted, for error messages and docs
	Doc      string // one sentence on what it does
}

// Error is a configuration error naming the property, the bad value and what is accepted.
type Error struct {
	Property string
	Value    string
	Accepted string
	Err      error // optional underlying cause
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("property %s: invalid value %q", e.Property, e.Value)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Accepted != "" {
		msg += " (accepted: " + e.Accepted + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// BoolAccepted lists Fluent Bit's boolean spellings.
const BoolAccepted = "on, off, true, false, yes, no"

// IsOn reports whether v is one of Fluent Bit's spellings of true ("" is not).
func IsOn(v string) bool {
	on, err := ParseBool("", v, false)
	return err == nil && on
}

// IsOff reports whether v is one of Fluent Bit's spellings of false ("" is not).
func IsOff(v string) bool {
	on, err := ParseBool("", v, true)
	return err == nil && !on
}

// ParseBool reads property name's value v in Fluent Bit's boolean spellings; "" is def.
func ParseBool(name, v string, def bool) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return def, nil
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, &Error{Property: name, Value: v, Accepted: BoolAccepted}
}

// ParseSize reads a size the way Fluent Bit's size properties are written: bytes, or a
// number with a K, M or G suffix (optionally followed by B), in powers of 1024.
func ParseSize(s string) (int64, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, "B")
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			s = s[:n-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, false
	}
	return n * mult, true
}

// ParseDuration reads a duration the way Fluent Bit's time properties are written: a bare
// number is seconds ("10", "1.5"); otherwise a Go duration ("10s", "500ms", "1m", "1h").
// "" is def; a negative duration, one above limit, or zero when zeroOK is false, is refused.
func ParseDuration(s string, def, limit time.Duration, zeroOK bool) (time.Duration, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return def, true
	}
	var d time.Duration
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > limit.Seconds() || f != f {
			return 0, false
		}
		d = time.Duration(f * float64(time.Second))
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, false
	}
	if d < 0 || d > limit || (d == 0 && !zeroOK) {
		return 0, false
	}
	return d, true
}
