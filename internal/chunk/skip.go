package chunk

import (
	"encoding/binary"

	"github.com/tinylib/msgp/msgp"
)

// skip returns the offset just past the msgpack value starting at b[off]. It is
// iterative (a count of values still to skip), so deep nesting costs no stack, and it
// checks every length against the input, so it never reads out of bounds. On error it
// returns the offset of the value it could not skip.
func skip(b []byte, off int) (int, error) {
	pending := 1
	last := off // start of the value being skipped
	for pending > 0 {
		if off >= len(b) {
			if off > len(b) {
				return last, msgp.ErrShortBytes // the previous value overruns the input
			}
			return off, msgp.ErrShortBytes
		}
		last = off
		pending--
		c := b[off]
		switch {
		case c <= 0x7f || c >= 0xe0: // positive / negative fixint
			off++
			continue
		case c >= 0xa0 && c <= 0xbf: // fixstr
			off += 1 + int(c&0x1f)
			continue
		case c >= 0x80 && c <= 0x8f: // fixmap
			off++
			pending += 2 * int(c&0x0f)
			continue
		case c >= 0x90 && c <= 0x9f: // fixarray
			off++
			pending += int(c & 0x0f)
			continue
		}
		var head, n int // header size; payload bytes (or element count for containers)
		switch c {
		case 0xc0, 0xc2, 0xc3: // nil, false, true
			off++
			continue
		case 0xcc, 0xd0: // uint8, int8
			off += 2
			continue
		case 0xcd, 0xd1: // uint16, int16
			off += 3
			continue
		case 0xca, 0xce, 0xd2: // float32, uint32, int32
			off += 5
			continue
		case 0xcb, 0xcf, 0xd3: // float64, uint64, int64
			off += 9
			continue
		case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16
			off += 2 + 1<<(c-0xd4)
			continue
		case 0xc4, 0xd9: // bin8, str8
			head = 2
		case 0xc5, 0xda: // bin16, str16
			head = 3
		case 0xc6, 0xdb: // bin32, str32
			head = 5
		case 0xc7: // ext8
			head = 3
		case 0xc8: // ext16
			head = 4
		case 0xc9: // ext32
			head = 6
		case 0xdc, 0xde: // array16, map16
			head = 3
		case 0xdd, 0xdf: // array32, map32
			head = 5
		default: // 0xc1 is never used
			return off, msgp.InvalidPrefixError(c)
		}
		if off+head > len(b) {
			return off, msgp.ErrShortBytes
		}
		switch c {
		case 0xc4, 0xd9, 0xc7:
			n = int(b[off+1])
		case 0xc5, 0xda, 0xc8, 0xdc, 0xde:
			n = int(binary.BigEndian.Uint16(b[off+1:]))
		default:
			n = int(binary.BigEndian.Uint32(b[off+1:]))
		}
		switch c {
		case 0xdc, 0xdd:
			pending += n
			off += head
		case 0xde, 0xdf:
			pending += 2 * n
			off += head
		default:
			off += head + n
		}
	}
	if off > len(b) {
		return last, msgp.ErrShortBytes
	}
	return off, nil
}

// SkipValue returns the length of the msgpack value at the start of b. It is a faster
// msgp.Skip (no recursion, one pass), for callers that walk records on a hot path.
func SkipValue(b []byte) (int, error) { return skip(b, 0) }
