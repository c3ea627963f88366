package parser

// The hand-tuned fast paths of the hot loop (digits, hex, key words, civil time) against
// the standard library.

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// The decimal fast paths (eight digits at a time, two digits at a time) against strconv.
func TestDecimalDigits(t *testing.T) {
	values := []uint64{0, 1, 9, 10, 99, 100, 12345678, 99999999, 100000000, 1234567890123456789,
		9999999999999999999, math.MaxUint64, 1 << 63, 18446744073709551599}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		values = append(values, r.Uint64()>>(r.IntN(64)))
	}
	for _, v := range values {
		s := strconv.FormatUint(v, 10)
		if got := appendDec64Str(nil, v); got[0] != 0xa0|byte(len(s)) || string(got[1:]) != s {
			t.Fatalf("appendDec64Str(%d) = %q", v, got)
		}
		got, ok := parseDec64([]byte(s))
		if !ok || got != v {
			t.Fatalf("parseDec64(%q) = %d, %v", s, got, ok)
		}
	}
	// A non-digit anywhere (each position, each 8-digit block, bytes next to '0' and '9').
	for n := 1; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for _, c := range []byte{'/', ':', ' ', 'a', '0' + 0x80, 0xff, '0' - 0x10, '9' + 0x10} {
				b := []byte("12345678901234567890"[:n])
				b[pos] = c
				if v, ok := parseDec64(b); ok {
					t.Fatalf("parseDec64(%q) = %d, want refusal", b, v)
				}
			}
		}
	}
	if _, ok := parseDec64([]byte("18446744073709551616")); ok {
		t.Fatal("parseDec64 accepted 2^64")
	}
}

func TestAppendHex64(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		v := r.Uint64() >> r.IntN(64)
		want := strconv.FormatUint(v, 16)
		want = "0000000000000000"[len(want):] + want
		if got := string(appendHex64(nil, v)); got != want {
			t.Fatalf("appendHex64(%#x) = %q, want %q", v, got, want)
		}
	}
}

// The text scan skips keys that start with a digit without classifying them.
func TestNoKeyStartsWithDigit(t *testing.T) {
	for _, m := range []map[string]field{detectorKeys(false), metaFields, detectorKeys(true)} {
		for k := range m {
			if k[0] >= '0' && k[0] <= '9' {
				t.Errorf("key %q starts with a digit: scanText would never see it", k)
			}
		}
	}
}

// daysFromCivil and parseZonedTime against the time package, over years 0001-9999.
func TestCivilTimeAgainstTimePackage(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20000; i++ {
		want := time.Unix(r.Int64N(253402300799+62135596800)-62135596800, r.Int64N(1e9)).UTC()
		if got := daysFromCivil(int64(want.Year()), int64(want.Month()), int64(want.Day())); got*86400 != want.Unix()-int64(want.Hour()*3600+want.Minute()*60+want.Second()) {
			t.Fatalf("daysFromCivil(%s) = %d", want.Format(time.DateOnly), got)
		}
		zone := time.FixedZone("", (r.IntN(47)-23)*1800)
		text := want.In(zone).Format(time.RFC3339Nano)
		et, n, ok := parseZonedTime([]byte(text))
		if !ok || n != len(text) || et.Sec != want.Unix() || et.Nsec != int64(want.Nanosecond()) {
			t.Fatalf("parseZonedTime(%q) = %+v, %d, %v; want %d.%09d", text, et, n, ok, want.Unix(), want.Nanosecond())
		}
	}
}

// parseDec128 against math/big, for every length from 1 to 41 digits, with leading zeros,
// at the 2^128 limit, and with one byte that is not a digit.
func TestParseDec128AgainstBig(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	check := func(s string) {
		t.Helper()
		got, ok := parseDec128([]byte(s))
		want, isNum := new(big.Int).SetString(s, 10)
		wantOK := isNum && len(s) <= 39 && want.Cmp(limit) < 0 && s[0] != '+' && s[0] != '-'
		if ok != wantOK {
			t.Fatalf("parseDec128(%q) ok = %v, want %v", s, ok, wantOK)
		}
		if ok {
			g := new(big.Int).Lsh(new(big.Int).SetUint64(got.hi), 64)
			g.Or(g, new(big.Int).SetUint64(got.lo))
			if g.Cmp(want) != 0 {
				t.Fatalf("parseDec128(%q) = %s", s, g)
			}
		}
	}
	check(limit.String())                                           // 2^128: refused
	check(new(big.Int).Sub(limit, big.NewInt(1)).String())          // 2^128-1
	check("0000000000000000000000000000000000000000000000001"[:39]) // leading zeros
	for n := 1; n <= 41; n++ {
		for i := 0; i < 3000; i++ {
			b := make([]byte, n)
			for j := range b {
				b[j] = byte('0' + r.IntN(10))
			}
			if i%3 == 0 {
				b[r.IntN(n)] = "/:a \x00\xff9"[r.IntN(7)]
			}
			check(string(b))
		}
	}
}

// parseHex64 / parseHex128 / allHex against strconv and byte loops on random input (the
// word-at-a-time HexWord itself is tested in internal/swar).
func TestParseHexAgainstByteLoops(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	alphabet := []byte("0123456789abcdefABCDEFgG/:@`\x00\xb0")
	for n := 0; n < 50000; n++ {
		b := make([]byte, r.IntN(34))
		for i := range b {
			if r.IntN(20) == 0 {
				b[i] = alphabet[16+r.IntN(len(alphabet)-16)]
			} else {
				b[i] = alphabet[r.IntN(22)]
			}
		}
		hex := len(b) > 0
		for _, c := range b {
			hex = hex && isHexByte(c)
		}
		if got := allHex(b); got != hex {
			t.Fatalf("allHex(%q) = %v", b, got)
		}
		if len(b) <= 16 {
			v, ok := parseHex64(b)
			want, err := strconv.ParseUint(string(b), 16, 64)
			if ok != hex || ok && (err != nil || v != want) {
				t.Fatalf("parseHex64(%q) = %#x, %v; want %#x, %v", b, v, ok, want, hex)
			}
		}
		if len(b) > 16 && len(b) <= 32 {
			id, ok := parseHex128(b)
			hi, errHi := strconv.ParseUint(string(b[:len(b)-16]), 16, 64)
			lo, errLo := strconv.ParseUint(string(b[len(b)-16:]), 16, 64)
			if ok != hex || ok && (errHi != nil || errLo != nil || id != (traceID{hi, lo})) {
				t.Fatalf("parseHex128(%q) = %+v, %v", b, id, ok)
			}
		}
	}
}
