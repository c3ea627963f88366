package forwardtest

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/tinylib/msgp/msgp"
)

const (
	// maxFrame bounds one message (in_forward's default buffer_max_size is
	// 6144000 bytes; allow more so oversize senders are still visible).
	maxFrame = 64 << 20
	// maxInflated bounds a gunzipped CompressedPackedForward payload.
	maxInflated = 256 << 20
	// serverHostname is the hostname the server puts in PONG.
	serverHostname = "forwardtest"
)

var (
	errFrameTooLarge = errors.New("forwardtest: message larger than 64 MiB")
	errBadMsgpack    = errors.New("forwardtest: malformed msgpack")
)

// frameReader splits a byte stream into whole msgpack objects.
type frameReader struct {
	r    io.Reader
	buf  []byte
	done int // bytes of buf that belong to the frame returned last
}

// next returns the next whole msgpack object; it is valid until the next call.
func (f *frameReader) next() ([]byte, error) {
	if f.done > 0 {
		n := copy(f.buf, f.buf[f.done:])
		f.buf = f.buf[:n]
		f.done = 0
	}
	for {
		if len(f.buf) > 0 {
			rest, err := msgp.Skip(f.buf)
			if err == nil {
				f.done = len(f.buf) - len(rest)
				return f.buf[:f.done], nil
			}
			if !errors.Is(err, msgp.ErrShortBytes) {
				return nil, fmt.Errorf("%w: %w", errBadMsgpack, err)
			}
		}
		if len(f.buf) >= maxFrame {
			return nil, errFrameTooLarge
		}
		if len(f.buf) == cap(f.buf) {
			grown := make([]byte, len(f.buf), max(64<<10, 2*cap(f.buf)))
			copy(grown, f.buf)
			f.buf = grown
		}
		n, err := f.r.Read(f.buf[len(f.buf):cap(f.buf)])
		f.buf = f.buf[:len(f.buf)+n]
		if err != nil && n == 0 {
			if errors.Is(err, io.EOF) && len(f.buf) > 0 {
				return nil, fmt.Errorf("forwardtest: connection closed inside a message (%d bytes read): %w", len(f.buf), io.ErrUnexpectedEOF)
			}
			return nil, err
		}
	}
}

// decodeMessage decodes one Forward protocol message and returns it with its
// chunk id ("" when the option map has none). With keep false the events are
// checked but not copied into msg.Entries.
func decodeMessage(b []byte, keep bool) (Message, string, error) {
	var msg Message
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return msg, "", fmt.Errorf("message is not an array: %w", err)
	}
	if n < 2 || n > 4 {
		return msg, "", fmt.Errorf("message has %d elements, want 2 to 4", n)
	}
	tag, b, err := msgp.ReadStringZC(b)
	if err != nil {
		return msg, "", fmt.Errorf("message tag: %w", err)
	}
	msg.Tag = string(tag)
	left := n - 1

	var payload []byte // PackedForward entries, inflated later if needed
	switch msgp.NextType(b) {
	case msgp.ArrayType: // Forward: [tag, [[time, record], ...], option?]
		var count uint32
		if count, b, err = msgp.ReadArrayHeaderBytes(b); err != nil {
			return msg, "", fmt.Errorf("forward entries: %w", err)
		}
		for i := range count {
			start := b
			if b, err = msgp.Skip(b); err != nil {
				return msg, "", fmt.Errorf("forward entry %d: %w", i, err)
			}
			if msg.Entries, err = appendEntry(msg.Entries, start[:len(start)-len(b)], keep); err != nil {
				return msg, "", fmt.Errorf("forward entry %d: %w", i, err)
			}
		}
	case msgp.StrType, msgp.BinType: // PackedForward: [tag, bin, option?]
		if payload, b, err = readStrOrBin(b); err != nil {
			return msg, "", fmt.Errorf("packed entries: %w", err)
		}
	default: // Message: [tag, time, record, option?]
		if n < 3 {
			return msg, "", fmt.Errorf("message mode needs at least 3 elements, got %d", n)
		}
		start := b
		if b, err = msgp.Skip(b); err != nil {
			return msg, "", fmt.Errorf("message time: %w", err)
		}
		if b, err = msgp.Skip(b); err != nil {
			return msg, "", fmt.Errorf("message record: %w", err)
		}
		entry := msgp.AppendArrayHeader(nil, 2)
		entry = append(entry, start[:len(start)-len(b)]...)
		if msg.Entries, err = appendEntry(msg.Entries, entry, keep); err != nil {
			return msg, "", fmt.Errorf("message mode event: %w", err)
		}
		left--
	}
	left--

	var chunk string
	if left > 1 {
		return msg, "", fmt.Errorf("message has %d elements after its events, want at most 1", left)
	}
	if left == 1 {
		if msgp.IsNil(b) {
			b = b[1:]
		} else {
			if msg.Option, b, err = msgp.ReadMapStrIntfBytes(b, nil); err != nil {
				return msg, "", fmt.Errorf("option map: %w", err)
			}
			if v, ok := msg.Option["chunk"]; ok {
				s, isStr := v.(string)
				if !isStr || s == "" {
					return msg, "", fmt.Errorf("option chunk is %T %v, want a non-empty string", v, v)
				}
				chunk = s
			}
		}
	}
	if len(b) != 0 {
		return msg, "", fmt.Errorf("%d bytes after the message", len(b))
	}

	if payload != nil {
		if c, ok := msg.Option["compressed"]; ok {
			if c != "gzip" {
				return msg, "", fmt.Errorf("option compressed is %v, want \"gzip\"", c)
			}
			if payload, err = gunzip(payload); err != nil {
				return msg, "", err
			}
		}
		for i := 0; len(payload) > 0; i++ {
			rest, err := msgp.Skip(payload)
			if err != nil {
				return msg, "", fmt.Errorf("packed entry %d: %w", i, err)
			}
			if msg.Entries, err = appendEntry(msg.Entries, payload[:len(payload)-len(rest)], keep); err != nil {
				return msg, "", fmt.Errorf("packed entry %d: %w", i, err)
			}
			payload = rest
		}
	}
	return msg, chunk, nil
}

// appendEntry checks that e is [time, record] or [[time, metadata], record]
// and, if keep, appends a copy of it.
func appendEntry(dst [][]byte, e []byte, keep bool) ([][]byte, error) {
	n, b, err := msgp.ReadArrayHeaderBytes(e)
	if err != nil {
		return dst, fmt.Errorf("event is not an array: %w", err)
	}
	if n != 2 {
		return dst, fmt.Errorf("event has %d elements, want 2", n)
	}
	if msgp.NextType(b) == msgp.ArrayType { // Fluent Bit V2: [time, metadata]
		var m uint32
		if m, b, err = msgp.ReadArrayHeaderBytes(b); err != nil || m != 2 {
			return dst, fmt.Errorf("event header is not [time, metadata]")
		}
		if b, err = skipTime(b); err != nil {
			return dst, err
		}
		if msgp.NextType(b) != msgp.MapType {
			return dst, fmt.Errorf("event metadata is %v, want a map", msgp.NextType(b))
		}
		if b, err = msgp.Skip(b); err != nil {
			return dst, fmt.Errorf("event metadata: %w", err)
		}
	} else if b, err = skipTime(b); err != nil {
		return dst, err
	}
	if msgp.NextType(b) != msgp.MapType {
		return dst, fmt.Errorf("event record is %v, want a map", msgp.NextType(b))
	}
	if b, err = msgp.Skip(b); err != nil {
		return dst, fmt.Errorf("event record: %w", err)
	}
	if len(b) != 0 {
		return dst, fmt.Errorf("%d bytes after the event", len(b))
	}
	if !keep {
		return dst, nil
	}
	return append(dst, append([]byte(nil), e...)), nil
}

// skipTime skips an event time: an integer, a float or EventTime (ext 0, 8 bytes).
func skipTime(b []byte) ([]byte, error) {
	switch msgp.NextType(b) {
	case msgp.IntType, msgp.UintType, msgp.Float64Type, msgp.Float32Type:
		return msgp.Skip(b)
	case msgp.ExtensionType:
		if len(b) >= 10 && b[0] == 0xd7 && b[1] == 0 {
			return b[10:], nil
		}
		if len(b) >= 11 && b[0] == 0xc7 && b[1] == 8 && b[2] == 0 {
			return b[11:], nil
		}
		return b, errors.New("event time is an extension other than EventTime (type 0, 8 bytes)")
	}
	return b, fmt.Errorf("event time is %v, want an integer, a float or EventTime", msgp.NextType(b))
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gzip payload: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxInflated+1))
	if err != nil {
		return nil, fmt.Errorf("gzip payload: %w", err)
	}
	if len(out) > maxInflated {
		return nil, fmt.Errorf("gzip payload inflates to more than %d bytes", maxInflated)
	}
	return out, nil
}

// readStrOrBin reads a str or bin object without copying.
func readStrOrBin(b []byte) (v, rest []byte, err error) {
	if msgp.NextType(b) == msgp.BinType {
		return msgp.ReadBytesZC(b)
	}
	return msgp.ReadStringZC(b)
}

// appendAck appends {"ack": chunk} as in_forward's send_ack writes it.
func appendAck(dst []byte, chunk string) []byte {
	dst = msgp.AppendMapHeader(dst, 1)
	dst = msgp.AppendString(dst, "ack")
	return msgp.AppendString(dst, chunk)
}

// handshake runs in_forward's side of the secure-forward handshake and
// reports whether the client may send messages.
func (s *Server) handshake(nc net.Conn, r *frameReader) bool {
	var nonce, auth [16]byte
	_, _ = rand.Read(nonce[:])
	_, _ = rand.Read(auth[:])
	helo := msgp.AppendArrayHeader(nil, 2)
	helo = msgp.AppendString(helo, "HELO")
	helo = msgp.AppendMapHeader(helo, 2)
	helo = msgp.AppendString(helo, "nonce")
	helo = msgp.AppendStringFromBytes(helo, nonce[:]) // raw bytes in a str, as in_forward does
	helo = msgp.AppendString(helo, "auth")
	helo = msgp.AppendStringFromBytes(helo, auth[:])
	if _, err := nc.Write(helo); err != nil {
		return false
	}
	frame, err := r.next()
	if err != nil {
		return false
	}
	hostname, salt, digest, err := decodePing(frame)
	if err != nil {
		// in_forward logs "Invalid PING message" and closes: a sender without
		// the shared key gets here, which tests may do on purpose.
		s.t.Logf("forwardtest: %v: closing without PONG", err)
		return false
	}
	want := digestHex(salt, hostname, nonce[:], s.sharedKey)
	if subtle.ConstantTimeCompare(want, digest) != 1 {
		// in_forward logs "shared_key mismatch" and closes without a PONG.
		s.t.Logf("forwardtest: shared_key mismatch from %q: closing without PONG", hostname)
		return false
	}
	pong := msgp.AppendArrayHeader(nil, 5)
	pong = msgp.AppendString(pong, "PONG")
	pong = msgp.AppendBool(pong, true)
	pong = msgp.AppendString(pong, "")
	pong = msgp.AppendString(pong, serverHostname)
	pong = msgp.AppendStringFromBytes(pong, digestHex(salt, []byte(serverHostname), nonce[:], s.sharedKey))
	_, err = nc.Write(pong)
	return err == nil
}

// decodePing checks ["PING", hostname, salt, digest, username, password] (all
// str, as in_forward's check_ping requires) and returns its fields.
func decodePing(b []byte) (hostname, salt, digest []byte, err error) {
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil || n != 6 {
		return nil, nil, nil, fmt.Errorf("PING is not a 6-element array (n=%d, err=%v)", n, err)
	}
	var fields [6][]byte
	for i := range fields {
		if fields[i], b, err = msgp.ReadStringZC(b); err != nil {
			return nil, nil, nil, fmt.Errorf("PING element %d is not a str: %w", i, err)
		}
	}
	if string(fields[0]) != "PING" {
		return nil, nil, nil, fmt.Errorf("expected PING, got %q", fields[0])
	}
	return fields[1], fields[2], fields[3], nil
}

// digestHex is hex(sha512(salt + hostname + nonce + key)).
func digestHex(salt, hostname, nonce []byte, key string) []byte {
	h := sha512.New()
	h.Write(salt)
	h.Write(hostname)
	h.Write(nonce)
	h.Write([]byte(key))
	return []byte(hex.EncodeToString(h.Sum(nil)))
}
