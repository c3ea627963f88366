package forwardtest

import (
	"bytes"
	"compress/gzip"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"
)

func eventTime(b []byte, sec uint32) []byte {
	return append(b, 0xd7, 0, byte(sec>>24), byte(sec>>16), byte(sec>>8), byte(sec), 0, 0, 0, 1)
}

func record(b []byte, msg string) []byte {
	b = msgp.AppendMapHeader(b, 1)
	b = msgp.AppendString(b, "log")
	return msgp.AppendString(b, msg)
}

// v1 is [time, {"log": msg}]; v2 is [[time, {"k": "v"}], {"log": msg}].
func v1(msg string) []byte {
	return record(eventTime(msgp.AppendArrayHeader(nil, 2), 1700000000), msg)
}

func v2(msg string) []byte {
	b := msgp.AppendArrayHeader(nil, 2)
	b = msgp.AppendArrayHeader(b, 2)
	b = eventTime(b, 1700000001)
	b = msgp.AppendMapHeader(b, 1)
	b = msgp.AppendString(b, "k")
	b = msgp.AppendString(b, "v")
	return record(b, msg)
}

// groupStart is a Fluent Bit group marker: EventTime seconds 0xFFFFFFFF.
func groupStart() []byte {
	b := msgp.AppendArrayHeader(nil, 2)
	b = msgp.AppendArrayHeader(b, 2)
	b = append(b, 0xd7, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
	b = msgp.AppendMapHeader(b, 0)
	return msgp.AppendMapHeader(b, 0)
}

func option(chunk string, extra ...string) []byte {
	b := msgp.AppendMapHeader(nil, uint32(1+len(extra)/2))
	b = msgp.AppendString(b, "chunk")
	b = msgp.AppendString(b, chunk)
	for i := 0; i+1 < len(extra); i += 2 {
		b = msgp.AppendString(b, extra[i])
		b = msgp.AppendString(b, extra[i+1])
	}
	return b
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeModes(t *testing.T) {
	packed := append(append(v1("a"), v2("b")...), groupStart()...)
	forwardMsg := func(opt []byte) []byte {
		b := msgp.AppendArrayHeader(nil, uint32(2+min(1, len(opt))))
		b = msgp.AppendString(b, "fwd")
		b = msgp.AppendArrayHeader(b, 2)
		b = append(b, v1("a")...)
		b = append(b, v2("b")...)
		return append(b, opt...)
	}
	messageMode := msgp.AppendArrayHeader(nil, 4)
	messageMode = msgp.AppendString(messageMode, "msg")
	messageMode = eventTime(messageMode, 1700000000)
	messageMode = record(messageMode, "a")
	messageMode = append(messageMode, option("m1")...)

	tests := []struct {
		name      string
		in        []byte
		wantTag   string
		wantChunk string
		want      [][]byte
		wantErr   string
	}{
		{"packed bin", append(msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 3), "p"), packed), option("c1", "size", "x")...), "p", "c1", [][]byte{v1("a"), v2("b"), groupStart()}, ""},
		{"packed str no option", msgp.AppendStringFromBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 2), "p"), packed), "p", "", [][]byte{v1("a"), v2("b"), groupStart()}, ""},
		{"compressed packed", append(msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 3), "z"), gz(t, packed)), option("c2", "compressed", "gzip")...), "z", "c2", [][]byte{v1("a"), v2("b"), groupStart()}, ""},
		{"forward", forwardMsg(option("f1")), "fwd", "f1", [][]byte{v1("a"), v2("b")}, ""},
		{"forward nil option", forwardMsg([]byte{0xc0}), "fwd", "", [][]byte{v1("a"), v2("b")}, ""},
		{"message", messageMode, "msg", "m1", [][]byte{v1("a")}, ""},
		{"not an array", msgp.AppendString(nil, "x"), "", "", nil, "not an array"},
		{"int tag", msgp.AppendInt(msgp.AppendArrayHeader(nil, 2), 1), "", "", nil, "tag"},
		{"record not a map", msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 2), "p"),
			msgp.AppendString(eventTime(msgp.AppendArrayHeader(nil, 2), 1), "x")), "", "", nil, "want a map"},
		{"bad time ext", msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 2), "p"),
			record(append(msgp.AppendArrayHeader(nil, 2), 0xd7, 5, 0, 0, 0, 0, 0, 0, 0, 0), "x")), "", "", nil, "EventTime"},
		{"chunk not a string", append(msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 3), "p"), packed),
			msgp.AppendInt(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "chunk"), 3)...), "", "", nil, "option chunk"},
		{"unknown compression", append(msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 3), "p"), packed), option("c", "compressed", "lz4")...), "", "", nil, "compressed"},
		{"truncated packed entry", msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 2), "p"), packed[:len(packed)-1]), "", "", nil, "packed entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, chunk, err := decodeMessage(tt.in, true)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("decodeMessage error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeMessage: %v", err)
			}
			if msg.Tag != tt.wantTag || chunk != tt.wantChunk {
				t.Errorf("tag %q chunk %q, want %q %q", msg.Tag, chunk, tt.wantTag, tt.wantChunk)
			}
			if len(msg.Entries) != len(tt.want) {
				t.Fatalf("%d entries, want %d", len(msg.Entries), len(tt.want))
			}
			for i := range tt.want {
				if !bytes.Equal(msg.Entries[i], tt.want[i]) {
					t.Errorf("entry %d = %x, want %x", i, msg.Entries[i], tt.want[i])
				}
			}
		})
	}
}

// readAck reads one answer from the server and returns its "ack" value.
func readAck(t *testing.T, nc net.Conn) string {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	fr := &frameReader{r: nc}
	b, err := fr.next()
	if err != nil {
		t.Fatalf("reading the ack: %v", err)
	}
	m, _, err := msgp.ReadMapStrIntfBytes(b, nil)
	if err != nil {
		t.Fatalf("ack is not a map: %v", err)
	}
	s, _ := m["ack"].(string)
	return s
}

func TestServerAcksAndRecords(t *testing.T) {
	for _, newServer := range []func(testing.TB, ...Option) *Server{NewUnix, NewTCP} {
		s := newServer(t)
		nc, err := net.Dial(s.Network(), s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		msg := append(msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 3), "tag"), v2("hello")), option("id-1")...)
		// Send in two pieces to exercise reassembly.
		nc.Write(msg[:7])
		nc.Write(msg[7:])
		if got := readAck(t, nc); got != "id-1" {
			t.Fatalf("%s: ack = %q, want id-1", s.Network(), got)
		}
		s.SetBehavior(WrongAck)
		nc.Write(append(msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 3), "tag"), v1("x")), option("id-2")...))
		if got := readAck(t, nc); got == "id-2" {
			t.Fatalf("%s: WrongAck answered the right id", s.Network())
		}
		msgs := s.Messages()
		if len(msgs) != 2 || !msgs[0].Acked || msgs[1].Acked || msgs[0].Option["chunk"] != "id-1" {
			t.Fatalf("%s: messages = %+v", s.Network(), msgs)
		}
		if !bytes.Equal(msgs[0].Entries[0], v2("hello")) {
			t.Fatalf("%s: entry = %x", s.Network(), msgs[0].Entries[0])
		}
		if s.Received() != 2 {
			t.Fatalf("%s: Received = %d", s.Network(), s.Received())
		}
	}
}

func TestServerDropMidChunkAndClose(t *testing.T) {
	s := NewUnix(t, WithBehavior(DropMidChunk))
	nc, err := net.Dial("unix", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write(append(msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 3), "tag"), v1(strings.Repeat("x", 1000))), option("id")...))
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var one [1]byte
	if n, err := nc.Read(one[:]); err == nil {
		t.Fatalf("read %d bytes from a server that should have dropped the connection", n)
	}
	if len(s.Messages()) != 0 {
		t.Fatal("a dropped message was recorded")
	}
	path := s.Addr()
	s.Close()
	s.Close() // idempotent
	if _, err := net.Dial("unix", path); err == nil {
		t.Fatal("dial succeeded after Close")
	}
	s2 := NewUnix(t, WithUnixPath(path))
	nc2, err := net.Dial("unix", s2.Addr())
	if err != nil {
		t.Fatalf("dial restarted server: %v", err)
	}
	nc2.Close()
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add(append(msgp.AppendBytes(msgp.AppendString(msgp.AppendArrayHeader(nil, 3), "p"), append(v1("a"), v2("b")...)), option("c")...))
	f.Add(msgp.AppendArrayHeader(nil, 4))
	f.Add([]byte{0x93, 0xa1, 't', 0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		msg, _, err := decodeMessage(b, true)
		if !bytes.Equal(in, b) {
			t.Fatal("decodeMessage modified its input")
		}
		if err != nil {
			return
		}
		for i, e := range msg.Entries {
			if _, err := appendEntry(nil, e, false); err != nil {
				t.Fatalf("accepted entry %d does not re-check: %v", i, err)
			}
		}
	})
}
