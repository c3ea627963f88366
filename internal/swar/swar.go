// Package swar holds the word-at-a-time ("SIMD within a register") helpers of the parser's
// hot paths: finding one of two bytes eight bytes at a time, classifying the bytes of a
// word, loading a short key as words, and converting eight digits at once. Each is tested
// against the plain byte loop it replaces (swar_test.go); the parser's goal benchmarks
// say where they pay (README, Performance).
//
// Words are loaded little-endian: the first byte of the input is the lowest byte of the
// word.
package swar

import (
	"encoding/binary"
	"math/bits"
)

const (
	// Low has 0x01 in every byte; Low*c has c in every byte.
	Low = 0x0101010101010101
	// High has 0x80 in every byte.
	High = 0x8080808080808080
	// zeroDigits is '0' in every byte.
	zeroDigits = Low * '0'
)

// Flag2 sets the high bit of each byte of x that equals a or b. The lowest flagged byte is
// exact; flags above it may be false (a borrow runs on from a matching byte), so callers
// use only the lowest.
func Flag2(x uint64, a, b byte) uint64 {
	xa, xb := x^(Low*uint64(a)), x^(Low*uint64(b))
	return ((xa-Low)&^xa | (xb-Low)&^xb) & High
}

// Index2 returns the index of the first a or b in s, or -1.
func Index2(s []byte, a, b byte) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if m := Flag2(binary.LittleEndian.Uint64(s[i:]), a, b); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(s); i++ {
		if s[i] == a || s[i] == b {
			return i
		}
	}
	return -1
}

// Between returns 0x80 in each byte c of x with lo < c < hi, and 0 in the others. Each
// byte is computed from its own low seven bits, so no carry or borrow crosses bytes; it
// needs 0 <= lo <= 127 and 0 <= hi <= 128.
func Between(x uint64, lo, hi uint64) uint64 {
	const low7 = Low * 0x7f
	x7 := x & low7
	return (Low*(127+hi) - x7) & ^x & (x7 + Low*(127-lo)) & High
}

// Words16 returns the first 16 bytes of key (at most 40 bytes long) as two words,
// zero-padded, reading the key with word loads only.
func Words16(key []byte) (w0, w1 uint64) {
	le := binary.LittleEndian
	switch n := len(key); {
	case n >= 16:
		return le.Uint64(key), le.Uint64(key[8:])
	case n >= 8:
		// The last eight bytes overlap the first eight; shift the overlap out.
		return le.Uint64(key), le.Uint64(key[n-8:]) >> (8 * (16 - n))
	case n >= 4:
		return uint64(le.Uint32(key)) | uint64(le.Uint32(key[n-4:]))<<(8*(n-4)), 0
	}
	for i, c := range key {
		w0 |= uint64(c) << (8 * i)
	}
	return w0, 0
}

// HexWord reads the eight hex digits of a word, all in parallel, and reports whether all
// eight are hex digits (either case).
func HexWord(x uint64) (uint32, bool) {
	ok := Between(x, '0'-1, '9'+1)|Between(x|Low*0x20, 'a'-1, 'f'+1) == High
	n := x&(Low*0x0f) + x>>6&Low*9         // each byte's value: letters have bit 6 set, and 'a'&0xf is 1
	n = (n<<4 | n>>8) & 0x00FF00FF00FF00FF // pairs of digits, the first one high
	n = (n<<8 | n>>16) & 0x0000FFFF0000FFFF
	n = n<<16 | n>>32
	return uint32(n), ok
}

// Hex8 returns the eight lowercase hex digits of v as a word whose low byte is the first
// digit.
func Hex8(v uint32) uint64 {
	x := uint64(v)
	// Spread the nibbles one per byte: nibble i (from the lowest) in byte i.
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	// '0'+d for every byte, plus 'a'-'0'-10 where d > 9 (adding 6 carries into bit 4).
	above9 := (x + 0x0606060606060606) >> 4 & Low
	x += zeroDigits + above9*('a'-'0'-10)
	return bits.ReverseBytes64(x)
}

// Parse8Digits reads the eight ASCII decimal digits of a word, all in parallel.
func Parse8Digits(x uint64) (uint64, bool) {
	const highNibbles = 0xF0F0F0F0F0F0F0F0
	// Every byte must be '0'..'9': high nibble 3, and adding 6 must not carry out of the nibble.
	if x&highNibbles != zeroDigits || (x+0x0606060606060606)&highNibbles != zeroDigits {
		return 0, false
	}
	x -= zeroDigits
	x = x*10 + x>>8 // pairs of digits
	x = ((x&0x000000FF000000FF)*(100+1000000<<32) + (x>>16&0x000000FF000000FF)*(1+10000<<32)) >> 32
	return x, true
}

// HeadWord returns the first h (1..8) digits of s, which holds at least eight bytes, as a
// word of eight digits for Parse8Digits: the first eight bytes shifted so only those
// digits remain, '0'-filled in front.
func HeadWord(s []byte, h int) uint64 {
	sh := 8 * uint(8-h)
	return binary.LittleEndian.Uint64(s)<<sh | zeroDigits>>(64-sh)
}

// DecWord returns the eight decimal digits of v (< 1e8), leading zeros included, one digit
// value (0-9, not ASCII) per byte, the most significant in the lowest byte. The divisions
// run in lanes: by 100 in two 32-bit lanes, then by 10 in four 16-bit lanes, each a
// multiply and shift that is exact over the lane's range (pinned by a test).
func DecWord(v uint32) uint64 {
	hi := v / 10000
	x := uint64(hi) | uint64(v-hi*10000)<<32 // two lanes < 10000: digits 1-4, 5-8
	q := x * 10486 >> 20 & 0x0000007F0000007F
	x = q | (x-q*100)<<16 // four lanes < 100
	q = x * 103 >> 10 & 0x000F000F000F000F
	return q | (x-q*10)<<8
}
