package parser

import "math/bits"

// traceID is a 128-bit trace id; zero means "no trace".
type traceID struct{ hi, lo uint64 }

func (t traceID) isZero() bool { return t.hi|t.lo == 0 }

// radix says how an id string is read.
type radix uint8

const (
	radixAuto    radix = iota // hex when the length is 16 or 32 hex digits, else decimal digits
	radixHex                  // hex only
	radixDecimal              // decimal only (Datadog spans)
	radixDatadog              // Datadog trace: exactly 32 characters -> hex, otherwise decimal
)

// hexTable maps a byte to its hex digit value, or 0xff.
var hexTable = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

func hexVal(c byte) (uint64, bool) {
	v := hexTable[c]
	return uint64(v), v != 0xff
}

// parseHex64 reads 1..16 hex digits.
func parseHex64(s []byte) (uint64, bool) {
	if len(s) == 0 || len(s) > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range s {
		d := hexTable[c]
		if d == 0xff {
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}

// parseHex128 reads 1..32 hex digits, left-padding to 128 bits.
func parseHex128(s []byte) (traceID, bool) {
	if len(s) == 0 || len(s) > 32 {
		return traceID{}, false
	}
	if len(s) <= 16 {
		lo, ok := parseHex64(s)
		return traceID{lo: lo}, ok
	}
	hi, ok1 := parseHex64(s[:len(s)-16])
	lo, ok2 := parseHex64(s[len(s)-16:])
	return traceID{hi, lo}, ok1 && ok2
}

// parseDec128 reads 1..39 decimal digits that fit in 128 bits.
func parseDec128(s []byte) (traceID, bool) {
	if len(s) == 0 || len(s) > 39 {
		return traceID{}, false
	}
	if len(s) <= 19 { // fits in uint64 without overflow checks
		var v uint64
		for _, c := range s {
			if c < '0' || c > '9' {
				return traceID{}, false
			}
			v = v*10 + uint64(c-'0')
		}
		return traceID{lo: v}, true
	}
	// The first 19 digits fit in a uint64; the rest need 128-bit steps.
	var lo uint64
	for _, c := range s[:19] {
		if c < '0' || c > '9' {
			return traceID{}, false
		}
		lo = lo*10 + uint64(c-'0')
	}
	var hi uint64
	for _, c := range s[19:] {
		if c < '0' || c > '9' {
			return traceID{}, false
		}
		// (hi,lo) = (hi,lo)*10 + d
		h1, l := bits.Mul64(lo, 10)
		h2, h := bits.Mul64(hi, 10)
		if h2 != 0 {
			return traceID{}, false
		}
		h, carry := bits.Add64(h, h1, 0)
		if carry != 0 {
			return traceID{}, false
		}
		l, carry = bits.Add64(l, uint64(c-'0'), 0)
		h, carry = bits.Add64(h, 0, carry)
		if carry != 0 {
			return traceID{}, false
		}
		hi, lo = h, l
	}
	return traceID{hi, lo}, true
}

// parseDec64 reads 1..20 decimal digits that fit in 64 bits.
func parseDec64(s []byte) (uint64, bool) {
	t, ok := parseDec128(s)
	if !ok || t.hi != 0 || len(s) > 20 {
		return 0, false
	}
	return t.lo, true
}

func allDigits(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func allHex(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if hexTable[c] == 0xff {
			return false
		}
	}
	return true
}

// parseTraceString reads a trace id written as text under the given radix rule.
func parseTraceString(s []byte, r radix) (traceID, bool) {
	switch r {
	case radixHex:
		if len(s) != 16 && len(s) != 32 {
			return traceID{}, false
		}
		return parseHex128(s)
	case radixDecimal:
		return parseDec128(s)
	case radixDatadog:
		if len(s) == 32 {
			return parseHex128(s)
		}
		return parseDec128(s)
	}
	// auto
	if (len(s) == 16 || len(s) == 32) && allHex(s) {
		return parseHex128(s)
	}
	if len(s) < minAutoDecimalDigits {
		return traceID{}, false
	}
	return parseDec128(s)
}

// minAutoDecimalDigits: under keys whose radix is not fixed (trace_id, traceId ...), a decimal
// id is accepted only when it is as long as a random 64-bit id practically always is. A short
// number there ("traceId": 42) is a counter, and linking it would be a wrong link.
const minAutoDecimalDigits = 10

// parseSpanString reads a span id written as text under the given radix rule.
func parseSpanString(s []byte, r radix) (uint64, bool) {
	switch r {
	case radixHex:
		if len(s) != 16 {
			return 0, false
		}
		return parseHex64(s)
	case radixDecimal, radixDatadog:
		return parseDec64(s)
	}
	if len(s) == 16 && allHex(s) {
		return parseHex64(s)
	}
	if len(s) < minAutoDecimalDigits {
		return 0, false
	}
	return parseDec64(s)
}

const hexDigits = "0123456789abcdef"

// hexPairs holds the two lowercase hex digits of every byte value.
var hexPairs = func() (t [512]byte) {
	for i := 0; i < 256; i++ {
		t[2*i], t[2*i+1] = hexDigits[i>>4], hexDigits[i&0xf]
	}
	return t
}()

func appendHex64(dst []byte, v uint64) []byte {
	var b [16]byte
	for i := 14; i >= 0; i -= 2 {
		p := (v & 0xff) * 2
		b[i], b[i+1] = hexPairs[p], hexPairs[p+1]
		v >>= 8
	}
	return append(dst, b[:]...)
}

func appendTraceHex(dst []byte, t traceID) []byte {
	return appendHex64(appendHex64(dst, t.hi), t.lo)
}

func appendDec64(dst []byte, v uint64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// appendDec64Str appends v in decimal as a msgpack str.
func appendDec64Str(dst []byte, v uint64) []byte {
	var b [21]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	i--
	b[i] = 0xa0 | byte(len(b)-1-i)
	return append(dst, b[i:]...)
}

// floatDamaged reports whether an id that arrived as a number above 2^53 is exactly a
// float64 value: the signature of a JSON layer that parsed it as a double and lost digits.
func floatDamaged(v uint64) bool {
	if v <= 1<<53 {
		return false
	}
	return uint64(float64(v)) == v
}
