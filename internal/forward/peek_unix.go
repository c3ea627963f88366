//go:build unix

package forward

import (
	"errors"
	"syscall"
)

// stale reports whether an idle connection can no longer carry a message:
// the peer closed it (a receiver that was restarted), reset it, or sent bytes
// nobody asked for. It peeks without blocking and without consuming.
func (cn *conn) stale() bool {
	if cn.raw == nil {
		return false
	}
	if err := cn.raw.Read(cn.peek); err != nil {
		return true
	}
	switch {
	case cn.peekErr == nil:
		return true // n == 0 is EOF; n > 0 is unsolicited data
	case errors.Is(cn.peekErr, syscall.EAGAIN), errors.Is(cn.peekErr, syscall.EWOULDBLOCK):
		return false
	case errors.Is(cn.peekErr, syscall.EINTR):
		return false
	default:
		return true
	}
}

// peekFunc builds the callback for syscall.RawConn.Read used by stale; it is
// built once per connection so stale does not allocate.
func (cn *conn) peekFunc() func(fd uintptr) bool {
	var one [1]byte
	return func(fd uintptr) bool {
		_, _, cn.peekErr = syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait for readiness
	}
}
