package parser

import (
	"encoding/binary"
	"math/bits"
	"strconv"
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
		hi, ok1 := hexWord(binary.LittleEndian.Uint64(s))
		lo, ok2 := hexWord(binary.LittleEndian.Uint64(s[8:]))
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

// hexWord reads eight hex digits loaded little-endian (the first digit in the low byte), all
// in parallel within the word, and reports whether all eight are hex digits.
func hexWord(x uint64) (uint32, bool) {
	ok := byteBetween(x, '0'-1, '9'+1)|byteBetween(x|lowBits*0x20, 'a'-1, 'f'+1) == highBits
	n := x&(lowBits*0x0f) + x>>6&lowBits*9 // each byte's value: letters have bit 6 set, and 'a'&0xf is 1
	n = (n<<4 | n>>8) & 0x00FF00FF00FF00FF // pairs of digits, the first one high
	n = (n<<8 | n>>16) & 0x0000FFFF0000FFFF
	n = n<<16 | n>>32
	return uint32(n), ok
}

// byteBetween returns 0x80 in each byte b of x with lo < b < hi, and 0 in the others. Each
// byte is computed from its own low seven bits, so no carry or borrow crosses bytes; it needs
// 0 <= lo <= 127 and 0 <= hi <= 128.
func byteBetween(x uint64, lo, hi uint64) uint64 {
	const low7 = lowBits * 0x7f
	x7 := x & low7
	return (lowBits*(127+hi) - x7) & ^x & (x7 + lowBits*(127-lo)) & highBits
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
			head, ok = parse8Digits(headWord(s, h))
		} else {
			head, ok = parseDigits19(s[:h])
		}
		d1, ok1 := parse8Digits(binary.LittleEndian.Uint64(s[len(s)-16:]))
		d2, ok2 := parse8Digits(binary.LittleEndian.Uint64(s[len(s)-8:]))
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
	last, ok := parse8Digits(le.Uint64(s[n-8:]))
	switch {
	case n == 8:
		return last, ok
	case n <= 16:
		head, okHead := parse8Digits(headWord(s, n-8))
		return head*1e8 + last, ok && okHead
	}
	mid, okMid := parse8Digits(le.Uint64(s[n-16:]))
	head, okHead := parse8Digits(headWord(s, n-16))
	return head*1e16 + mid*1e8 + last, ok && okMid && okHead
}

// headWord returns the first h (1..8) digits of s, which holds at least eight bytes, as a
// word of eight digits for parse8Digits: the first eight bytes shifted so only those digits
// remain, '0'-filled in front.
func headWord(s []byte, h int) uint64 {
	sh := 8 * uint(8-h)
	return binary.LittleEndian.Uint64(s)<<sh | zeroDigits>>(64-sh)
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
	for ; len(s) >= 8; s = s[8:] {
		if _, ok := hexWord(binary.LittleEndian.Uint64(s)); !ok {
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
	dst = binary.LittleEndian.AppendUint64(dst, hex8(uint32(v>>32)))
	return binary.LittleEndian.AppendUint64(dst, hex8(uint32(v)))
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

// appendDec64Str appends v in decimal as a msgpack str. The digits are computed a word of
// eight at a time (decWord) and appended as words, with no intermediate buffer.
func appendDec64Str(dst []byte, v uint64) []byte {
	const ascii = lowBits * '0'
	var mid, low uint64 // the lower blocks of eight digits, when v has them
	full := 0           // how many of them
	if v >= 1e8 {
		q := v / 1e8
		low, v, full = decWord(uint32(v-q*1e8)), q, 1
		if v >= 1e8 {
			q = v / 1e8
			mid, v, full = decWord(uint32(v-q*1e8)), q, 2
		}
	}
	// The leading block (v < 1e8 now, below 1845 when there are two blocks after it) loses
	// its leading zeros, which sit in its low bytes; a zero v keeps one digit.
	top := decWord(uint32(v))
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

// decWord returns the eight decimal digits of v (< 1e8), leading zeros included, one digit
// value (0-9, not ASCII) per byte, the most significant in the lowest byte. The divisions
// run in SWAR lanes: by 100 in two 32-bit lanes, then by 10 in four 16-bit lanes, each a
// multiply and shift that is exact over the lane's range (pinned by a test).
func decWord(v uint32) uint64 {
	hi := v / 10000
	x := uint64(hi) | uint64(v-hi*10000)<<32 // two lanes < 10000: digits 1-4, 5-8
	q := x * 10486 >> 20 & 0x0000007F0000007F
	x = q | (x-q*100)<<16 // four lanes < 100
	q = x * 103 >> 10 & 0x000F000F000F000F
	return q | (x-q*10)<<8
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
