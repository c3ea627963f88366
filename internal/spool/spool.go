// Package spool is tracelink's durable queue between Fluent Bit's flush and the forward
// input: a directory of batch files, one per flushed chunk, each removed only once the
// forward input acknowledged every event in it.
//
// Why it exists: Fluent Bit runs an output's flush on its engine thread unless the output
// has Workers, and it pauses every input, the forward input included, before it drains
// the outputs on shutdown and hot reload. A flush that waited for the forward input's ack
// could therefore wait for something only the engine thread (or a paused input) can do.
// With the spool a flush returns as soon as its batch is written, and a sender in the
// background delivers it; a batch left behind by a shutdown or a reload is delivered by
// the next instance that opens the same directory.
//
// Durability: with Options.Memory (the default of the plugin), a batch is kept in memory
// while it waits, up to a bound, and written to a file only when the memory is full or the
// spool closes (a shutdown, a hot reload): it survives what Fluent Bit's own memory
// buffering survives, at no disk I/O on the way. Without it, each batch is written to a
// temporary file and renamed into place before Put returns, without fsync, the same
// guarantee as Fluent Bit's filesystem storage with storage.sync normal: it survives the
// process (SIGTERM, SIGKILL, a crash), not the machine losing power. Each batch file
// carries a CRC-32C of its entries; a file that fails the check at start is renamed to
// *.bad and reported, never sent and never deleted.
package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ErrFull is returned by Put when the spool holds its limit already.
var ErrFull = errors.New("spool: full")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("spool: closed")

const (
	magic      = "TLSPOOL1"
	fileSuffix = ".batch"
	tmpSuffix  = ".tmp"
	badSuffix  = ".bad"
	lockName   = "LOCK"
	// headerLen is a batch header's length without the tag: magic, tag length, count, CRC.
	headerLen = len(magic) + 4 + 4 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Batch is one spooled chunk: the events of one flush, to be sent under one tag.
type Batch struct {
	// Tag is the tag to send the events under.
	Tag string
	// Count is the number of events.
	Count int
	// Sent is how many bytes of the entries were acknowledged already; a sender that
	// delivers a batch in parts sets it, so that a retry in this process resumes there.
	Sent int
	// Parts are the messages the entries are sent as, when Put was given them (nil for a
	// batch an earlier process left: the sender cuts it again).
	Parts []Part

	seq  uint64
	size int64  // file size (the bytes it counts against the limit)
	data []byte // the entries while the batch is kept in memory (no header, no CRC: no disk to tear); nil once on disk
}

// Part is one message of a batch: the entries up to End (an offset), Count events.
type Part struct {
	End, Count int
}

// Spool is one directory of batches, owned by one process at a time (an flock on LOCK).
// It is safe for concurrent use.
type Spool struct {
	dir      string
	limit    int64
	memLimit int64 // bytes of batches kept in memory; 0: every batch goes to a file
	lock     *os.File

	mu       sync.Mutex
	ready    chan struct{} // closed and replaced when a batch is queued or on Close
	queue    []*Batch      // waiting to be sent, oldest first
	inFlight int
	bytes    int64 // bytes of batches, queued or in flight, in files or in memory
	memBytes int64 // of which in memory
	seq      uint64
	closed   bool
	buffers  sync.Pool // *[]byte for in-memory batches
}

// Options adjust Open.
type Options struct {
	// Limit bounds the bytes held (0: no bound); a directory over it already still opens,
	// and Put refuses new batches until senders drained it below.
	Limit int64
	// Memory keeps up to this many bytes of batches in memory, written to files only when
	// it is full or at Close (0: every batch is written to a file by Put).
	Memory int64
}

// Recovered says what Open found in the directory.
type Recovered struct {
	// Batches and Bytes count the batches left by an earlier process, queued again.
	Batches int
	Bytes   int64
	// Bad names the files that failed their check, renamed to *.bad.
	Bad []string
}

// Open opens (creating it, with its parents, mode 0700) the spool directory dir, takes
// its lock and queues the batches an earlier process left there, oldest first.
func Open(dir string, opts Options) (*Spool, Recovered, error) {
	var rec Recovered
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, rec, fmt.Errorf("spool: creating %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, rec, fmt.Errorf("spool: opening the lock file: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := io.ReadAll(io.LimitReader(lock, 32))
		_ = lock.Close()
		who := "another process"
		if pid := strings.TrimSpace(string(holder)); pid != "" {
			who = "process " + pid
		}
		return nil, rec, fmt.Errorf("spool: %s is in use by %s (two Fluent Bit processes, or two instances, configured with the same spool directory): %w", dir, who, err)
	}
	if err := lock.Truncate(0); err == nil {
		_, _ = lock.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	s := &Spool{dir: dir, limit: opts.Limit, memLimit: opts.Memory, lock: lock, ready: make(chan struct{})}
	if err := s.recover(&rec); err != nil {
		_ = s.unlock()
		return nil, rec, err
	}
	return s, rec, nil
}

// recover queues the batch files present, checks each, and removes temporary files that
// a process stopped in the middle of a write left.
func (s *Spool) recover(rec *Recovered) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("spool: reading %s: %w", s.dir, err)
	}
	var batches []*Batch
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, tmpSuffix):
			_ = os.Remove(filepath.Join(s.dir, name)) // its flush never returned OK
		case strings.HasSuffix(name, fileSuffix):
			seq, err := strconv.ParseUint(strings.TrimSuffix(name, fileSuffix), 10, 64)
			if err != nil {
				continue // not ours
			}
			b, err := s.check(seq)
			if err != nil {
				bad := filepath.Join(s.dir, name+badSuffix)
				if rerr := os.Rename(filepath.Join(s.dir, name), bad); rerr != nil {
					return fmt.Errorf("spool: setting aside %s (%v): %w", name, err, rerr)
				}
				rec.Bad = append(rec.Bad, fmt.Sprintf("%s: %v", bad, err))
				continue
			}
			batches = append(batches, b)
		}
	}
	slices.SortFunc(batches, func(a, b *Batch) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	for _, b := range batches {
		s.bytes += b.size
		rec.Bytes += b.size
		s.seq = max(s.seq, b.seq)
	}
	s.queue = batches
	rec.Batches = len(batches)
	return nil
}

// check reads batch seq whole and verifies it.
func (s *Spool) check(seq uint64) (*Batch, error) {
	b := &Batch{seq: seq}
	data, err := os.ReadFile(s.path(seq))
	if err != nil {
		return nil, err
	}
	b.size = int64(len(data))
	b.Tag, b.Count, _, err = decode(data)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (s *Spool) path(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d%s", seq, fileSuffix))
}

// Dir is the spool's directory.
func (s *Spool) Dir() string { return s.dir }

// Put keeps one batch, in memory or in a file (see Options.Memory), and queues it for a
// sender, with the messages to send it as (parts, which Put keeps; nil: the sender cuts
// them). It returns ErrFull, keeping nothing, when the spool holds its limit. entries is
// not retained.
func (s *Spool) Put(tag string, count int, entries []byte, parts []Part) error {
	if len(tag) > 1<<16 {
		return fmt.Errorf("spool: tag of %d bytes is too long", len(tag))
	}
	size := int64(headerLen + len(tag) + len(entries))
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.limit > 0 && s.bytes > 0 && s.bytes+size > s.limit {
		s.mu.Unlock()
		return ErrFull
	}
	s.seq++
	b := &Batch{Tag: tag, Count: count, Parts: parts, seq: s.seq, size: size}
	s.bytes += size // reserved while writing, so that concurrent Puts respect the limit
	inMemory := s.memBytes+size <= s.memLimit
	if inMemory {
		s.memBytes += size
	}
	s.mu.Unlock()

	if inMemory {
		b.data = s.encode(entries)
	} else if err := s.write(b, entries); err != nil {
		s.mu.Lock()
		s.bytes -= size
		s.mu.Unlock()
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		if b.data != nil {
			// Close has spilled what it saw; this one came after: spill it too.
			s.memBytes -= size
			return s.spill(b)
		}
		return nil // written, and left for the next process
	}
	s.queue = append(s.queue, b)
	s.signal()
	return nil
}

// encode returns a copy of entries in a pooled buffer.
func (s *Spool) encode(entries []byte) []byte {
	var buf []byte
	if p, ok := s.buffers.Get().(*[]byte); ok && cap(*p) >= len(entries) {
		buf = (*p)[:0]
	} else {
		buf = make([]byte, 0, len(entries))
	}
	return append(buf, entries...)
}

// appendHeader appends a batch file's header: magic, tag, count, the entries' CRC-32C.
func appendHeader(dst []byte, b *Batch, entries []byte) []byte {
	dst = append(dst, magic...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b.Tag)))
	dst = append(dst, b.Tag...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(b.Count))
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(entries, castagnoli))
}

// release returns an in-memory batch's buffer to the pool.
func (s *Spool) release(b *Batch) {
	if b.data != nil && cap(b.data) <= maxPooled {
		data := b.data
		s.buffers.Put(&data)
	}
	b.data = nil
}

// maxPooled is the largest batch buffer kept for reuse.
const maxPooled = 8 << 20

// spill writes an in-memory batch to its file (Close, or a batch kept after Close). s.mu
// is held: Close must not let a batch slip between its spill and the next process.
func (s *Spool) spill(b *Batch) error {
	if err := s.write(b, b.data); err != nil {
		return err
	}
	s.release(b)
	return nil
}

// write writes b's file with entries.
func (s *Spool) write(b *Batch, entries []byte) error {
	hdr := appendHeader(make([]byte, 0, headerLen+len(b.Tag)), b, entries)
	return s.writeFile(b.seq, hdr, entries)
}

// writeFile writes batch seq's file, hdr then entries: to a temporary name, then renamed
// into place.
func (s *Spool) writeFile(seq uint64, hdr, entries []byte) error {
	final := s.path(seq)
	tmp := final + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: creating a batch file: %w", err)
	}
	if _, err = f.Write(hdr); err == nil {
		_, err = f.Write(entries)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("spool: writing a batch of %d bytes to %s: %w", len(entries), s.dir, err)
	}
	return nil
}

// signal wakes the senders waiting in Next. s.mu is held.
func (s *Spool) signal() {
	close(s.ready)
	s.ready = make(chan struct{})
}

// Next takes the oldest queued batch, waiting until there is one. done aborts the wait
// (Next then returns nil, nil); so does Close (nil, ErrClosed). The batch is in flight
// until the caller passes it to Done or Requeue.
func (s *Spool) Next(done <-chan struct{}) (*Batch, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		if len(s.queue) > 0 {
			b := s.queue[0]
			s.queue[0] = nil
			s.queue = s.queue[1:]
			s.inFlight++
			s.mu.Unlock()
			return b, nil
		}
		ready := s.ready
		s.mu.Unlock()
		select {
		case <-ready:
		case <-done:
			return nil, nil
		}
	}
}

// Read returns b's entries: from memory, or read from its file into *buf (grown as
// needed). They are valid until Done or Requeue.
func (s *Spool) Read(b *Batch, buf *[]byte) ([]byte, error) {
	if b.data != nil {
		return b.data, nil
	}
	f, err := os.Open(s.path(b.seq))
	if err != nil {
		return nil, fmt.Errorf("spool: opening batch %d: %w", b.seq, err)
	}
	defer f.Close()
	if int64(cap(*buf)) < b.size {
		*buf = make([]byte, b.size)
	}
	data := (*buf)[:b.size]
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("spool: reading batch %d: %w", b.seq, err)
	}
	_, _, entries, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("spool: batch %d: %w", b.seq, err)
	}
	return entries, nil
}

// decode checks a batch file's bytes and returns its tag, event count and entries.
func decode(data []byte) (tag string, count int, entries []byte, err error) {
	if len(data) < headerLen || string(data[:len(magic)]) != magic {
		return "", 0, nil, errors.New("not a batch file (bad magic or too short)")
	}
	p := data[len(magic):]
	tagLen := int(binary.LittleEndian.Uint32(p))
	p = p[4:]
	if tagLen > len(p)-8 {
		return "", 0, nil, errors.New("truncated header")
	}
	tag = string(p[:tagLen])
	p = p[tagLen:]
	count = int(binary.LittleEndian.Uint32(p))
	sum := binary.LittleEndian.Uint32(p[4:])
	entries = p[8:]
	if crc32.Checksum(entries, castagnoli) != sum {
		return "", 0, nil, errors.New("checksum mismatch (truncated or corrupted)")
	}
	return tag, count, entries, nil
}

// Done forgets a delivered batch: its memory or its file.
func (s *Spool) Done(b *Batch) error {
	var err error
	if b.data != nil {
		s.release(b)
		s.mu.Lock()
		s.memBytes -= b.size
		s.mu.Unlock()
	} else if err = os.Remove(s.path(b.seq)); errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	s.mu.Lock()
	s.inFlight--
	s.bytes -= b.size
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("spool: removing a delivered batch: %w", err)
	}
	return nil
}

// Requeue puts an undelivered batch back at the front of the queue.
func (s *Spool) Requeue(b *Batch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.closed {
		if b.data != nil {
			s.memBytes -= b.size
			_ = s.spill(b) // an error was reported by Close's own spill of the others
		}
		return // its file stays for the next process
	}
	s.queue = slices.Insert(s.queue, 0, b)
	s.signal()
}

// Stats is a snapshot of the spool's size.
type Stats struct {
	Queued, InFlight int
	Bytes            int64 // in memory and in files
	MemoryBytes      int64 // in memory
}

// Stats returns how many batches wait and are in flight, and the bytes they hold.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Queued: len(s.queue), InFlight: s.inFlight, Bytes: s.bytes, MemoryBytes: s.memBytes}
}

// Close writes the batches kept in memory to their files, wakes every waiting Next and
// releases the directory's lock. Batch files stay for the next process; Put and Next fail
// after it. A batch still in flight is written when its sender gives it back (Requeue).
// Close is idempotent.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var errs []error
	for _, b := range s.queue {
		if b.data != nil {
			s.memBytes -= b.size
			if err := s.spill(b); err != nil {
				errs = append(errs, err)
			}
		}
	}
	s.signal()
	s.mu.Unlock()
	errs = append(errs, s.unlock())
	return errors.Join(errs...)
}

func (s *Spool) unlock() error {
	err := syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
	if cerr := s.lock.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spool: releasing the lock of %s: %w", s.dir, err)
	}
	return nil
}
