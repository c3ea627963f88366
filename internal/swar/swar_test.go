package swar

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

func le64(b []byte) (v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// Index2 against a byte loop, over random bytes near the ones it looks for, at every offset.
func TestIndex2AgainstByteLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	alphabet := []byte("a \t=:\x00\x80\xff\x1f!;9\"\\<>")
	for _, pair := range [][2]byte{{'=', ':'}, {' ', '\t'}, {'"', '\\'}} {
		for n := 0; n < 20000; n++ {
			s := make([]byte, r.IntN(40))
			for i := range s {
				s[i] = alphabet[r.IntN(len(alphabet))]
			}
			for from := 0; from <= len(s); from++ {
				want := -1
				for i := from; i < len(s); i++ {
					if s[i] == pair[0] || s[i] == pair[1] {
						want = i - from
						break
					}
				}
				if got := Index2(s[from:], pair[0], pair[1]); got != want {
					t.Fatalf("Index2(%q, %q, %q) = %d, want %d", s[from:], pair[0], pair[1], got, want)
				}
			}
		}
	}
}

// Between against a byte compare, for every byte value in every lane and every bound.
func TestBetween(t *testing.T) {
	for lane := 0; lane < 8; lane++ {
		for c := 0; c < 256; c++ {
			x := uint64(0x41) * Low
			x = x&^(0xff<<(8*lane)) | uint64(c)<<(8*lane)
			for _, b := range [][2]uint64{{'0' - 1, '9' + 1}, {'a' - 1, 'f' + 1}, {0, 128}, {127, 128}} {
				got := Between(x, b[0], b[1])>>(8*lane)&0xff == 0x80
				if want := uint64(c) > b[0] && uint64(c) < b[1]; got != want {
					t.Fatalf("Between(lane %d = %#x, %d, %d) = %v", lane, c, b[0], b[1], got)
				}
			}
		}
	}
}

// Words16 equals a plain zero-padded copy of the key's first 16 bytes.
func TestWords16(t *testing.T) {
	src := []byte("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH")
	for n := 0; n <= 40; n++ {
		var want [16]byte
		copy(want[:], src[:n])
		w0, w1 := Words16(src[:n])
		if w0 != le64(want[:8]) || w1 != le64(want[8:]) {
			t.Fatalf("Words16(%q) = %x %x, want %x %x", src[:n], w0, w1, le64(want[:8]), le64(want[8:]))
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// HexWord against strconv for every byte value in every lane; Hex8 against strconv.
func TestHexWordAndHex8(t *testing.T) {
	for lane := 0; lane < 8; lane++ {
		for c := 0; c < 256; c++ {
			w := []byte("0123abcD")
			w[lane] = byte(c)
			v, ok := HexWord(binary.LittleEndian.Uint64(w))
			if ok != isHex(byte(c)) {
				t.Fatalf("HexWord(%q) ok = %v", w, ok)
			}
			if want, err := strconv.ParseUint(string(w), 16, 32); ok && (err != nil || uint32(want) != v) {
				t.Fatalf("HexWord(%q) = %#x, want %#x", w, v, want)
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100000; i++ {
		v := r.Uint32() >> r.IntN(32)
		var got [8]byte
		binary.LittleEndian.PutUint64(got[:], Hex8(v))
		if want := fmt.Sprintf("%08x", v); string(got[:]) != want {
			t.Fatalf("Hex8(%#x) = %q, want %q", v, got, want)
		}
	}
}

// Parse8Digits and HeadWord against strconv, and refusing a non-digit in any lane.
func TestParse8Digits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 100000; i++ {
		s := fmt.Sprintf("%08d", r.Uint32N(1e8))
		got, ok := Parse8Digits(binary.LittleEndian.Uint64([]byte(s)))
		if want, _ := strconv.ParseUint(s, 10, 64); !ok || got != want {
			t.Fatalf("Parse8Digits(%q) = %d, %v", s, got, ok)
		}
		h := 1 + r.IntN(8)
		got, ok = Parse8Digits(HeadWord([]byte(s), h))
		if want, _ := strconv.ParseUint(s[:h], 10, 64); !ok || got != want {
			t.Fatalf("Parse8Digits(HeadWord(%q, %d)) = %d, %v; want %d", s, h, got, ok, want)
		}
	}
	for lane := 0; lane < 8; lane++ {
		for c := 0; c < 256; c++ {
			if c >= '0' && c <= '9' {
				continue
			}
			w := []byte("12345678")
			w[lane] = byte(c)
			if v, ok := Parse8Digits(binary.LittleEndian.Uint64(w)); ok {
				t.Fatalf("Parse8Digits(%q) = %d, want refusal", w, v)
			}
		}
	}
}

// DecWord's multiply-and-shift divisions are exact over their lanes' ranges (which, with
// lanes that cannot carry into each other, makes DecWord exact); its digits are checked
// against an odometer over the low range and against strconv on random values.
func TestDecWord(t *testing.T) {
	for x := uint64(0); x < 10000; x++ {
		if x*10486>>20 != x/100 {
			t.Fatalf("lane division by 100 is wrong at %d", x)
		}
	}
	for x := uint64(0); x < 100; x++ {
		if x*103>>10 != x/10 {
			t.Fatalf("lane division by 10 is wrong at %d", x)
		}
	}
	var digits [8]byte // the odometer: digits of v, most significant first
	for v := uint32(0); v < 2e6; v++ {
		if got := DecWord(v); got != le64(digits[:]) {
			t.Fatalf("DecWord(%d) = %016x, want %016x", v, got, le64(digits[:]))
		}
		for i := 7; i >= 0; i-- {
			if digits[i]++; digits[i] < 10 {
				break
			}
			digits[i] = 0
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		v := r.Uint32N(1e8)
		var want [8]byte
		copy(want[:], fmt.Sprintf("%08d", v))
		if got := DecWord(v) + Low*'0'; got != le64(want[:]) {
			t.Fatalf("DecWord(%d) = %016x, want %016x", v, got, le64(want[:]))
		}
	}
}
