package parser

import (
	"encoding/binary"
	"math/bits"
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

// parseDigits19 reads 1..19 decimal digits (which always fit in a uint64), eight at a time:
// a head of len%8 digits is read as a word of eight with leading '0's.
func parseDigits19(s []byte) (uint64, bool) {
	if len(s) < 8 {
		var v uint64
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + uint64(c-'0')
		}
		return v, len(s) > 0
	}
	var v uint64
	i := len(s) & 7
	if i != 0 {
		// The first eight bytes, shifted so only the head's digits remain, '0'-filled in front.
		sh := 8 * uint(8-i)
		d, ok := parse8Digits(binary.LittleEndian.Uint64(s)<<sh | zeroDigits>>(64-sh))
		if !ok {
			return 0, false
		}
		v = d
	}
	for ; i+8 <= len(s); i += 8 {
		d, ok := parse8Digits(binary.LittleEndian.Uint64(s[i:]))
		if !ok {
			return 0, false
		}
		v = v*100_000_000 + d
	}
	return v, true
}

// zeroDigits is '0' in every byte of a word.
const zeroDigits = 0x3030303030303030

// parse8Digits reads eight ASCII decimal digits loaded little-endian (the first digit in the
// low byte), all in parallel within the word.
func parse8Digits(x uint64) (uint64, bool) {
	const (
		highNibbles = 0xF0F0F0F0F0F0F0F0
		zeros       = zeroDigits
	)
	// Every byte must be '0'..'9': high nibble 3, and adding 6 must not carry out of the nibble.
	if x&highNibbles != zeros || (x+0x0606060606060606)&highNibbles != zeros {
		return 0, false
	}
	x -= zeros
	x = x*10 + x>>8 // pairs of digits
	x = ((x&0x000000FF000000FF)*(100+1000000<<32) + (x>>16&0x000000FF000000FF)*(1+10000<<32)) >> 32
	return x, true
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

// appendHex64 appends v as 16 lowercase hex digits.
func appendHex64(dst []byte, v uint64) []byte {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], hex8(uint32(v>>32)))
	binary.LittleEndian.PutUint64(b[8:], hex8(uint32(v)))
	return append(dst, b[:]...)
}

// hex8 returns the eight lowercase hex digits of v as a word whose low byte is the first digit.
func hex8(v uint32) uint64 {
	x := uint64(v)
	// Spread the nibbles one per byte: nibble i (from the lowest) in byte i.
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	// '0'+d for every byte, plus 'a'-'0'-10 where d > 9 (adding 6 carries into bit 4).
	above9 := (x + 0x0606060606060606) >> 4 & 0x0101010101010101
	x += 0x3030303030303030 + above9*('a'-'0'-10)
	return bits.ReverseBytes64(x)
}

func appendTraceHex(dst []byte, t traceID) []byte {
	return appendHex64(appendHex64(dst, t.hi), t.lo)
}

// appendDec64Str appends v in decimal as a msgpack str.
func appendDec64Str(dst []byte, v uint64) []byte {
	var b [20]byte
	i := formatDec64(&b, v)
	return append(append(dst, 0xa0|byte(len(b)-i)), b[i:]...)
}

// decPairs holds the two decimal digits of 0..99.
const decPairs = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" +
	"30313233343536373839" + "40414243444546474849" + "50515253545556575859" +
	"60616263646566676869" + "70717273747576777879" + "80818283848586878889" + "90919293949596979899"

// formatDec64 writes v in decimal at the end of b and returns where the digits start.
// Blocks of eight digits are split off with one 64-bit division each, then written with
// 32-bit arithmetic, two digits at a time.
func formatDec64(b *[20]byte, v uint64) int {
	i := len(b)
	for v >= 1e8 {
		q := v / 1e8
		put8Digits(b, i-8, uint32(v-q*1e8))
		i -= 8
		v = q
	}
	w := uint32(v)
	for w >= 100 {
		q := w / 100
		r := (w - q*100) * 2
		i -= 2
		b[i], b[i+1] = decPairs[r], decPairs[r+1]
		w = q
	}
	if w >= 10 {
		i -= 2
		b[i], b[i+1] = decPairs[w*2], decPairs[w*2+1]
	} else {
		i--
		b[i] = byte('0' + w)
	}
	return i
}

// put8Digits writes v (< 1e8) as exactly eight digits at b[i:i+8].
func put8Digits(b *[20]byte, i int, v uint32) {
	hi, lo := v/10000, v%10000
	p0, p1, p2, p3 := hi/100*2, hi%100*2, lo/100*2, lo%100*2
	_ = b[i+7]
	b[i], b[i+1] = decPairs[p0], decPairs[p0+1]
	b[i+2], b[i+3] = decPairs[p1], decPairs[p1+1]
	b[i+4], b[i+5] = decPairs[p2], decPairs[p2+1]
	b[i+6], b[i+7] = decPairs[p3], decPairs[p3+1]
}

// floatDamaged reports whether an id that arrived as a number above 2^53 is exactly a
// float64 value: the signature of a JSON layer that parsed it as a double and lost digits.
func floatDamaged(v uint64) bool {
	if v <= 1<<53 {
		return false
	}
	return uint64(float64(v)) == v
}
