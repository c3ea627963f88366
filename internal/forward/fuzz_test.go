package forward

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// FuzzDecodeAnswers feeds arbitrary bytes to everything that decodes what a
// server sends (ack, HELO, PONG): no panic, and a decoded field always lies
// inside the input.
func FuzzDecodeAnswers(f *testing.F) {
	ack := msgp.AppendString(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "ack"), "abc.1")
	f.Add(ack)
	f.Add(msgp.AppendBytes(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "ack"), []byte("id")))
	helo := msgp.AppendArrayHeader(nil, 2)
	helo = msgp.AppendString(helo, "HELO")
	helo = msgp.AppendMapHeader(helo, 3)
	helo = msgp.AppendString(helo, "nonce")
	helo = msgp.AppendBytes(helo, []byte("0123456789abcdef"))
	helo = msgp.AppendString(helo, "auth")
	helo = msgp.AppendString(helo, "")
	helo = msgp.AppendString(helo, "keepalive")
	helo = msgp.AppendBool(helo, true)
	f.Add(helo)
	pong := msgp.AppendArrayHeader(nil, 5)
	pong = msgp.AppendString(pong, "PONG")
	pong = msgp.AppendBool(pong, false)
	pong = msgp.AppendString(pong, "shared_key mismatch")
	pong = msgp.AppendString(pong, "host")
	pong = msgp.AppendString(pong, "")
	f.Add(pong)
	f.Add([]byte{0xdf, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x81, 0xa3, 'a', 'c', 'k', 0xdb, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		inside := func(what string, v []byte) {
			if len(v) > 0 && !bytes.Contains(in, v) {
				t.Fatalf("%s %q is not part of the input", what, v)
			}
		}
		if id, err := decodeAck(b); err == nil {
			inside("ack id", id)
		}
		if h, err := parseHelo(b); err == nil {
			if len(h.nonce) == 0 {
				t.Fatal("parseHelo accepted a HELO without nonce")
			}
			inside("nonce", h.nonce)
			inside("auth", h.auth)
		}
		if p, err := parsePong(b); err == nil {
			inside("reason", p.reason)
			inside("hostname", p.hostname)
			inside("digest", p.digest)
		}
		if !bytes.Equal(b, in) {
			t.Fatal("decoders modified their input")
		}
	})
}

func TestDecodeAck(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr bool
	}{
		{"str id", msgp.AppendString(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "ack"), "x.1"), "x.1", false},
		{"bin id", msgp.AppendBytes(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "ack"), []byte("x.2")), "x.2", false},
		{"extra key first", msgp.AppendString(msgp.AppendString(msgp.AppendInt(msgp.AppendString(msgp.AppendMapHeader(nil, 2), "n"), 1), "ack"), "y"), "y", false},
		{"no ack key", msgp.AppendString(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "nak"), "x"), "", true},
		{"ack is int", msgp.AppendInt(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "ack"), 7), "", true},
		{"not a map", msgp.AppendString(nil, "ack"), "", true},
		{"truncated", []byte{0x81, 0xa3, 'a', 'c'}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAck(tt.in)
			if (err != nil) != tt.wantErr || string(got) != tt.want {
				t.Fatalf("decodeAck = %q, %v; want %q, err=%v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestPingDigestMatchesFluentBitFormula(t *testing.T) {
	// hex(sha512(salt + hostname + nonce + key)), lowercase, 128 chars, as
	// flb_secure_forward_hash_shared_key computes it.
	salt, nonce := []byte("salt"), []byte("nonce")
	got := sharedKeyDigest(salt, []byte("host"), nonce, "key")
	sum := sha512.Sum512([]byte("salthostnoncekey"))
	if want := hex.EncodeToString(sum[:]); string(got[:]) != want {
		t.Fatalf("digest = %s, want %s", got, want)
	}
	ping := appendPing(nil, "host", salt, nonce, "key")
	n, rest, err := msgp.ReadArrayHeaderBytes(ping)
	if err != nil || n != 6 {
		t.Fatalf("PING array: n=%d err=%v", n, err)
	}
	var fields [6]string
	for i := range fields {
		if fields[i], rest, err = msgp.ReadStringBytes(rest); err != nil {
			t.Fatalf("PING field %d is not a str: %v", i, err)
		}
	}
	wantFields := [6]string{"PING", "host", "salt", string(got[:]), "", ""}
	if fields != wantFields {
		t.Fatalf("PING = %q, want %q", fields, wantFields)
	}
	if len(got) != 128 || bytes.ContainsAny(got[:], "ABCDEF") {
		t.Fatalf("digest %q is not 128 lowercase hex chars", got)
	}
}
