package sockets

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// Sockaddr is a in the form the socket calls take.
func Sockaddr(a netip.AddrPort) unix.Sockaddr {
	if a.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
}

// AddrOf is the address a socket call returned.
func AddrOf(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// Family is a's address family: unix.AF_INET or unix.AF_INET6.
func Family(a netip.AddrPort) int {
	if a.Addr().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// Listen makes a listening socket on addr, with or without SO_REUSEADDR,
// and returns it and the address it got.
func Listen(addr netip.AddrPort, reuse bool, backlog int) (int, netip.AddrPort, error) {
	fd, err := unix.Socket(Family(addr), unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, addr, fmt.Errorf("socket: %w", err)
	}
	if reuse {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			unix.Close(fd)
			return -1, addr, fmt.Errorf("setsockopt(SO_REUSEADDR): %w", err)
		}
	}
	if err := unix.Bind(fd, Sockaddr(addr)); err != nil {
		unix.Close(fd)
		return -1, addr, fmt.Errorf("bind(%s): %w", addr, err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		return -1, addr, fmt.Errorf("listen: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err == nil {
		addr = AddrOf(sa)
	}
	return fd, addr, nil
}

// FreePort returns a port on addr's address that nothing holds now.
func FreePort(addr netip.AddrPort) (netip.AddrPort, error) {
	fd, got, err := Listen(netip.AddrPortFrom(addr.Addr(), 0), false, 1)
	if err != nil {
		return addr, err
	}
	unix.Close(fd)
	return got, nil
}

// Client makes the client's socket and binds it to an ephemeral port
// of the server's address (on loopback, the client's too), so that its port
// is known before connect() (and stays its own after a refused connect,
// which would otherwise release it).
func Client(server netip.AddrPort) (int, netip.AddrPort, error) {
	return ClientFrom(server.Addr())
}

// ClientFrom is Client for a client whose address is local.
func ClientFrom(local netip.Addr) (int, netip.AddrPort, error) {
	bound := netip.AddrPortFrom(local, 0)
	fd, err := unix.Socket(Family(bound), unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, netip.AddrPort{}, fmt.Errorf("socket: %w", err)
	}
	if err := unix.Bind(fd, Sockaddr(bound)); err != nil {
		unix.Close(fd)
		return -1, netip.AddrPort{}, fmt.Errorf("bind: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, netip.AddrPort{}, fmt.Errorf("getsockname: %w", err)
	}
	return fd, AddrOf(sa), nil
}

// Connect connects fd to server, blocking until the handshake ends or
// fails (on loopback, at once).
func Connect(fd int, server netip.AddrPort) error {
	for {
		err := unix.Connect(fd, Sockaddr(server))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err
	}
}

// StartConnect sends fd's SYN to server and returns at once, as the
// simulator's connect() does: the handshake goes on in the kernel, and the
// caller learns its outcome from the socket's state. fd stays blocking for
// the calls after.
func StartConnect(fd int, server netip.AddrPort) error {
	if err := unix.SetNonblock(fd, true); err != nil {
		return err
	}
	err := Connect(fd, server)
	if errors.Is(err, unix.EINPROGRESS) {
		err = nil
	}
	if berr := unix.SetNonblock(fd, false); err == nil {
		err = berr
	}
	return err
}

// WaitReadable waits up to d for fd to have something to read (data, EOF,
// a pending connection or an error).
func WaitReadable(fd int, d time.Duration) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(d)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms < 0 {
			ms = 0
		}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err == nil && n > 0
	}
}

// Accept takes a connection from the listener's accept queue, waiting
// up to d for one.
func Accept(lfd int, d time.Duration) (int, netip.AddrPort, error) {
	if !WaitReadable(lfd, d) {
		return -1, netip.AddrPort{}, unix.EAGAIN
	}
	fd, sa, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		return -1, netip.AddrPort{}, err
	}
	return fd, AddrOf(sa), nil
}

// ErrWouldBlock is Recv's answer when nothing has arrived.
var ErrWouldBlock = errors.New("nothing to read yet: recv() would block")

// Recv reads what has arrived, waiting up to d for something. eof is
// true when recv() returned 0: the peer's FIN has arrived.
func Recv(fd int, d time.Duration) (data []byte, eof bool, err error) {
	if !WaitReadable(fd, d) {
		return nil, false, ErrWouldBlock
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
	if err != nil {
		if errors.Is(err, unix.EAGAIN) {
			return nil, false, ErrWouldBlock
		}
		return nil, false, err
	}
	return buf[:n], n == 0, nil
}

// Send writes b; MSG_NOSIGNAL turns SIGPIPE into EPIPE.
func Send(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.SendmsgN(fd, b, nil, nil, unix.MSG_NOSIGNAL)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// Abort closes fd with SO_LINGER {on, 0}: the kernel sends RST and
// drops the connection at once (RFC 9293 §3.10.5 ABORT), with no TIME-WAIT.
func Abort(fd int) error {
	if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
		return err
	}
	return unix.Close(fd)
}

// ErrnoText is an errno as the C library names it, e.g.
// "EADDRINUSE (address already in use)".
func ErrnoText(err error) string {
	var en unix.Errno
	if errors.As(err, &en) {
		return fmt.Sprintf("%s (%s)", unix.ErrnoName(en), en.Error())
	}
	return err.Error()
}
