package spool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func mustOpen(t *testing.T, dir string, limit int64) (*Spool, Recovered) {
	t.Helper()
	s, rec, err := Open(dir, Options{Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, rec
}

func take(t *testing.T, s *Spool) (*Batch, []byte) {
	t.Helper()
	done := make(chan struct{})
	close(done) // never wait: the test queued something
	b, err := s.Next(done)
	if err != nil || b == nil {
		t.Fatalf("Next = %v, %v; want a batch", b, err)
	}
	var buf []byte
	entries, err := s.Read(b, &buf)
	if err != nil {
		t.Fatal(err)
	}
	return b, entries
}

func TestPutNextDone(t *testing.T) {
	dir := t.TempDir()
	s, _ := mustOpen(t, dir, 0)
	for i := range 3 {
		if err := s.Put(fmt.Sprintf("tag.%d", i), i+1, []byte(fmt.Sprintf("entries-%d", i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		b, entries := take(t, s)
		if b.Tag != fmt.Sprintf("tag.%d", i) || b.Count != i+1 || string(entries) != fmt.Sprintf("entries-%d", i) {
			t.Fatalf("batch %d: tag %q count %d entries %q", i, b.Tag, b.Count, entries)
		}
		if err := s.Done(b); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st != (Stats{}) {
		t.Errorf("stats after all done: %+v", st)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"+fileSuffix))
	if len(left) != 0 {
		t.Errorf("files left after Done: %v", left)
	}
}

func TestRequeueGoesFirst(t *testing.T) {
	s, _ := mustOpen(t, t.TempDir(), 0)
	for _, tag := range []string{"a", "b"} {
		if err := s.Put(tag, 1, []byte(tag), nil); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := take(t, s)
	s.Requeue(a)
	again, _ := take(t, s)
	if again.Tag != "a" {
		t.Errorf("after Requeue got %q first, want a", again.Tag)
	}
}

// What one process leaves, the next one finds, oldest first; temporary files are removed
// and a corrupted batch is set aside, never sent.
func TestRecoverAfterRestart(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 { // past 9 -> 10: order is numeric, not lexical on unpadded names
		if err := s.Put("t", 1, []byte{byte(i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := take(t, s) // in flight when the process stops: must come back too
	_ = first
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000099"+fileSuffix+tmpSuffix), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Corrupt batch 5 (seq 5): flip its last byte.
	p := filepath.Join(dir, fmt.Sprintf("%020d%s", 5, fileSuffix))
	data, _ := os.ReadFile(p)
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}

	s2, rec := mustOpen(t, dir, 0)
	if rec.Batches != 11 || len(rec.Bad) != 1 || !strings.Contains(rec.Bad[0], "checksum") {
		t.Fatalf("recovered %+v, want 11 batches and 1 bad", rec)
	}
	var got []byte
	for range 11 {
		b, entries := take(t, s2)
		got = append(got, entries...)
		if err := s2.Done(b); err != nil {
			t.Fatal(err)
		}
	}
	want := []byte{0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11}
	if !bytes.Equal(got, want) {
		t.Errorf("recovered in order %v, want %v", got, want)
	}
	if _, err := os.Stat(p + badSuffix); err != nil {
		t.Errorf("the corrupted batch was not set aside: %v", err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*"+tmpSuffix)); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
	// New batches number after the recovered ones.
	if err := s2.Put("t", 1, []byte{42}, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := take(t, s2); b.seq != 13 {
		t.Errorf("new batch seq %d, want 13", b.seq)
	}
}

func TestLockedByAnother(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir, 0)
	_, _, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "in use by process") {
		t.Fatalf("second Open = %v, want an in-use error naming the holder", err)
	}
}

func TestLimit(t *testing.T) {
	s, _ := mustOpen(t, t.TempDir(), 1000)
	entries := make([]byte, 400)
	var full int
	for range 5 {
		if err := s.Put("t", 1, entries, nil); errors.Is(err, ErrFull) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if full != 3 {
		t.Errorf("%d of 5 Puts refused, want 3 (two batches fit in 1000 bytes)", full)
	}
	if st := s.Stats(); st.Bytes > 1000 {
		t.Errorf("spool holds %d bytes, over its limit", st.Bytes)
	}
	b, _ := take(t, s)
	if err := s.Done(b); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("t", 1, entries, nil); err != nil {
		t.Errorf("Put after Done freed room: %v", err)
	}
	// One batch larger than the limit still goes in when the spool is empty: refusing it
	// would retry it forever.
	s2, _ := mustOpen(t, t.TempDir(), 100)
	if err := s2.Put("t", 1, entries, nil); err != nil {
		t.Errorf("a lone oversized batch: %v", err)
	}
}

func TestCloseWakesNext(t *testing.T) {
	s, _ := mustOpen(t, t.TempDir(), 0)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Next(nil)
			errs <- err
		}()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Next after Close = %v, want ErrClosed", err)
		}
	}
	if err := s.Put("t", 1, []byte{1}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close = %v", err)
	}
}

func TestConcurrentPutAndTake(t *testing.T) {
	s, _ := mustOpen(t, t.TempDir(), 0)
	const writers, each = 4, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := s.Put("t", 1, []byte(fmt.Sprintf("%d-%d", w, i)), nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	seen := map[string]bool{}
	var mu sync.Mutex
	var readers sync.WaitGroup
	done := make(chan struct{})
	for range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			var buf []byte
			for {
				b, err := s.Next(done)
				if b == nil || err != nil {
					return
				}
				entries, err := s.Read(b, &buf)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[string(entries)] = true
				n := len(seen)
				mu.Unlock()
				if err := s.Done(b); err != nil {
					t.Error(err)
				}
				if n == writers*each {
					close(done)
				}
			}
		}()
	}
	wg.Wait()
	readers.Wait()
	if len(seen) != writers*each {
		t.Errorf("took %d distinct batches, want %d", len(seen), writers*each)
	}
}

// With Memory, batches wait in memory (no file) until Close writes the ones not yet
// delivered; the next process finds those, and only those.
func TestMemoryFirst(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir, Options{Memory: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := s.Put("t", i, []byte(fmt.Sprintf("entries-%d", i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*"+fileSuffix)); len(files) != 0 {
		t.Fatalf("files written while memory had room: %v", files)
	}
	if st := s.Stats(); st.MemoryBytes != st.Bytes || st.Queued != 4 {
		t.Fatalf("stats %+v, want 4 batches, all in memory", st)
	}
	b, entries := take(t, s)
	if string(entries) != "entries-0" {
		t.Fatalf("entries %q", entries)
	}
	if err := s.Done(b); err != nil {
		t.Fatal(err)
	}
	inFlight, _ := take(t, s) // a sender holds it when the spool closes
	// Memory full: the next batch goes to a file.
	if err := s.Put("t", 9, make([]byte, 2000), nil); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*"+fileSuffix)); len(files) != 1 {
		t.Fatalf("want the batch over the memory bound in a file, got %v", files)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Requeue(inFlight) // after Close: written to its file
	s2, rec := mustOpen(t, dir, 0)
	if rec.Batches != 4 || len(rec.Bad) != 0 {
		t.Fatalf("recovered %+v, want batches 1, 2, 3 and the big one", rec)
	}
	var got []string
	for range 4 {
		b, entries := take(t, s2)
		got = append(got, fmt.Sprintf("%d:%d", b.Count, len(entries)))
		if err := s2.Done(b); err != nil {
			t.Fatal(err)
		}
	}
	if want := "1:9 2:9 3:9 9:2000"; strings.Join(got, " ") != want {
		t.Errorf("recovered %q, want %q (oldest first)", strings.Join(got, " "), want)
	}
}
