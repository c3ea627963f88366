//go:build !unix

package forward

// stale cannot peek on this platform: a dead idle connection is found by the
// next Send's write or ack read instead.
func (cn *conn) stale() bool { return false }

func (cn *conn) peekFunc() func(fd uintptr) bool { return nil }
