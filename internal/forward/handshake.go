package forward

import (
	"context"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// The secure-forward handshake, as in_forward (Fluent Bit v5.1.1,
// plugins/in_forward/fw_prot.c) runs it:
//
//	server: ["HELO", {"nonce": str(16 random bytes), "auth": str(16 random bytes)}]   (send_helo)
//	client: ["PING", self_hostname, shared_key_salt,
//	         hex(sha512(shared_key_salt + self_hostname + nonce + shared_key)),
//	         username, hex(sha512(auth + username + password))]                      (check_ping)
//	server: ["PONG", true, "", server_hostname,
//	         hex(sha512(shared_key_salt + server_hostname + nonce + shared_key))]     (send_pong)
//
// With a wrong shared key in_forward closes the connection without a PONG;
// with wrong users it answers ["PONG", false, reason, "", ""]. The Forward
// protocol v1 spec also lets HELO carry "keepalive": false (the server closes
// the connection after one message); this client honours it.

var (
	errHandshake = errors.New("secure-forward handshake failed")
)

// helo is what the client needs from the server's HELO.
type helo struct {
	nonce     []byte
	auth      []byte
	keepalive bool
}

// pong is the server's answer to PING.
type pong struct {
	authOK   bool
	reason   []byte
	hostname []byte
	digest   []byte
}

// handshake runs HELO/PING/PONG on a new connection, bounded by DialTimeout
// and ctx.
func (c *Client) handshake(ctx context.Context, cn *conn) error {
	fail := func(what string, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return fmt.Errorf("forward: handshake with %s: %s: %w", c.target, what, err)
	}
	stop := cn.watch(ctx)
	defer stop()
	if err := cn.nc.SetDeadline(time.Now().Add(c.cfg.DialTimeout)); err != nil {
		return fail("setting the deadline", err)
	}
	if err := ctx.Err(); err != nil {
		return fail("starting", err)
	}

	answer, err := cn.readAnswer()
	if err != nil {
		return fail("waiting for HELO", err)
	}
	h, err := parseHelo(answer)
	if err != nil {
		return fail("reading HELO", err)
	}
	// Copy: the next readAnswer reuses the buffer h points into.
	nonce := append([]byte(nil), h.nonce...)
	cn.singleUse = !h.keepalive

	var saltBytes [16]byte
	if _, err := rand.Read(saltBytes[:]); err != nil {
		return fail("generating the shared key salt", err)
	}
	salt := []byte(hex.EncodeToString(saltBytes[:]))
	ping := appendPing(nil, c.cfg.SelfHostname, salt, nonce, c.cfg.SharedKey)
	if _, err := cn.nc.Write(ping); err != nil {
		return fail("writing PING", err)
	}

	answer, err = cn.readAnswer()
	if err != nil {
		return fail("waiting for PONG (in_forward closes the connection without a PONG when the shared key is wrong)", err)
	}
	p, err := parsePong(answer)
	if err != nil {
		return fail("reading PONG", err)
	}
	if !p.authOK {
		return fail("server refused authentication", fmt.Errorf("%w: %q", errHandshake, p.reason))
	}
	want := sharedKeyDigest(salt, p.hostname, nonce, c.cfg.SharedKey)
	if subtle.ConstantTimeCompare(want[:], p.digest) != 1 {
		return fail("checking PONG", fmt.Errorf("%w: the server's shared key digest does not match ours", errHandshake))
	}
	// Deadlines are set per message from now on.
	if err := cn.nc.SetDeadline(time.Time{}); err != nil {
		return fail("clearing the deadline", err)
	}
	return nil
}

// sharedKeyDigest is hex(sha512(salt + hostname + nonce + key)).
func sharedKeyDigest(salt, hostname, nonce []byte, key string) [sha512.Size * 2]byte {
	h := sha512.New()
	h.Write(salt)
	h.Write(hostname)
	h.Write(nonce)
	h.Write([]byte(key))
	var sum [sha512.Size]byte
	var out [sha512.Size * 2]byte
	hex.Encode(out[:], h.Sum(sum[:0]))
	return out
}

// appendPing appends ["PING", hostname, salt, digest, "", ""]: no user name
// and no password digest (in_forward checks them only when security.users is
// configured).
func appendPing(dst []byte, hostname string, salt, nonce []byte, key string) []byte {
	digest := sharedKeyDigest(salt, []byte(hostname), nonce, key)
	dst = msgp.AppendArrayHeader(dst, 6)
	dst = msgp.AppendString(dst, "PING")
	dst = msgp.AppendString(dst, hostname)
	dst = msgp.AppendStringFromBytes(dst, salt)
	dst = msgp.AppendStringFromBytes(dst, digest[:])
	dst = msgp.AppendString(dst, "")
	dst = msgp.AppendString(dst, "")
	return dst
}

// parseHelo decodes ["HELO", {"nonce": ..., "auth": ..., "keepalive": bool}].
// nonce is required; auth and keepalive (default true) are optional.
func parseHelo(b []byte) (helo, error) {
	h := helo{keepalive: true}
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return h, fmt.Errorf("%w: HELO is not an array: %w", errMalformed, err)
	}
	if n != 2 {
		return h, fmt.Errorf("%w: HELO has %d elements, want 2", errMalformed, n)
	}
	kind, b, err := readStrOrBin(b)
	if err != nil || string(kind) != "HELO" {
		return h, fmt.Errorf("%w: expected HELO, got %q", errMalformed, kind)
	}
	m, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return h, fmt.Errorf("%w: HELO options are not a map: %w", errMalformed, err)
	}
	for range m {
		var key []byte
		if key, b, err = msgp.ReadMapKeyZC(b); err != nil {
			return h, fmt.Errorf("%w: HELO option key: %w", errMalformed, err)
		}
		switch string(key) {
		case "nonce":
			h.nonce, b, err = readStrOrBin(b)
		case "auth":
			h.auth, b, err = readStrOrBin(b)
		case "keepalive":
			h.keepalive, b, err = msgp.ReadBoolBytes(b)
		default:
			b, err = msgp.Skip(b)
		}
		if err != nil {
			return h, fmt.Errorf("%w: HELO option %q: %w", errMalformed, key, err)
		}
	}
	if len(h.nonce) == 0 {
		return h, fmt.Errorf("%w: HELO has no nonce", errMalformed)
	}
	return h, nil
}

// parsePong decodes ["PONG", auth_result, reason, server_hostname, digest].
func parsePong(b []byte) (pong, error) {
	var p pong
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return p, fmt.Errorf("%w: PONG is not an array: %w", errMalformed, err)
	}
	if n != 5 {
		return p, fmt.Errorf("%w: PONG has %d elements, want 5", errMalformed, n)
	}
	kind, b, err := readStrOrBin(b)
	if err != nil || string(kind) != "PONG" {
		return p, fmt.Errorf("%w: expected PONG, got %q", errMalformed, kind)
	}
	if p.authOK, b, err = msgp.ReadBoolBytes(b); err != nil {
		return p, fmt.Errorf("%w: PONG auth result: %w", errMalformed, err)
	}
	if p.reason, b, err = readStrOrBin(b); err != nil {
		return p, fmt.Errorf("%w: PONG reason: %w", errMalformed, err)
	}
	if p.hostname, b, err = readStrOrBin(b); err != nil {
		return p, fmt.Errorf("%w: PONG hostname: %w", errMalformed, err)
	}
	if p.digest, _, err = readStrOrBin(b); err != nil {
		return p, fmt.Errorf("%w: PONG digest: %w", errMalformed, err)
	}
	return p, nil
}
