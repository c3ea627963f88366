package jsonmp

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"
)

// AppendJSON renders one msgpack value as compact JSON, appending to dst, and returns the
// rest of the msgpack input.
//
//   - maps keep their msgpack key order; a non-string key is rendered as its JSON text
//     inside a string (1 -> "1", nil -> "null");
//   - integers are exact (the full int64 and uint64 ranges);
//   - floats use the shortest form that reads back to the same value, as encoding/json
//     writes them, with ".0" added to integral values so they read back as floats
//     (3.0 stays 3.0, not 3); NaN and ±Inf, which JSON cannot hold, become null;
//   - bin is a base64 string; an ext is {"$ext": type, "data": "<base64>"}; nil is null;
//   - strings are escaped as encoding/json does without HTML escaping: invalid UTF-8
//     bytes become \ufffd, U+2028 and U+2029 are escaped.
//
// On error out is dst unchanged and rest is nil.
func AppendJSON(dst, msgpack []byte) (out, rest []byte, err error) {
	start := len(dst)
	out, rest, err = appendJSONValue(dst, msgpack, msgpack, 0)
	if err != nil {
		return dst[:start], nil, err
	}
	return out, rest, nil
}

// mpErr wraps a msgpack read error with its offset in the whole input.
func mpErr(all, at []byte, err error) error {
	return fmt.Errorf("jsonmp: msgpack at offset %d: %w", len(all)-len(at), err)
}

func appendJSONValue(dst, all, b []byte, depth int) ([]byte, []byte, error) {
	if len(b) == 0 {
		return dst, b, mpErr(all, b, msgp.ErrShortBytes)
	}
	c := b[0]
	switch {
	case c <= 0x7f || c >= 0xe0 || (c >= 0xd0 && c <= 0xd3):
		v, o, err := msgp.ReadInt64Bytes(b)
		if err != nil {
			return dst, b, mpErr(all, b, err)
		}
		return strconv.AppendInt(dst, v, 10), o, nil
	case c >= 0xcc && c <= 0xcf:
		v, o, err := msgp.ReadUint64Bytes(b)
		if err != nil {
			return dst, b, mpErr(all, b, err)
		}
		return strconv.AppendUint(dst, v, 10), o, nil
	case c == 0xc0:
		return append(dst, "null"...), b[1:], nil
	case c == 0xc2:
		return append(dst, "false"...), b[1:], nil
	case c == 0xc3:
		return append(dst, "true"...), b[1:], nil
	case c == 0xca:
		f, o, err := msgp.ReadFloat32Bytes(b)
		if err != nil {
			return dst, b, mpErr(all, b, err)
		}
		return appendFloat(dst, float64(f), 32), o, nil
	case c == 0xcb:
		f, o, err := msgp.ReadFloat64Bytes(b)
		if err != nil {
			return dst, b, mpErr(all, b, err)
		}
		return appendFloat(dst, f, 64), o, nil
	case (c >= 0xa0 && c <= 0xbf) || (c >= 0xd9 && c <= 0xdb):
		s, o, err := msgp.ReadStringZC(b)
		if err != nil {
			return dst, b, mpErr(all, b, err)
		}
		return AppendQuoted(dst, s), o, nil
	case c >= 0xc4 && c <= 0xc6:
		s, o, err := msgp.ReadBytesZC(b)
		if err != nil {
			return dst, b, mpErr(all, b, err)
		}
		return appendBase64(dst, s), o, nil
	case (c >= 0x90 && c <= 0x9f) || c == 0xdc || c == 0xdd:
		return appendJSONArray(dst, all, b, depth+1)
	case (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf:
		return appendJSONMap(dst, all, b, depth+1)
	case (c >= 0xd4 && c <= 0xd8) || (c >= 0xc7 && c <= 0xc9):
		return appendJSONExt(dst, all, b)
	default: // 0xc1 is never used
		return dst, b, mpErr(all, b, fmt.Errorf("invalid msgpack type byte %#02x", c))
	}
}

func appendJSONArray(dst, all, b []byte, depth int) ([]byte, []byte, error) {
	if depth > MaxDepth {
		return dst, b, mpErr(all, b, ErrDepth)
	}
	n, o, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return dst, b, mpErr(all, b, err)
	}
	dst = append(dst, '[')
	for k := uint32(0); k < n; k++ {
		if k > 0 {
			dst = append(dst, ',')
		}
		if dst, o, err = appendJSONValue(dst, all, o, depth); err != nil {
			return dst, o, err
		}
	}
	return append(dst, ']'), o, nil
}

func appendJSONMap(dst, all, b []byte, depth int) ([]byte, []byte, error) {
	if depth > MaxDepth {
		return dst, b, mpErr(all, b, ErrDepth)
	}
	n, o, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return dst, b, mpErr(all, b, err)
	}
	dst = append(dst, '{')
	for k := uint32(0); k < n; k++ {
		if k > 0 {
			dst = append(dst, ',')
		}
		if len(o) > 0 && ((o[0] >= 0xa0 && o[0] <= 0xbf) || (o[0] >= 0xd9 && o[0] <= 0xdb)) {
			var key []byte
			if key, o, err = msgp.ReadStringZC(o); err != nil {
				return dst, o, mpErr(all, o, err)
			}
			dst = AppendQuoted(dst, key)
		} else {
			// A non-string key: its JSON text, as a string. Rare, so a scratch copy is fine.
			mark := len(dst)
			if dst, o, err = appendJSONValue(dst, all, o, depth); err != nil {
				return dst, o, err
			}
			text := append([]byte(nil), dst[mark:]...)
			dst = AppendQuoted(dst[:mark], text)
		}
		dst = append(dst, ':')
		if dst, o, err = appendJSONValue(dst, all, o, depth); err != nil {
			return dst, o, err
		}
	}
	return append(dst, '}'), o, nil
}

// appendJSONExt renders an extension as {"$ext": type, "data": "<base64>"}.
func appendJSONExt(dst, all, b []byte) ([]byte, []byte, error) {
	var size, head int
	switch b[0] {
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		size, head = 1<<(b[0]-0xd4), 2
	case 0xc7:
		if len(b) >= 2 {
			size = int(b[1])
		}
		head = 3
	case 0xc8:
		if len(b) >= 3 {
			size = int(b[1])<<8 | int(b[2])
		}
		head = 4
	case 0xc9:
		if len(b) >= 5 {
			size = int(uint32(b[1])<<24 | uint32(b[2])<<16 | uint32(b[3])<<8 | uint32(b[4]))
		}
		head = 6
	}
	if len(b) < head || len(b)-head < size {
		return dst, b, mpErr(all, b, msgp.ErrShortBytes)
	}
	typ := int8(b[head-1])
	dst = append(dst, `{"$ext":`...)
	dst = strconv.AppendInt(dst, int64(typ), 10)
	dst = append(dst, `,"data":`...)
	dst = appendBase64(dst, b[head:head+size])
	return append(dst, '}'), b[head+size:], nil
}

func appendBase64(dst, data []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, data)
	return append(dst, '"')
}

// appendFloat writes f as encoding/json does, keeping a ".0" on integral values.
func appendFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
		bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// e-09 -> e-9, as encoding/json writes it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
		return dst
	}
	for _, c := range dst[start:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

const hexDigits = "0123456789abcdef"

// AppendQuoted appends s as a JSON string, escaped as encoding/json does with HTML escaping
// off: \" \\ \b \f \n \r \t, other control characters as \u00XX, U+2028 and U+2029 as
// \u2028 and \u2029, and each invalid UTF-8 byte as \ufffd.
func AppendQuoted(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
