// A long-lived middleware's stdin and stdout, read and written with raw system calls on their non-blocking pipes
// (through the netpoller, as os.File does): a syscall.Read or Write tells the scheduler it may block, and the first
// one after the proxy sat idle wakes the runtime's monitor thread (a futex wake-up, then its 20 us polling) on every
// hook answer. A raw read or write of a non-blocking pipe never blocks: waiting is left to the netpoller.
package main

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

type rawPipe struct {
	conn syscall.RawConn
	name string
}

// newRawPipe: the pipe behind f (an *os.File, or exec's wrapper of one), or nil when it has none.
func newRawPipe(f interface{}) *rawPipe {
	c, ok := f.(syscall.Conn)
	if !ok {
		return nil
	}
	conn, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	name := ""
	if n, ok := f.(interface{ Name() string }); ok {
		name = n.Name()
	}
	return &rawPipe{conn: conn, name: name}
}

func (p *rawPipe) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := p.conn.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait until the pipe is readable
			}
			n, errno = int(r), e
			return true
		}
	})
	switch {
	case err != nil:
		return 0, p.fail("read", err)
	case errno != 0:
		return 0, p.fail("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (p *rawPipe) Write(b []byte) (int, error) {
	written := 0
	var errno syscall.Errno
	err := p.conn.Write(func(fd uintptr) bool {
		for written < len(b) {
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[written])), uintptr(len(b)-written))
			switch e {
			case 0:
				written += int(r)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // the pipe is full: wait until the middleware has read some
			default:
				errno = e
				return true
			}
		}
		return true
	})
	switch {
	case err != nil:
		return written, p.fail("write", err)
	case errno != 0:
		return written, p.fail("write", errno)
	}
	return written, nil
}

// fail: the error os.File's Read and Write give ("write |1: file already closed", "write |1: broken pipe").
func (p *rawPipe) fail(op string, err error) error {
	if err.Error() == "use of closed file" {
		err = os.ErrClosed
	}
	return &os.PathError{Op: op, Path: p.name, Err: err}
}
