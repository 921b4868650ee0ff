package echo

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// The session's sockets are raw kernel sockets (golang.org/x/sys/unix), not
// net.Conn: the user decides when the server accepts, reads and writes, and
// net's runtime poller would read nothing on its own but would hide
// SO_REUSEADDR (net.Listen always sets it on Linux) and the errno of each
// call. Every call here is made once, when the user asks.

func sockaddr(a netip.AddrPort) unix.Sockaddr {
	if a.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
}

func addrOf(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

func family(a netip.AddrPort) int {
	if a.Addr().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// listenSocket makes a listening socket on addr, with or without
// SO_REUSEADDR, and returns it and the address it got.
func listenSocket(addr netip.AddrPort, reuse bool, backlog int) (int, netip.AddrPort, error) {
	fd, err := unix.Socket(family(addr), unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, addr, fmt.Errorf("socket: %w", err)
	}
	if reuse {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			unix.Close(fd)
			return -1, addr, fmt.Errorf("setsockopt(SO_REUSEADDR): %w", err)
		}
	}
	if err := unix.Bind(fd, sockaddr(addr)); err != nil {
		unix.Close(fd)
		return -1, addr, fmt.Errorf("bind(%s): %w", addr, err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		return -1, addr, fmt.Errorf("listen: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err == nil {
		addr = addrOf(sa)
	}
	return fd, addr, nil
}

// freePort returns a port on addr's address that nothing holds now.
func freePort(addr netip.AddrPort) (netip.AddrPort, error) {
	fd, got, err := listenSocket(netip.AddrPortFrom(addr.Addr(), 0), false, 1)
	if err != nil {
		return addr, err
	}
	unix.Close(fd)
	return got, nil
}

// clientSocket makes the client's socket and binds it to an ephemeral port
// of the server's address family, so that its port is known before
// connect() (and stays its own after a refused connect, which would
// otherwise release it).
func clientSocket(server netip.AddrPort) (int, netip.AddrPort, error) {
	fd, err := unix.Socket(family(server), unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, netip.AddrPort{}, fmt.Errorf("socket: %w", err)
	}
	if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(server.Addr(), 0))); err != nil {
		unix.Close(fd)
		return -1, netip.AddrPort{}, fmt.Errorf("bind: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, netip.AddrPort{}, fmt.Errorf("getsockname: %w", err)
	}
	return fd, addrOf(sa), nil
}

// connectSocket connects fd to server, blocking until the handshake ends or
// fails (on loopback, at once).
func connectSocket(fd int, server netip.AddrPort) error {
	for {
		err := unix.Connect(fd, sockaddr(server))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err
	}
}

// waitReadable waits up to d for fd to have something to read (data, EOF,
// a pending connection or an error).
func waitReadable(fd int, d time.Duration) bool {
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

// acceptSocket takes a connection from the listener's accept queue, waiting
// up to d for one.
func acceptSocket(lfd int, d time.Duration) (int, netip.AddrPort, error) {
	if !waitReadable(lfd, d) {
		return -1, netip.AddrPort{}, unix.EAGAIN
	}
	fd, sa, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		return -1, netip.AddrPort{}, err
	}
	return fd, addrOf(sa), nil
}

// errWouldBlock is recvSocket's answer when nothing has arrived.
var errWouldBlock = errors.New("nothing to read yet: recv() would block")

// recvSocket reads what has arrived, waiting up to d for something. eof is
// true when recv() returned 0: the peer's FIN has arrived.
func recvSocket(fd int, d time.Duration) (data []byte, eof bool, err error) {
	if !waitReadable(fd, d) {
		return nil, false, errWouldBlock
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
	if err != nil {
		if errors.Is(err, unix.EAGAIN) {
			return nil, false, errWouldBlock
		}
		return nil, false, err
	}
	return buf[:n], n == 0, nil
}

// sendSocket writes b; MSG_NOSIGNAL turns SIGPIPE into EPIPE.
func sendSocket(fd int, b []byte) error {
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

// abortSocket closes fd with SO_LINGER {on, 0}: the kernel sends RST and
// drops the connection at once (RFC 9293 §3.10.5 ABORT), with no TIME-WAIT.
func abortSocket(fd int) error {
	if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
		return err
	}
	return unix.Close(fd)
}

// errnoText is an errno as the C library names it, e.g.
// "EADDRINUSE (address already in use)".
func errnoText(err error) string {
	var en unix.Errno
	if errors.As(err, &en) {
		return fmt.Sprintf("%s (%s)", unix.ErrnoName(en), en.Error())
	}
	return err.Error()
}
