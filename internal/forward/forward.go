// Package forward is a Forward protocol v1 client with at-least-once delivery.
//
// It sends pre-encoded log events to Fluent Bit's `forward` input (in_forward)
// in PackedForward mode, [tag, bin(entries), {"chunk": id, "size": n}], and
// returns only after in_forward answered {"ack": id}. With a shared key it runs
// the secure-forward handshake (HELO, PING, PONG) on every new connection.
//
// Facts this client relies on, read from Fluent Bit v5.1.1
// (plugins/in_forward/fw_prot.c):
//   - fw_prot_process appends PackedForward entries to the input chunk as raw
//     bytes (append_log -> flb_input_log_append), so Fluent Bit V2 events
//     [[time, metadata], record] and group markers pass through unchanged;
//   - the ack is sent after the entries were appended (send_ack), and only when
//     the option map holds a "chunk" string (get_options_chunk);
//   - the "size" option is not read;
//   - a message larger than the input's buffer_max_size (default 6144000
//     bytes) makes in_forward close the connection without an ack.
package forward

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("forward: client closed")

// DefaultInForwardBufferMaxSize is in_forward's default buffer_max_size
// (FLB_IN_FW_CHUNK_MAX_SIZE in Fluent Bit v5.1.1): a whole message, header
// included, must fit in it or in_forward drops the connection without an ack.
const DefaultInForwardBufferMaxSize = 6144000

const (
	defaultDialTimeout = 5 * time.Second
	defaultAckTimeout  = 30 * time.Second
	// maxHostnameLen keeps the PING well under the 1023 bytes that in_forward
	// reads it into (check_ping in fw_prot.c).
	maxHostnameLen = 255
	// maxConns bounds MaxConns to something a single receiver can serve.
	maxConns = 1024
)

// Config says where and how to connect to in_forward.
type Config struct {
	// Network is "unix" or "tcp".
	Network string
	// Address is the socket path ("unix") or host:port ("tcp").
	Address string
	// SharedKey, when non-empty, makes every new connection run the
	// secure-forward handshake (HELO/PING/PONG) with this key.
	SharedKey string
	// SelfHostname is the hostname sent in PING (default os.Hostname()).
	SelfHostname string
	// DialTimeout bounds connecting and the shared-key handshake (default 5s).
	DialTimeout time.Duration
	// AckTimeout is how long Send waits for the ack after the message is
	// written; it is also the write deadline (default 30s).
	AckTimeout time.Duration
	// MaxConns is how many connections are kept open for concurrent Sends
	// (default 1). A Send waits for a free one, honouring its context.
	MaxConns int
}

// Client sends PackedForward messages and waits for their acks. It is safe
// for concurrent use; each in-flight Send owns one connection.
type Client struct {
	cfg    Config
	target string // "unix:/path" or "tcp:host:port", for error messages
	dialer net.Dialer

	// slots holds MaxConns tokens; a nil token is a slot without an open
	// connection. A Send takes a token, uses or dials its connection, and
	// gives it back.
	slots chan *conn
	done  chan struct{}

	mu     sync.Mutex // guards closed and the hand-back of tokens
	closed bool

	idPrefix [16]byte // random, base64url of 12 random bytes
	idSeq    atomic.Uint64
}

// New validates cfg, fills in defaults and returns a Client. It does not dial.
func New(cfg Config) (*Client, error) {
	switch cfg.Network {
	case "unix", "tcp":
	case "":
		return nil, errors.New("forward: Config.Network is empty (want \"unix\" or \"tcp\")")
	default:
		return nil, fmt.Errorf("forward: Config.Network %q is not supported (want \"unix\" or \"tcp\")", cfg.Network)
	}
	if cfg.Address == "" {
		return nil, errors.New("forward: Config.Address is empty")
	}
	if cfg.Network == "tcp" {
		if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
			return nil, fmt.Errorf("forward: Config.Address %q is not host:port: %w", cfg.Address, err)
		}
	}
	if cfg.DialTimeout < 0 {
		return nil, fmt.Errorf("forward: Config.DialTimeout %v is negative", cfg.DialTimeout)
	}
	if cfg.AckTimeout < 0 {
		return nil, fmt.Errorf("forward: Config.AckTimeout %v is negative", cfg.AckTimeout)
	}
	if cfg.MaxConns < 0 || cfg.MaxConns > maxConns {
		return nil, fmt.Errorf("forward: Config.MaxConns %d is out of range [0, %d]", cfg.MaxConns, maxConns)
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = defaultDialTimeout
	}
	if cfg.AckTimeout == 0 {
		cfg.AckTimeout = defaultAckTimeout
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 1
	}
	if cfg.SharedKey != "" {
		if cfg.SelfHostname == "" {
			h, err := os.Hostname()
			if err != nil {
				return nil, fmt.Errorf("forward: Config.SelfHostname is empty and os.Hostname failed: %w", err)
			}
			cfg.SelfHostname = h
		}
		if len(cfg.SelfHostname) > maxHostnameLen {
			return nil, fmt.Errorf("forward: Config.SelfHostname is %d bytes long (max %d)", len(cfg.SelfHostname), maxHostnameLen)
		}
	}

	c := &Client{
		cfg:    cfg,
		target: cfg.Network + ":" + cfg.Address,
		dialer: net.Dialer{Timeout: cfg.DialTimeout},
		slots:  make(chan *conn, cfg.MaxConns),
		done:   make(chan struct{}),
	}
	var seed [12]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("forward: generating the chunk id prefix: %w", err)
	}
	base64.RawURLEncoding.Encode(c.idPrefix[:], seed[:])
	for range cfg.MaxConns {
		c.slots <- nil
	}
	return c, nil
}

// Send writes one PackedForward message [tag, bin(entries), {"chunk": id,
// "size": count}] and waits for in_forward's {"ack": id}. It returns nil only
// after the matching ack (or, for empty entries, without any I/O: there is
// nothing to deliver). On any error the connection is closed and the next
// Send dials again; a retried message gets a new chunk id.
//
// entries is a concatenation of msgpack events ([time, record] or
// [[time, metadata], record]); Send neither modifies nor retains it.
func (c *Client) Send(ctx context.Context, tag string, entries []byte, count int) error {
	if tag == "" {
		return fmt.Errorf("forward: send to %s: tag is empty", c.target)
	}
	if count < 0 {
		return fmt.Errorf("forward: send to %s: count %d is negative", c.target, count)
	}
	if uint64(len(entries)) > math.MaxUint32 || len(tag) > math.MaxUint32 {
		return fmt.Errorf("forward: send to %s: message too large (%d bytes of entries)", c.target, len(entries))
	}
	if len(entries) == 0 {
		return nil
	}
	cn, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	keep := false
	defer func() { c.release(cn, keep) }()

	if err := ctx.Err(); err != nil {
		return fmt.Errorf("forward: send to %s: %w", c.target, err)
	}
	if cn != nil && cn.stale() {
		// The receiver closed it while idle (e.g. it was restarted).
		_ = cn.nc.Close()
		cn = nil
	}
	if cn == nil {
		cn, err = c.dial(ctx)
		if err != nil {
			return err
		}
	}
	keep, err = c.exchange(ctx, cn, tag, entries, count)
	return err
}

// Close closes the idle connections. Sends in flight finish (bounded by
// AckTimeout) and close their connection afterwards; later Sends return
// ErrClosed. Close is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	close(c.done)
	var errs []error
	for {
		select {
		case cn := <-c.slots:
			if cn != nil {
				if err := cn.nc.Close(); err != nil {
					errs = append(errs, fmt.Errorf("forward: closing connection to %s: %w", c.target, err))
				}
			}
		default:
			return errors.Join(errs...)
		}
	}
}

// acquire takes a connection slot, waiting for one while honouring ctx.
// The returned conn is nil when the slot has no open connection.
func (c *Client) acquire(ctx context.Context) (*conn, error) {
	select {
	case <-c.done:
		return nil, ErrClosed
	default:
	}
	select {
	case cn := <-c.slots:
		return cn, nil
	case <-c.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("forward: send to %s: waiting for a free connection: %w", c.target, ctx.Err())
	}
}

// release gives the slot back, with cn kept open only when keep is true and
// the client is still open.
func (c *Client) release(cn *conn, keep bool) {
	if cn != nil && !keep {
		_ = cn.nc.Close() // the error that made us drop it was already reported
		cn = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		if cn != nil {
			_ = cn.nc.Close()
		}
		return
	}
	c.slots <- cn // never blocks: at most MaxConns tokens exist
}

// nextID writes a new chunk id into dst: the client's random prefix and a
// per-client sequence number.
func (c *Client) nextID(dst []byte) []byte {
	dst = append(dst[:0], c.idPrefix[:]...)
	dst = append(dst, '.')
	return appendBase32(dst, c.idSeq.Add(1))
}

// appendBase32 appends n in lowercase base 32 without allocating.
func appendBase32(dst []byte, n uint64) []byte {
	const digits = "0123456789abcdefghijklmnopqrstuv"
	var tmp [13]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[n&31]
		n >>= 5
		if n == 0 {
			break
		}
	}
	return append(dst, tmp[i:]...)
}
