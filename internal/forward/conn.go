package forward

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// maxAnswer bounds what the client buffers of one answer (HELO, PONG or ack);
// in_forward's answers are well under 1 KiB.
const maxAnswer = 4096

// longAgo is a deadline in the past: setting it makes blocked I/O return.
var longAgo = time.Unix(1, 0)

// conn is one open connection and the buffers reused for every message on it.
type conn struct {
	nc net.Conn
	// interrupt makes blocked I/O on nc return; it runs when a Send's context
	// is done.
	interrupt func()
	// hdr holds the message prefix [tag, bin header] followed by the option map.
	hdr []byte
	// id is the chunk id of the message in flight.
	id []byte
	// iov and iovArr let one writev send prefix, entries and options without
	// copying entries.
	iov    net.Buffers
	iovArr [3][]byte
	// rbuf holds bytes read from the server; rdone of them belong to the
	// answer returned last.
	rbuf  []byte
	rdone int
	// singleUse is set when the server's HELO said keepalive=false.
	singleUse bool
	// raw, peek and peekErr let stale check an idle connection without
	// allocating (raw is nil when the connection has no file descriptor).
	raw     syscall.RawConn
	peek    func(fd uintptr) bool
	peekErr error
}

func newConn(nc net.Conn) *conn {
	cn := &conn{
		nc:        nc,
		interrupt: func() { _ = nc.SetDeadline(longAgo) },
		hdr:       make([]byte, 0, 128),
		id:        make([]byte, 0, 32),
		rbuf:      make([]byte, 0, maxAnswer),
	}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			cn.raw = raw
			cn.peek = cn.peekFunc()
		}
	}
	return cn
}

// watch arranges for cn's blocked I/O to return when ctx is done. The
// returned stop reports false if that already happened or is happening.
func (cn *conn) watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, cn.interrupt)
}

// dial connects and, with a shared key, runs the handshake.
func (c *Client) dial(ctx context.Context) (*conn, error) {
	nc, err := c.dialer.DialContext(ctx, c.cfg.Network, c.cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("forward: dial %s: %w", c.target, err)
	}
	cn := newConn(nc)
	if c.cfg.SharedKey != "" {
		if err := c.handshake(ctx, cn); err != nil {
			_ = nc.Close() // the handshake error says what went wrong
			return nil, err
		}
	}
	return cn, nil
}

// exchange sends one message on cn and waits for its ack. keep reports
// whether cn can be used again.
func (c *Client) exchange(ctx context.Context, cn *conn, tag string, entries []byte, count int) (keep bool, err error) {
	cn.id = c.nextID(cn.id)
	b := msgp.AppendArrayHeader(cn.hdr[:0], 3)
	b = msgp.AppendString(b, tag)
	b = msgp.AppendBytesHeader(b, uint32(len(entries)))
	split := len(b)
	b = msgp.AppendMapHeader(b, 2)
	b = msgp.AppendString(b, "chunk")
	b = msgp.AppendStringFromBytes(b, cn.id)
	b = msgp.AppendString(b, "size")
	b = msgp.AppendInt(b, count)
	cn.hdr = b

	stop := cn.watch(ctx)
	if err := cn.nc.SetWriteDeadline(time.Now().Add(c.cfg.AckTimeout)); err != nil {
		stop()
		return false, c.sendError(ctx, "setting the write deadline", err)
	}
	if ctx.Err() != nil { // cancelled before the deadline above was set
		stop()
		return false, c.sendError(ctx, "writing the message", ctx.Err())
	}
	cn.iovArr = [3][]byte{b[:split], entries, b[split:]}
	cn.iov = cn.iovArr[:]
	_, err = cn.iov.WriteTo(cn.nc)
	cn.iovArr = [3][]byte{} // never retain entries
	cn.iov = nil
	if err != nil {
		stop()
		return false, c.sendError(ctx, "writing the message", err)
	}

	if err := cn.nc.SetReadDeadline(time.Now().Add(c.cfg.AckTimeout)); err != nil {
		stop()
		return false, c.sendError(ctx, "setting the read deadline", err)
	}
	if ctx.Err() != nil {
		stop()
		return false, c.sendError(ctx, "waiting for the ack", ctx.Err())
	}
	answer, err := cn.readAnswer()
	if err != nil {
		stop()
		return false, c.sendError(ctx, "waiting for the ack", err)
	}
	got, err := decodeAck(answer)
	if err != nil {
		stop()
		if _, heloErr := parseHelo(answer); heloErr == nil {
			err = errors.New("the receiver sent HELO: it has shared_key set, so Config.SharedKey must be set too")
		}
		return false, c.sendError(ctx, "reading the ack", err)
	}
	if string(got) != string(cn.id) {
		stop()
		return false, c.sendError(ctx, "reading the ack",
			fmt.Errorf("%w: got %q, want %q", errWrongAck, got, cn.id))
	}
	// The ack is in: the message is delivered even if ctx fired just now, but
	// then the interrupt may still be setting a deadline, so drop the conn.
	return stop() && !cn.singleUse, nil
}

// sendError builds the error of a failed exchange; when ctx is done it
// reports the context's error, which is what made the I/O fail.
func (c *Client) sendError(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("forward: send to %s: %s: %w", c.target, what, ctxErr)
	}
	return fmt.Errorf("forward: send to %s: %s: %w", c.target, what, err)
}

var (
	errWrongAck       = errors.New("ack for another chunk")
	errAnswerTooLarge = errors.New("answer larger than 4096 bytes")
	errMalformed      = errors.New("malformed answer")
)

// readAnswer reads one msgpack object from the server. The returned bytes are
// valid until the next call.
func (cn *conn) readAnswer() ([]byte, error) {
	if cn.rdone > 0 {
		n := copy(cn.rbuf, cn.rbuf[cn.rdone:])
		cn.rbuf = cn.rbuf[:n]
		cn.rdone = 0
	}
	for {
		if len(cn.rbuf) > 0 {
			rest, err := msgp.Skip(cn.rbuf)
			if err == nil {
				cn.rdone = len(cn.rbuf) - len(rest)
				return cn.rbuf[:cn.rdone], nil
			}
			if !errors.Is(err, msgp.ErrShortBytes) {
				return nil, fmt.Errorf("%w: %w", errMalformed, err)
			}
		}
		if len(cn.rbuf) == cap(cn.rbuf) {
			return nil, errAnswerTooLarge
		}
		n, err := cn.nc.Read(cn.rbuf[len(cn.rbuf):cap(cn.rbuf)])
		cn.rbuf = cn.rbuf[:len(cn.rbuf)+n]
		if err != nil && n == 0 {
			return nil, err
		}
	}
}

// decodeAck returns the chunk id of an ack answer {"ack": id}.
func decodeAck(b []byte) ([]byte, error) {
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: ack is not a map: %w", errMalformed, err)
	}
	for range n {
		var key []byte
		key, b, err = msgp.ReadMapKeyZC(b)
		if err != nil {
			return nil, fmt.Errorf("%w: ack map key: %w", errMalformed, err)
		}
		if string(key) == "ack" {
			id, _, err := readStrOrBin(b)
			if err != nil {
				return nil, fmt.Errorf("%w: ack value: %w", errMalformed, err)
			}
			return id, nil
		}
		if b, err = msgp.Skip(b); err != nil {
			return nil, fmt.Errorf("%w: ack map value: %w", errMalformed, err)
		}
	}
	return nil, fmt.Errorf("%w: no \"ack\" key in the answer", errMalformed)
}

// readStrOrBin reads a str or bin object without copying.
func readStrOrBin(b []byte) (v, rest []byte, err error) {
	if msgp.NextType(b) == msgp.BinType {
		return msgp.ReadBytesZC(b)
	}
	return msgp.ReadStringZC(b)
}
