package forward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/forward/forwardtest"
)

// testTimeout is short so failure paths stay fast; success paths never wait
// for it.
const testTimeout = 200 * time.Millisecond

// appendEventTime appends a Fluent Bit EventTime (ext 0: sec, nsec big-endian).
func appendEventTime(b []byte, sec, nsec uint32) []byte {
	return append(b, 0xd7, 0x00,
		byte(sec>>24), byte(sec>>16), byte(sec>>8), byte(sec),
		byte(nsec>>24), byte(nsec>>16), byte(nsec>>8), byte(nsec))
}

// makeEntries builds n events of about recordSize bytes, alternating the V1
// shape [time, record] and the V2 shape [[time, metadata], record].
func makeEntries(n, recordSize int) []byte {
	var b []byte
	pad := strings.Repeat("x", max(0, recordSize-230))
	for i := range n {
		b = msgp.AppendArrayHeader(b, 2)
		if i%2 == 1 {
			b = msgp.AppendArrayHeader(b, 2)
			b = appendEventTime(b, 1700000000+uint32(i), 123)
			b = msgp.AppendMapHeader(b, 1)
			b = msgp.AppendString(b, "otlp")
			b = msgp.AppendMapHeader(b, 0)
		} else {
			b = appendEventTime(b, 1700000000+uint32(i), 456)
		}
		b = msgp.AppendMapHeader(b, 4)
		b = msgp.AppendString(b, "log")
		b = msgp.AppendString(b, fmt.Sprintf(`{"level":"info","msg":"request %d done","dd.trace_id":"%d","pad":"%s"}`, i, 1234567890123+i, pad))
		b = msgp.AppendString(b, "stream")
		b = msgp.AppendString(b, "stdout")
		b = msgp.AppendString(b, "time")
		b = msgp.AppendString(b, "2024-01-02T03:04:05.678901234Z")
		b = msgp.AppendString(b, "kubernetes")
		b = msgp.AppendMapHeader(b, 3)
		b = msgp.AppendString(b, "pod_name")
		b = msgp.AppendString(b, "checkout-7d9f8c6b5-abcde")
		b = msgp.AppendString(b, "namespace_name")
		b = msgp.AppendString(b, "shop")
		b = msgp.AppendString(b, "container_name")
		b = msgp.AppendString(b, "checkout")
	}
	return b
}

// splitEntries splits concatenated events.
func splitEntries(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		rest, err := msgp.Skip(b)
		if err != nil {
			t.Fatalf("splitting entries: %v", err)
		}
		out = append(out, b[:len(b)-len(rest)])
		b = rest
	}
	return out
}

func newClient(t testing.TB, s *forwardtest.Server, mutate func(*Config)) *Client {
	t.Helper()
	cfg := Config{Network: s.Network(), Address: s.Addr(), AckTimeout: testTimeout, DialTimeout: time.Second}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// waitFor polls cond until it holds or a generous bound passes; it orders
// steps between goroutines and asserts nothing about speed.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" = valid
	}{
		{"unix ok", Config{Network: "unix", Address: "/tmp/fw.sock"}, ""},
		{"tcp ok", Config{Network: "tcp", Address: "127.0.0.1:24224"}, ""},
		{"shared key ok", Config{Network: "tcp", Address: "localhost:24224", SharedKey: "k", SelfHostname: "me"}, ""},
		{"empty network", Config{Address: "/tmp/fw.sock"}, "Config.Network is empty"},
		{"udp network", Config{Network: "udp", Address: "127.0.0.1:1"}, `Config.Network "udp"`},
		{"empty address", Config{Network: "unix"}, "Config.Address is empty"},
		{"tcp without port", Config{Network: "tcp", Address: "localhost"}, "Config.Address \"localhost\" is not host:port"},
		{"negative dial timeout", Config{Network: "unix", Address: "/s", DialTimeout: -1}, "Config.DialTimeout"},
		{"negative ack timeout", Config{Network: "unix", Address: "/s", AckTimeout: -time.Second}, "Config.AckTimeout"},
		{"negative max conns", Config{Network: "unix", Address: "/s", MaxConns: -1}, "Config.MaxConns"},
		{"huge max conns", Config{Network: "unix", Address: "/s", MaxConns: 1 << 20}, "Config.MaxConns"},
		{"long hostname", Config{Network: "unix", Address: "/s", SharedKey: "k", SelfHostname: strings.Repeat("h", 300)}, "Config.SelfHostname"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				_ = c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Config{Network: "unix", Address: "/s", SharedKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	host, _ := os.Hostname()
	want := Config{Network: "unix", Address: "/s", SharedKey: "k", SelfHostname: host,
		DialTimeout: defaultDialTimeout, AckTimeout: defaultAckTimeout, MaxConns: 1}
	if c.cfg != want {
		t.Fatalf("defaults = %+v, want %+v", c.cfg, want)
	}
}

func TestSendAcked(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			var s *forwardtest.Server
			if network == "unix" {
				s = forwardtest.NewUnix(t)
			} else {
				s = forwardtest.NewTCP(t)
			}
			c := newClient(t, s, nil)
			entries := makeEntries(10, 400)
			orig := bytes.Clone(entries)
			for i := range 3 {
				if err := c.Send(context.Background(), "app.logs", entries, 10); err != nil {
					t.Fatalf("Send %d: %v", i, err)
				}
			}
			if !bytes.Equal(entries, orig) {
				t.Fatal("Send modified entries")
			}
			msgs := s.Messages()
			if len(msgs) != 3 {
				t.Fatalf("server got %d messages, want 3", len(msgs))
			}
			want := splitEntries(t, orig)
			ids := map[any]bool{}
			for i, m := range msgs {
				if m.Tag != "app.logs" || !m.Acked {
					t.Errorf("message %d: tag %q acked %v", i, m.Tag, m.Acked)
				}
				if len(m.Entries) != len(want) {
					t.Fatalf("message %d: %d entries, want %d", i, len(m.Entries), len(want))
				}
				for j := range want {
					if !bytes.Equal(m.Entries[j], want[j]) {
						t.Errorf("message %d entry %d differs", i, j)
					}
				}
				if m.Option["size"] != int64(10) {
					t.Errorf("message %d: size option = %#v, want 10", i, m.Option["size"])
				}
				ids[m.Option["chunk"]] = true
			}
			if len(ids) != 3 {
				t.Errorf("chunk ids not unique: %v", ids)
			}
		})
	}
}

func TestSendEmptyEntriesIsNoOp(t *testing.T) {
	s := forwardtest.NewUnix(t)
	c := newClient(t, s, nil)
	if err := c.Send(context.Background(), "t", nil, 0); err != nil {
		t.Fatalf("Send(empty): %v", err)
	}
	if n := len(s.Messages()); n != 0 {
		t.Fatalf("server got %d messages for empty entries", n)
	}
}

func TestSendRejectsBadArguments(t *testing.T) {
	c, err := New(Config{Network: "unix", Address: "/nonexistent/fw.sock"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tests := []struct {
		name    string
		tag     string
		count   int
		wantErr string
	}{
		{"empty tag", "", 1, "tag is empty"},
		{"negative count", "t", -1, "count -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Send(context.Background(), tt.tag, makeEntries(1, 100), tt.count)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestSendFailures(t *testing.T) {
	tests := []struct {
		name     string
		behavior forwardtest.Behavior
		delay    time.Duration
		wantIs   error
		wantText string
	}{
		{"delay beyond ack timeout", forwardtest.Delay, 3 * testTimeout, os.ErrDeadlineExceeded, "waiting for the ack"},
		{"never acks", forwardtest.NeverAck, 0, os.ErrDeadlineExceeded, "waiting for the ack"},
		{"wrong ack id", forwardtest.WrongAck, 0, errWrongAck, "reading the ack"},
		{"dropped mid chunk", forwardtest.DropMidChunk, 0, nil, "forward: send to unix:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := forwardtest.NewUnix(t, forwardtest.WithBehavior(tt.behavior), forwardtest.WithDelay(tt.delay))
			c := newClient(t, s, nil)
			entries := makeEntries(50, 400)
			err := c.Send(context.Background(), "t", entries, 50)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Send error = %v, want errors.Is %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantText) || !strings.Contains(err.Error(), s.Addr()) {
				t.Errorf("Send error = %q, want it to contain %q and the address", err, tt.wantText)
			}
			for _, m := range s.Messages() {
				if m.Acked {
					t.Errorf("server acked a message although Send failed")
				}
			}

			// The failed connection was dropped: the next Send re-dials and,
			// with a well-behaved server, succeeds with a fresh chunk id.
			s.SetBehavior(forwardtest.Ack)
			if err := c.Send(context.Background(), "t", entries, 50); err != nil {
				t.Fatalf("Send after recovery: %v", err)
			}
			msgs := s.Messages()
			last := msgs[len(msgs)-1]
			if !last.Acked || len(last.Entries) != 50 {
				t.Fatalf("last message acked=%v entries=%d", last.Acked, len(last.Entries))
			}
			for _, m := range msgs[:len(msgs)-1] {
				if m.Option["chunk"] == last.Option["chunk"] {
					t.Errorf("retried message reused chunk id %v", last.Option["chunk"])
				}
			}
		})
	}
}

func TestDelayedAckWithinTimeout(t *testing.T) {
	s := forwardtest.NewUnix(t, forwardtest.WithBehavior(forwardtest.Delay), forwardtest.WithDelay(20*time.Millisecond))
	c := newClient(t, s, func(cfg *Config) { cfg.AckTimeout = 5 * time.Second })
	if err := c.Send(context.Background(), "t", makeEntries(3, 100), 3); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if msgs := s.Messages(); len(msgs) != 1 || !msgs[0].Acked {
		t.Fatalf("messages = %+v, want one acked", msgs)
	}
}

func TestReceiverRestartedOnSamePath(t *testing.T) {
	s1 := forwardtest.NewUnix(t)
	c := newClient(t, s1, nil)
	entries := makeEntries(5, 200)
	if err := c.Send(context.Background(), "t", entries, 5); err != nil {
		t.Fatalf("Send before restart: %v", err)
	}
	s1.Close() // kill the receiver: the client's idle connection is now dead

	if err := c.Send(context.Background(), "t", entries, 5); err == nil {
		t.Fatal("Send with no receiver succeeded")
	}
	s2 := forwardtest.NewUnix(t, forwardtest.WithUnixPath(s1.Addr()))
	if err := c.Send(context.Background(), "t", entries, 5); err != nil {
		t.Fatalf("first Send after restart: %v", err)
	}
	if msgs := s2.Messages(); len(msgs) != 1 || !msgs[0].Acked {
		t.Fatalf("restarted server messages = %d, want 1 acked", len(msgs))
	}
}

func TestIdleConnectionDroppedByRestart(t *testing.T) {
	// Restart while the client holds an idle connection and no Send happens in
	// between: the very next Send must notice the dead connection and succeed.
	s1 := forwardtest.NewUnix(t)
	c := newClient(t, s1, nil)
	entries := makeEntries(5, 200)
	if err := c.Send(context.Background(), "t", entries, 5); err != nil {
		t.Fatalf("Send before restart: %v", err)
	}
	s1.Close()
	s2 := forwardtest.NewUnix(t, forwardtest.WithUnixPath(s1.Addr()))
	if err := c.Send(context.Background(), "t", entries, 5); err != nil {
		t.Fatalf("first Send after restart: %v", err)
	}
	if n := len(s2.Messages()); n != 1 {
		t.Fatalf("restarted server got %d messages, want 1", n)
	}
}

func TestConcurrentSends(t *testing.T) {
	s := forwardtest.NewUnix(t)
	c := newClient(t, s, func(cfg *Config) { cfg.MaxConns = 2; cfg.AckTimeout = 5 * time.Second })
	const goroutines, perGoroutine = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perGoroutine)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				tag := fmt.Sprintf("g%d.m%d", g, i)
				if err := c.Send(context.Background(), tag, makeEntries(2, 100), 2); err != nil {
					errs <- fmt.Errorf("%s: %w", tag, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	msgs := s.Messages()
	if len(msgs) != goroutines*perGoroutine {
		t.Fatalf("server got %d messages, want %d", len(msgs), goroutines*perGoroutine)
	}
	tags, ids := map[string]int{}, map[any]int{}
	for _, m := range msgs {
		if !m.Acked {
			t.Errorf("%s not acked", m.Tag)
		}
		tags[m.Tag]++
		ids[m.Option["chunk"]]++
	}
	for tag, n := range tags {
		if n != 1 {
			t.Errorf("%s received %d times", tag, n)
		}
	}
	if len(tags) != goroutines*perGoroutine || len(ids) != goroutines*perGoroutine {
		t.Errorf("%d distinct tags, %d distinct chunk ids, want %d", len(tags), len(ids), goroutines*perGoroutine)
	}
}

func TestContextCancelledWhileWaitingForAck(t *testing.T) {
	s := forwardtest.NewUnix(t, forwardtest.WithBehavior(forwardtest.NeverAck))
	c := newClient(t, s, func(cfg *Config) { cfg.AckTimeout = time.Minute })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Send(ctx, "t", makeEntries(2, 100), 2) }()
	waitFor(t, "the message to reach the server", func() bool { return s.Received() == 1 })
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for the ack") {
		t.Fatalf("Send error = %v, want context.Canceled while waiting for the ack", err)
	}
}

func TestContextCancelledWhileWaitingForConnection(t *testing.T) {
	s := forwardtest.NewUnix(t, forwardtest.WithBehavior(forwardtest.NeverAck))
	c := newClient(t, s, func(cfg *Config) { cfg.AckTimeout = time.Minute; cfg.MaxConns = 1 })
	holdCtx, release := context.WithCancel(context.Background())
	held := make(chan error, 1)
	go func() { held <- c.Send(holdCtx, "hold", makeEntries(1, 100), 1) }()
	waitFor(t, "the first message to reach the server", func() bool { return s.Received() == 1 })

	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() { waiting <- c.Send(ctx, "wait", makeEntries(1, 100), 1) }()
	cancel()
	err := <-waiting
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for a free connection") {
		t.Fatalf("Send error = %v, want context.Canceled while waiting for a connection", err)
	}
	release()
	if err := <-held; !errors.Is(err, context.Canceled) {
		t.Fatalf("held Send error = %v, want context.Canceled", err)
	}
	if s.Received() != 1 {
		t.Fatalf("server received %d messages, want only the held one", s.Received())
	}
}

func TestSharedKeyHandshake(t *testing.T) {
	tests := []struct {
		name      string
		clientKey string
		wantErr   string
	}{
		{"right key", "s3cret", ""},
		{"wrong key", "guess", "handshake with unix:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := forwardtest.NewUnix(t, forwardtest.WithSharedKey("s3cret"))
			c := newClient(t, s, func(cfg *Config) { cfg.SharedKey = tt.clientKey; cfg.SelfHostname = "tracelink-test" })
			for i := range 2 { // the second Send reuses the authenticated connection
				err := c.Send(context.Background(), "t", makeEntries(2, 100), 2)
				if tt.wantErr == "" {
					if err != nil {
						t.Fatalf("Send %d: %v", i, err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "PONG") {
					t.Fatalf("Send error = %v, want a handshake error about PONG", err)
				}
			}
			acked := 0
			for _, m := range s.Messages() {
				if m.Acked {
					acked++
				}
			}
			if want := map[bool]int{true: 2, false: 0}[tt.wantErr == ""]; acked != want {
				t.Fatalf("server acked %d messages, want %d", acked, want)
			}
		})
	}
}

func TestSharedKeyToServerWithoutKeyFails(t *testing.T) {
	// A client configured with a key talking to a receiver without one waits
	// for a HELO that never comes: it must fail within DialTimeout.
	s := forwardtest.NewUnix(t)
	c := newClient(t, s, func(cfg *Config) { cfg.SharedKey = "k"; cfg.DialTimeout = testTimeout })
	err := c.Send(context.Background(), "t", makeEntries(1, 50), 1)
	if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(err.Error(), "waiting for HELO") {
		t.Fatalf("Send error = %v, want a HELO timeout", err)
	}
}

func TestNoSharedKeyToServerWithKeyFailsClearly(t *testing.T) {
	s := forwardtest.NewUnix(t, forwardtest.WithSharedKey("k"))
	c := newClient(t, s, nil)
	err := c.Send(context.Background(), "t", makeEntries(1, 50), 1)
	if err == nil || !strings.Contains(err.Error(), "Config.SharedKey must be set") {
		t.Fatalf("Send error = %v, want a hint to set SharedKey", err)
	}
}

// fakeServer accepts one connection on a unix socket and runs script on it.
func fakeServer(t *testing.T, script func(net.Conn)) string {
	t.Helper()
	path := shortSocketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		script(nc)
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return path
}

func shortSocketPath(t *testing.T) string {
	dir, err := os.MkdirTemp("", "fwc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir + "/s"
}

func TestHandshakeRefusedAndForgedPong(t *testing.T) {
	helo := func(keepalive bool) []byte {
		b := msgp.AppendArrayHeader(nil, 2)
		b = msgp.AppendString(b, "HELO")
		b = msgp.AppendMapHeader(b, 3)
		b = msgp.AppendString(b, "nonce")
		b = msgp.AppendBytes(b, []byte("0123456789abcdef"))
		b = msgp.AppendString(b, "auth")
		b = msgp.AppendString(b, "")
		b = msgp.AppendString(b, "keepalive")
		return msgp.AppendBool(b, keepalive)
	}
	pong := func(ok bool, reason, digest string) []byte {
		b := msgp.AppendArrayHeader(nil, 5)
		b = msgp.AppendString(b, "PONG")
		b = msgp.AppendBool(b, ok)
		b = msgp.AppendString(b, reason)
		b = msgp.AppendString(b, "server")
		return msgp.AppendString(b, digest)
	}
	tests := []struct {
		name    string
		pong    []byte
		wantErr string
	}{
		{"user auth refused", pong(false, "username/password mismatch", ""), `server refused authentication: secure-forward handshake failed: "username/password mismatch"`},
		{"forged digest", pong(true, "", strings.Repeat("0", 128)), "the server's shared key digest does not match"},
		{"not a pong", msgp.AppendString(nil, "hello"), "reading PONG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fakeServer(t, func(nc net.Conn) {
				nc.Write(helo(true))
				r := &conn{nc: nc, rbuf: make([]byte, 0, maxAnswer)}
				if _, err := r.readAnswer(); err != nil {
					return
				}
				nc.Write(tt.pong)
				r.readAnswer() // wait for the client to hang up
			})
			c, err := New(Config{Network: "unix", Address: path, SharedKey: "k", SelfHostname: "me", DialTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.Send(context.Background(), "t", makeEntries(1, 50), 1)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestHandshakeKeepaliveFalseUsesConnectionOnce(t *testing.T) {
	const key = "k"
	accepted := make(chan struct{}, 4)
	path := shortSocketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			wg.Go(func() {
				defer nc.Close()
				nonce := []byte("0123456789abcdef")
				b := msgp.AppendArrayHeader(nil, 2)
				b = msgp.AppendString(b, "HELO")
				b = msgp.AppendMapHeader(b, 2)
				b = msgp.AppendString(b, "nonce")
				b = msgp.AppendBytes(b, nonce)
				b = msgp.AppendString(b, "keepalive")
				b = msgp.AppendBool(b, false)
				nc.Write(b)
				r := &conn{nc: nc, rbuf: make([]byte, 0, maxAnswer)}
				ping, err := r.readAnswer()
				if err != nil {
					return
				}
				var f [4][]byte
				_, rest, _ := msgp.ReadArrayHeaderBytes(ping)
				for i := range f {
					f[i], rest, _ = msgp.ReadStringZC(rest)
				}
				d := sharedKeyDigest(f[2], []byte("srv"), nonce, key)
				p := msgp.AppendArrayHeader(nil, 5)
				p = msgp.AppendString(p, "PONG")
				p = msgp.AppendBool(p, true)
				p = msgp.AppendString(p, "")
				p = msgp.AppendString(p, "srv")
				p = msgp.AppendStringFromBytes(p, d[:])
				nc.Write(p)
				fr := &frameReader4Test{c: r}
				msg, err := fr.next()
				if err != nil {
					return
				}
				_, rest, _ = msgp.ReadArrayHeaderBytes(msg)
				rest, _ = msgp.Skip(rest) // tag
				rest, _ = msgp.Skip(rest) // entries
				opt, _, _ := msgp.ReadMapStrIntfBytes(rest, nil)
				nc.Write(msgp.AppendString(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "ack"), opt["chunk"].(string)))
				// keepalive=false: the server closes after one message.
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })

	c, err := New(Config{Network: "unix", Address: path, SharedKey: key, SelfHostname: "me", AckTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 2 {
		if err := c.Send(context.Background(), "t", makeEntries(1, 50), 1); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if n := len(accepted); n != 2 {
		t.Fatalf("server accepted %d connections, want 2 (one per message)", n)
	}
}

// frameReader4Test reads one whole message of any size with conn.readAnswer's
// framing but without its size cap.
type frameReader4Test struct{ c *conn }

func (f *frameReader4Test) next() ([]byte, error) {
	f.c.rbuf = make([]byte, 0, 1<<20)
	f.c.rdone = 0
	return f.c.readAnswer()
}

func TestCloseThenSendFailsAndNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	func() {
		s := forwardtest.NewUnix(t)
		c, err := New(Config{Network: s.Network(), Address: s.Addr(), MaxConns: 3, AckTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if err := c.Send(ctx, "t", makeEntries(3, 100), 3); err != nil {
					t.Errorf("Send: %v", err)
				}
			})
		}
		wg.Wait()
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := c.Send(context.Background(), "t", makeEntries(1, 10), 1); !errors.Is(err, ErrClosed) {
			t.Errorf("Send after Close = %v, want ErrClosed", err)
		}
		s.Close() // the server's connection goroutines end once the client hung up
	}()
	waitFor(t, "goroutines to return to the baseline", func() bool { return runtime.NumGoroutine() <= base })
}

func TestDialErrorNamesAddress(t *testing.T) {
	path := shortSocketPath(t)
	c, err := New(Config{Network: "unix", Address: path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Send(context.Background(), "t", makeEntries(1, 10), 1)
	if err == nil || !strings.Contains(err.Error(), "dial unix:"+path) {
		t.Fatalf("Send error = %v, want a dial error naming %s", err, path)
	}
}

func TestChunkIDsUnique(t *testing.T) {
	a, _ := New(Config{Network: "unix", Address: "/s"})
	b, _ := New(Config{Network: "unix", Address: "/s"})
	seen := map[string]bool{}
	var buf []byte
	for range 1000 {
		for _, c := range []*Client{a, b} {
			buf = c.nextID(buf)
			if seen[string(buf)] {
				t.Fatalf("duplicate chunk id %q", buf)
			}
			seen[string(buf)] = true
		}
	}
}
