package parser

import (
	"encoding/binary"
	"math/bits"
	"strconv"

	"github.com/tracelink/tracelink/internal/swar"
)

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
	if len(s) == 16 { // the usual length: two words
		hi, ok1 := swar.HexWord(binary.LittleEndian.Uint64(s))
		lo, ok2 := swar.HexWord(binary.LittleEndian.Uint64(s[8:]))
		return uint64(hi)<<32 | uint64(lo), ok1 && ok2
	}
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
		v, ok := parseDigits19(s)
		return traceID{lo: v}, ok
	}
	if len(s) <= 35 {
		// head * 10^16 + the last 16 digits: the three parts are read independently, and the
		// head (at most 19 digits) times 10^16 stays below 2^127.
		var head uint64
		var ok bool
		if h := len(s) - 16; h <= 8 {
			head, ok = swar.Parse8Digits(swar.HeadWord(s, h))
		} else {
			head, ok = parseDigits19(s[:h])
		}
		d1, ok1 := swar.Parse8Digits(binary.LittleEndian.Uint64(s[len(s)-16:]))
		d2, ok2 := swar.Parse8Digits(binary.LittleEndian.Uint64(s[len(s)-8:]))
		if !ok || !ok1 || !ok2 {
			return traceID{}, false
		}
		hi, lo := bits.Mul64(head, 1e16)
		lo, carry := bits.Add64(lo, d1*1e8+d2, 0)
		return traceID{hi: hi + carry, lo: lo}, true
	}
	// The first 19 digits fit in a uint64; the rest need 128-bit steps.
	lo, ok := parseDigits19(s[:19])
	if !ok {
		return traceID{}, false
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

// parseDigits19 reads 1..19 decimal digits (which always fit in a uint64), eight at a time
// and independently: the last eight, the eight before them, and a head of the rest read as a
// word of eight with leading '0's.
func parseDigits19(s []byte) (uint64, bool) {
	n := len(s)
	if n < 8 {
		var v uint64
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + uint64(c-'0')
		}
		return v, n > 0
	}
	le := binary.LittleEndian
	last, ok := swar.Parse8Digits(le.Uint64(s[n-8:]))
	switch {
	case n == 8:
		return last, ok
	case n <= 16:
		head, okHead := swar.Parse8Digits(swar.HeadWord(s, n-8))
		return head*1e8 + last, ok && okHead
	}
	mid, okMid := swar.Parse8Digits(le.Uint64(s[n-16:]))
	head, okHead := swar.Parse8Digits(swar.HeadWord(s, n-16))
	return head*1e16 + mid*1e8 + last, ok && okMid && okHead
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

// lowerHex reports whether s is non-empty and only lowercase hex digits (W3C's HEXDIGLC).
func lowerHex(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for ; len(s) >= 8; s = s[8:] {
		x := binary.LittleEndian.Uint64(s)
		if swar.Between(x, '0'-1, '9'+1)|swar.Between(x, 'a'-1, 'f'+1) != swar.High {
			return false
		}
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func allHex(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for ; len(s) >= 8; s = s[8:] {
		if _, ok := swar.HexWord(binary.LittleEndian.Uint64(s)); !ok {
			return false
		}
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
	if len(s) == 16 || len(s) == 32 {
		if t, ok := parseHex128(s); ok {
			return t, true
		}
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
	if len(s) == 16 {
		if v, ok := parseHex64(s); ok {
			return v, true
		}
	}
	if len(s) < minAutoDecimalDigits {
		return 0, false
	}
	return parseDec64(s)
}

// appendHex64 appends v as 16 lowercase hex digits, written as two words straight into dst.
func appendHex64(dst []byte, v uint64) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, swar.Hex8(uint32(v>>32)))
	return binary.LittleEndian.AppendUint64(dst, swar.Hex8(uint32(v)))
}

func appendTraceHex(dst []byte, t traceID) []byte {
	return appendHex64(appendHex64(dst, t.hi), t.lo)
}

// appendDec64Str appends v in decimal as a msgpack str. The digits are computed a word of
// eight at a time (decWord) and appended as words, with no intermediate buffer.
func appendDec64Str(dst []byte, v uint64) []byte {
	const ascii = swar.Low * '0'
	var mid, low uint64 // the lower blocks of eight digits, when v has them
	full := 0           // how many of them
	if v >= 1e8 {
		q := v / 1e8
		low, v, full = swar.DecWord(uint32(v-q*1e8)), q, 1
		if v >= 1e8 {
			q = v / 1e8
			mid, v, full = swar.DecWord(uint32(v-q*1e8)), q, 2
		}
	}
	// The leading block (v < 1e8 now, below 1845 when there are two blocks after it) loses
	// its leading zeros, which sit in its low bytes; a zero v keeps one digit.
	top := swar.DecWord(uint32(v))
	k := 8 - bits.TrailingZeros64(top|1<<56)>>3
	dst = append(dst, 0xa0|byte(k+8*full))
	n := len(dst)
	dst = binary.LittleEndian.AppendUint64(dst, (top+ascii)>>(8*(8-k)))[:n+k]
	if full == 2 {
		dst = binary.LittleEndian.AppendUint64(dst, mid+ascii)
	}
	if full >= 1 {
		dst = binary.LittleEndian.AppendUint64(dst, low+ascii)
	}
	return dst
}

// floatDamaged reports whether an id that arrived as a number above 2^53 carries the
// signature of a JSON layer that parsed it as a double and lost its low digits: it is
// exactly a float64 value (a double printed in full), or it is the shortest decimal that
// reads back as its nearest double (what JavaScript's JSON.stringify and Go's encoding/json
// print: the lost digits come out as zeros). About one genuine 63-bit id in a hundred looks
// like this too and is refused with them: no link rather than a wrong one.
func floatDamaged(v uint64) bool {
	if v <= 1<<53 {
		return false
	}
	f := float64(v)
	if f < 0x1p64 && uint64(f) == v {
		return true
	}
	var digits [20]byte
	var shortest [24]byte
	return string(strconv.AppendUint(digits[:0], v, 10)) == string(strconv.AppendFloat(shortest[:0], f, 'f', -1, 64))
}
