// Package forwardtest is an in-test stand-in for Fluent Bit's `forward`
// input (in_forward): it accepts Forward protocol v1 messages (Message,
// Forward, PackedForward and gzip CompressedPackedForward), records what it
// got, answers {"ack": chunk} when the option map carries a chunk id, and can
// misbehave on purpose (delay, drop the connection mid-message, never ack,
// ack the wrong id) to test a sender's error handling.
//
// With WithSharedKey it runs the secure-forward handshake the way in_forward
// (Fluent Bit v5.1.1) does: HELO with a 16-byte nonce and auth salt, then it
// checks PING and answers PONG, or closes the connection without a PONG when
// the shared key digest is wrong.
//
// A malformed message (bad msgpack, unknown mode, an entry that is not
// [time, record] or [[time, metadata], record]) fails the test with t.Errorf
// and closes the connection without an ack. A bad PING or a wrong shared key
// is only logged (tests may do that on purpose).
package forwardtest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Behavior says how the server answers the next messages.
type Behavior int

const (
	// Ack answers every message that carries a chunk id at once (default).
	Ack Behavior = iota
	// Delay answers after the WithDelay duration (default 100ms).
	Delay
	// DropMidChunk reads a few bytes of the next message and closes the
	// connection; the message is not recorded.
	DropMidChunk
	// NeverAck records messages but never answers.
	NeverAck
	// WrongAck answers with a chunk id that is not the one sent.
	WrongAck
)

// String names the behaviour.
func (b Behavior) String() string {
	switch b {
	case Ack:
		return "Ack"
	case Delay:
		return "Delay"
	case DropMidChunk:
		return "DropMidChunk"
	case NeverAck:
		return "NeverAck"
	case WrongAck:
		return "WrongAck"
	}
	return "Behavior(?)"
}

// Message is one message the server decoded.
type Message struct {
	// Tag is the message's tag.
	Tag string
	// Entries holds each event's msgpack bytes ([time, record] or
	// [[time, metadata], record]); Message mode events are re-wrapped as
	// [time, record]. The slices are copies owned by the Message.
	Entries [][]byte
	// Option is the decoded option map (nil when the message had none).
	Option map[string]any
	// Acked is true once the server wrote the right ack for this message.
	Acked bool
}

// Option configures a Server.
type Option func(*config)

type config struct {
	behavior  Behavior
	delay     time.Duration
	sharedKey string
	unixPath  string
	discard   bool
	handler   func(Message)
}

// WithBehavior sets the initial behaviour (default Ack).
func WithBehavior(b Behavior) Option { return func(c *config) { c.behavior = b } }

// WithDelay sets how long Delay waits before acking (default 100ms).
func WithDelay(d time.Duration) Option { return func(c *config) { c.delay = d } }

// WithSharedKey makes every connection start with the secure-forward
// handshake using key.
func WithSharedKey(key string) Option { return func(c *config) { c.sharedKey = key } }

// WithUnixPath makes NewUnix listen on path (to restart a server on the path
// of one that was closed) instead of a fresh path in t.TempDir().
func WithUnixPath(path string) Option { return func(c *config) { c.unixPath = path } }

// WithoutRecording makes the server decode, check and ack messages without
// keeping them (Messages stays empty, Received counts them); for benchmarks.
func WithoutRecording() Option { return func(c *config) { c.discard = true } }

// WithHandler calls h with every decoded message, entries included, before the message
// is acknowledged; with WithoutRecording the server keeps nothing itself. h must be safe
// for concurrent calls (one per connection) and must not keep msg.Entries' slices past
// the call... they are copies, so it may.
func WithHandler(h func(Message)) Option { return func(c *config) { c.handler = h } }

// Server is a running in-test forward receiver.
type Server struct {
	t         testing.TB
	ln        net.Listener
	network   string
	addr      string
	sharedKey string
	discard   bool
	handler   func(Message)

	behavior atomic.Int64
	delay    atomic.Int64

	done chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	conns    map[net.Conn]struct{}
	messages []Message
	received int
}

// maxUnixPath keeps socket paths under the 108-byte sun_path limit.
const maxUnixPath = 100

// NewUnix starts a server on a unix socket in t.TempDir() (or the
// WithUnixPath path); t.Cleanup closes it.
func NewUnix(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := newConfig(opts)
	path := cfg.unixPath
	if path == "" {
		path = filepath.Join(t.TempDir(), "fw.sock")
		if len(path) > maxUnixPath {
			dir, err := os.MkdirTemp("", "fwt")
			if err != nil {
				t.Fatalf("forwardtest: temp dir for the socket: %v", err)
			}
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			path = filepath.Join(dir, "fw.sock")
		}
	}
	// Like in_forward, replace a stale socket file left by a killed server.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		_ = os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatalf("forwardtest: listen on unix %s: %v", path, err)
	}
	return start(t, ln, "unix", path, cfg)
}

// NewTCP starts a server on 127.0.0.1 on a free port; t.Cleanup closes it.
func NewTCP(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := newConfig(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("forwardtest: listen on tcp 127.0.0.1:0: %v", err)
	}
	return start(t, ln, "tcp", ln.Addr().String(), cfg)
}

// NewTCPAt starts a server on the TCP address addr (host:port), to restart a server on
// the port of one that was closed; t.Cleanup closes it.
func NewTCPAt(t testing.TB, addr string, opts ...Option) *Server {
	t.Helper()
	cfg := newConfig(opts)
	var ln net.Listener
	var err error
	for range 50 { // the port may linger for a moment after Close
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("forwardtest: listen on tcp %s: %v", addr, err)
	}
	return start(t, ln, "tcp", ln.Addr().String(), cfg)
}

func newConfig(opts []Option) config {
	cfg := config{behavior: Ack, delay: 100 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

func start(t testing.TB, ln net.Listener, network, addr string, cfg config) *Server {
	s := &Server{
		t:         t,
		ln:        ln,
		network:   network,
		addr:      addr,
		sharedKey: cfg.sharedKey,
		discard:   cfg.discard,
		handler:   cfg.handler,
		done:      make(chan struct{}),
		conns:     make(map[net.Conn]struct{}),
	}
	s.behavior.Store(int64(cfg.behavior))
	s.delay.Store(int64(cfg.delay))
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// Network returns "unix" or "tcp".
func (s *Server) Network() string { return s.network }

// Addr returns the socket path or host:port.
func (s *Server) Addr() string { return s.addr }

// SetBehavior changes how the next messages are answered.
func (s *Server) SetBehavior(b Behavior) { s.behavior.Store(int64(b)) }

// Messages returns a copy of the list of every message received, acked or not,
// in arrival order (empty with WithoutRecording).
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	copy(out, s.messages)
	return out
}

// Received returns how many messages were decoded (recorded or not).
func (s *Server) Received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received
}

// Close stops accepting, drops every open connection (as a receiver killed
// mid-stream would) and waits for the server's goroutines. A unix socket file
// is removed, so a new server can listen on the same path. Idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	_ = s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(nc)
	}
}

func (s *Server) serve(nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
		_ = nc.Close()
	}()
	r := &frameReader{r: nc}
	if s.sharedKey != "" && !s.handshake(nc, r) {
		return
	}
	for {
		behavior := Behavior(s.behavior.Load())
		if behavior == DropMidChunk {
			var part [16]byte
			_, _ = nc.Read(part[:]) // wait for the start of a message, then drop it
			return
		}
		frame, err := r.next()
		// The behaviour may have changed while waiting: it applies to the
		// message just read.
		behavior = Behavior(s.behavior.Load())
		if err == nil && behavior == DropMidChunk {
			return // read but dropped: same as a receiver dying mid-message
		}
		if err != nil {
			// A sender may give up mid-message (timeout, cancel): only a
			// broken stream is the sender's bug.
			if errors.Is(err, errBadMsgpack) || errors.Is(err, errFrameTooLarge) {
				s.t.Errorf("forwardtest: reading a message: %v", err)
			}
			return
		}
		msg, chunk, err := decodeMessage(frame, !s.discard || s.handler != nil)
		if err != nil {
			s.t.Errorf("forwardtest: %v", err)
			return
		}
		if s.handler != nil {
			s.handler(msg)
		}
		idx := s.record(msg)
		if chunk == "" {
			continue
		}
		switch behavior {
		case NeverAck:
			continue
		case WrongAck:
			chunk += "-wrong"
		case Delay:
			select {
			case <-time.After(time.Duration(s.delay.Load())):
			case <-s.done:
				return
			}
		}
		// Mark before writing so that a client that got the ack also sees
		// Acked in Messages; undo if the write fails.
		right := behavior != WrongAck
		if right {
			s.setAcked(idx, true)
		}
		if _, err := nc.Write(appendAck(nil, chunk)); err != nil {
			if right {
				s.setAcked(idx, false)
			}
			return // the client gave up
		}
	}
}

// record stores msg and returns its index (-1 when not recording).
func (s *Server) record(msg Message) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received++
	if s.discard {
		return -1
	}
	s.messages = append(s.messages, msg)
	return len(s.messages) - 1
}

func (s *Server) setAcked(idx int, acked bool) {
	if idx < 0 {
		return
	}
	s.mu.Lock()
	s.messages[idx].Acked = acked
	s.mu.Unlock()
}
