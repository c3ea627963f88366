package jsonmp

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"
)

// reserve is the room left for a map, array or string header whose size is known only at
// the end; it is the size of the largest (32-bit) header.
const reserve = 5

// AppendMsgpack transcodes one JSON value (object, array, string, number, bool, null) to
// msgpack, appending to dst. Integers are kept exact from their literal digits: int64 when
// they fit, uint64 up to 2^64-1, else float64; numbers with a fraction or exponent become
// float64 (a number beyond float64's range is an ErrNumberRange error). Strings are
// unescaped (\uXXXX with surrogate pairs; a lone surrogate or an invalid UTF-8 byte becomes
// U+FFFD, as encoding/json does); invalid escapes and control characters are a
// *SyntaxError. Leading and trailing whitespace is skipped; rest is the input after the
// value. On error out is dst unchanged and rest is nil.
func AppendMsgpack(dst, json []byte) (out, rest []byte, err error) {
	start := len(dst)
	i := skipSpace(json, 0)
	out, i, err = appendValue(dst, json, i, 0)
	if err != nil {
		return dst[:start], nil, err
	}
	return out, json[skipSpace(json, i):], nil
}

func skipSpace(s []byte, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func syntaxErr(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func appendValue(dst, s []byte, i, depth int) ([]byte, int, error) {
	if i >= len(s) {
		return dst, i, syntaxErr(i, "unexpected end of input")
	}
	switch c := s[i]; {
	case c == '{':
		return appendObject(dst, s, i, depth+1)
	case c == '[':
		return appendArray(dst, s, i, depth+1)
	case c == '"':
		return appendString(dst, s, i)
	case c == '-' || (c >= '0' && c <= '9'):
		return appendNumber(dst, s, i)
	case c == 't':
		return appendLiteral(dst, s, i, "true", 0xc3)
	case c == 'f':
		return appendLiteral(dst, s, i, "false", 0xc2)
	case c == 'n':
		return appendLiteral(dst, s, i, "null", 0xc0)
	default:
		return dst, i, syntaxErr(i, "unexpected character %q", c)
	}
}

func appendLiteral(dst, s []byte, i int, lit string, code byte) ([]byte, int, error) {
	if len(s)-i < len(lit) || string(s[i:i+len(lit)]) != lit {
		return dst, i, syntaxErr(i, "invalid literal, expected %s", lit)
	}
	return append(dst, code), i + len(lit), nil
}

func appendObject(dst, s []byte, i, depth int) ([]byte, int, error) {
	if depth > MaxDepth {
		return dst, i, fmt.Errorf("jsonmp: object at offset %d: %w", i, ErrDepth)
	}
	start := len(dst)
	dst = append(dst, make([]byte, reserve)...)
	var n uint64
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return finishHeader(dst, start, n, mapHeader), i + 1, nil
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return dst, i, syntaxErr(i, "expected a string key")
		}
		var err error
		if dst, i, err = appendString(dst, s, i); err != nil {
			return dst, i, err
		}
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != ':' {
			return dst, i, syntaxErr(i, "expected ':' after object key")
		}
		if dst, i, err = appendValue(dst, s, skipSpace(s, i+1), depth); err != nil {
			return dst, i, err
		}
		n++
		i = skipSpace(s, i)
		if i >= len(s) {
			return dst, i, syntaxErr(i, "unexpected end of input in object")
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case '}':
			if n > math.MaxUint32 {
				return dst, i, syntaxErr(i, "object has more than 2^32-1 members")
			}
			return finishHeader(dst, start, n, mapHeader), i + 1, nil
		default:
			return dst, i, syntaxErr(i, "expected ',' or '}' in object")
		}
	}
}

func appendArray(dst, s []byte, i, depth int) ([]byte, int, error) {
	if depth > MaxDepth {
		return dst, i, fmt.Errorf("jsonmp: array at offset %d: %w", i, ErrDepth)
	}
	start := len(dst)
	dst = append(dst, make([]byte, reserve)...)
	var n uint64
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == ']' {
		return finishHeader(dst, start, n, arrayHeader), i + 1, nil
	}
	for {
		var err error
		if dst, i, err = appendValue(dst, s, i, depth); err != nil {
			return dst, i, err
		}
		n++
		i = skipSpace(s, i)
		if i >= len(s) {
			return dst, i, syntaxErr(i, "unexpected end of input in array")
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case ']':
			if n > math.MaxUint32 {
				return dst, i, syntaxErr(i, "array has more than 2^32-1 elements")
			}
			return finishHeader(dst, start, n, arrayHeader), i + 1, nil
		default:
			return dst, i, syntaxErr(i, "expected ',' or ']' in array")
		}
	}
}

type headerKind uint8

const (
	mapHeader headerKind = iota
	arrayHeader
	strHeader
)

// finishHeader writes the smallest header for n elements (or bytes) at dst[start:], where
// reserve bytes were set aside, and moves the body down over the unused part.
func finishHeader(dst []byte, start int, n uint64, kind headerKind) []byte {
	var buf [reserve]byte
	var h []byte
	switch kind {
	case mapHeader:
		h = msgp.AppendMapHeader(buf[:0], uint32(n))
	case arrayHeader:
		h = msgp.AppendArrayHeader(buf[:0], uint32(n))
	default:
		h = appendStrHeader(buf[:0], uint32(n))
	}
	if len(h) < reserve {
		copy(dst[start+len(h):], dst[start+reserve:])
		dst = dst[:len(dst)-(reserve-len(h))]
	}
	copy(dst[start:], h)
	return dst
}

// appendStrHeader writes a msgpack str header exactly as msgp.AppendString would.
func appendStrHeader(b []byte, n uint32) []byte {
	switch {
	case n < 32:
		return append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		return append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xda, byte(n>>8), byte(n))
	default:
		return append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// appendString transcodes the JSON string starting at s[i] == '"'.
func appendString(dst, s []byte, i int) ([]byte, int, error) {
	j := i + 1
	ascii := true
	for ; j < len(s); j++ {
		c := s[j]
		if c == '"' {
			body := s[i+1 : j]
			if ascii || utf8.Valid(body) {
				return msgp.AppendStringFromBytes(dst, body), j + 1, nil
			}
			break
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return dst, j, syntaxErr(j, "control character %#02x in string", c)
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	if j >= len(s) {
		return dst, j, syntaxErr(j, "unterminated string")
	}
	return appendStringSlow(dst, s, i)
}

// appendStringSlow decodes a string with escapes or invalid UTF-8 into dst.
func appendStringSlow(dst, s []byte, i int) ([]byte, int, error) {
	start := len(dst)
	dst = append(dst, make([]byte, reserve)...)
	j := i + 1
	for j < len(s) {
		c := s[j]
		switch {
		case c == '"':
			n := uint64(len(dst) - start - reserve)
			if n > math.MaxUint32 {
				return dst, j, syntaxErr(j, "string longer than 2^32-1 bytes")
			}
			return finishHeader(dst, start, n, strHeader), j + 1, nil
		case c == '\\':
			var err error
			if dst, j, err = appendEscape(dst, s, j); err != nil {
				return dst, j, err
			}
		case c < 0x20:
			return dst, j, syntaxErr(j, "control character %#02x in string", c)
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			j++
		default:
			r, size := utf8.DecodeRune(s[j:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[j:j+size]...)
			}
			j += size
		}
	}
	return dst, j, syntaxErr(j, "unterminated string")
}

// hex4 reads the 4 hex digits at s[i:i+4].
// appendEscape decodes the escape sequence at s[j] (a backslash) onto dst and returns the
// index after it. A \u escape naming half a surrogate pair that has no valid other half
// becomes U+FFFD, as encoding/json does.
func appendEscape(dst, s []byte, j int) ([]byte, int, error) {
	if j+1 >= len(s) {
		return dst, j, syntaxErr(j, "unterminated string")
	}
	e := s[j+1]
	switch e {
	case '"', '\\', '/':
		dst = append(dst, e)
	case 'b':
		dst = append(dst, '\b')
	case 'f':
		dst = append(dst, '\f')
	case 'n':
		dst = append(dst, '\n')
	case 'r':
		dst = append(dst, '\r')
	case 't':
		dst = append(dst, '\t')
	case 'u':
		r, ok := hex4(s, j+2)
		if !ok {
			return dst, j, syntaxErr(j, "invalid \\u escape")
		}
		j += 6
		if utf16.IsSurrogate(r) {
			// A valid pair becomes one rune; anything else is U+FFFD for this half.
			if r2, ok := hex4(s, j+2); ok && j+1 < len(s) && s[j] == '\\' && s[j+1] == 'u' {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return utf8.AppendRune(dst, d), j + 6, nil
				}
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(dst, r), j, nil
	default:
		return dst, j, syntaxErr(j, "invalid escape \\%c", e)
	}
	return dst, j + 2, nil
}

// AppendUnescaped appends the text of a JSON string body (what stands between the quotes)
// to dst, decoding its escapes exactly as AppendMsgpack does.
func AppendUnescaped(dst, body []byte) ([]byte, error) {
	for j := 0; j < len(body); {
		if body[j] != '\\' {
			dst = append(dst, body[j])
			j++
			continue
		}
		var err error
		if dst, j, err = appendEscape(dst, body, j); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func hex4(s []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendNumber transcodes the JSON number starting at s[i].
func appendNumber(dst, s []byte, i int) ([]byte, int, error) {
	j := i
	neg := false
	if s[j] == '-' {
		neg = true
		j++
	}
	digits := j
	if j >= len(s) || s[j] < '0' || s[j] > '9' {
		return dst, j, syntaxErr(j, "invalid number")
	}
	if s[j] == '0' {
		j++
	} else {
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	}
	intEnd := j
	isFloat := false
	if j < len(s) && s[j] == '.' {
		isFloat = true
		j++
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == k {
			return dst, j, syntaxErr(j, "invalid number: no digits after '.'")
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		isFloat = true
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == k {
			return dst, j, syntaxErr(j, "invalid number: no digits in exponent")
		}
	}
	if !isFloat {
		if u, ok := parseUint(s[digits:intEnd]); ok {
			switch {
			case !neg && u <= math.MaxInt64:
				return msgp.AppendInt64(dst, int64(u)), j, nil
			case !neg:
				return msgp.AppendUint64(dst, u), j, nil
			case u <= 1<<63:
				return msgp.AppendInt64(dst, int64(-u)), j, nil // -u wraps to MinInt64 for 1<<63
			}
		}
	}
	f, err := strconv.ParseFloat(string(s[i:j]), 64)
	if err != nil {
		return dst, j, fmt.Errorf("jsonmp: number at offset %d: %w", i, ErrNumberRange)
	}
	return msgp.AppendFloat64(dst, f), j, nil
}

// parseUint parses decimal digits, reporting false on overflow.
func parseUint(d []byte) (uint64, bool) {
	if len(d) > 20 {
		return 0, false
	}
	var u uint64
	for _, c := range d {
		v := uint64(c - '0')
		if u > (math.MaxUint64-v)/10 {
			return 0, false
		}
		u = u*10 + v
	}
	return u, true
}
