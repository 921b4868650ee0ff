package live

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// socket is an AF_PACKET SOCK_RAW socket on one interface: the kernel's
// frames as the interface carries them, a BPF filter run by the kernel, a
// receive timeout and the kernel's counters. Its read allocates nothing.
// It is not safe for concurrent reads.
type socket struct {
	fd  int
	buf []byte // the frame read last; its length is the snap length
	oob []byte // control messages: the kernel's timestamp
	iov unix.Iovec
	msg unix.Msghdr
}

// ethPAll is ETH_P_ALL in network byte order, as sockaddr_ll wants it.
const ethPAll = uint16(unix.ETH_P_ALL<<8&0xff00 | unix.ETH_P_ALL>>8)

// openSocket opens a packet socket that receives nothing yet: with protocol
// 0 the kernel hands it no packet until bind names a protocol, so that no
// packet gets past before the filter is attached (libpcap's order).
func openSocket(snaplen, rcvbuf int) (*socket, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, ErrNotPermitted
		}
		return nil, fmt.Errorf("open packet socket: %w", err)
	}
	s := &socket{fd: fd, buf: make([]byte, snaplen), oob: make([]byte, unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{}))))}
	s.iov.Base = &s.buf[0]
	s.iov.SetLen(len(s.buf))
	s.msg.Iov = &s.iov
	s.msg.Iovlen = 1
	s.msg.Control = &s.oob[0]
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf) // capped at rmem_max
	}
	// The kernel's receive time, in ns, rather than the reader's.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		s.close()
		return nil, fmt.Errorf("timestamps: %w", err)
	}
	return s, nil
}

// hardwareType binds the socket to the interface for no protocol (it still
// receives nothing) and returns the interface's ARPHRD_ type, which says
// how its frames begin.
func (s *socket) hardwareType(ifindex int) (uint16, error) {
	if err := unix.Bind(s.fd, &unix.SockaddrLinklayer{Ifindex: ifindex}); err != nil {
		return 0, fmt.Errorf("bind: %w", err)
	}
	sa, err := unix.Getsockname(s.fd)
	if err != nil {
		return 0, fmt.Errorf("getsockname: %w", err)
	}
	ll, ok := sa.(*unix.SockaddrLinklayer)
	if !ok {
		return 0, fmt.Errorf("getsockname: %T, not a link-layer address", sa)
	}
	return ll.Hatype, nil
}

// attach attaches a classic BPF program (SO_ATTACH_FILTER).
func (s *socket) attach(prog []bpf.RawInstruction) error {
	f := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		f[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return unix.SetsockoptSockFprog(s.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]})
}

// start binds the socket to every protocol on the interface: packets flow.
func (s *socket) start(ifindex int) error {
	return unix.Bind(s.fd, &unix.SockaddrLinklayer{Protocol: ethPAll, Ifindex: ifindex})
}

// setTimeout bounds how long read blocks (SO_RCVTIMEO).
func (s *socket) setTimeout(d time.Duration) error {
	tv := unix.NsecToTimeval(d.Nanoseconds())
	return unix.SetsockoptTimeval(s.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
}

// read reads one frame into s.buf and returns the bytes kept (at most the
// snap length), the frame's length on the wire and the kernel's receive
// time. It returns EAGAIN when the timeout passed with no frame, EINTR when
// a signal came first.
func (s *socket) read() (n, length int, at time.Time, err error) {
	s.msg.SetControllen(len(s.oob))
	// unix.Recvmsg would allocate the sender's address; MSG_TRUNC makes
	// the result the frame's full length, even when the buffer cut it.
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.msg)), unix.MSG_TRUNC)
	if e != 0 {
		return 0, 0, time.Time{}, e
	}
	length = int(r)
	return min(length, len(s.buf)), length, s.timestamp(), nil
}

// timestamp returns the SCM_TIMESTAMPNS of the last read, parsed in place
// (unix.ParseSocketControlMessage allocates), or now when there is none.
func (s *socket) timestamp() time.Time {
	hdrLen := unix.CmsgLen(0)
	oob := s.oob[:s.msg.Controllen]
	for len(oob) >= hdrLen {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if int(h.Len) < hdrLen || int(h.Len) > len(oob) {
			break
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && int(h.Len) >= unix.CmsgLen(int(unsafe.Sizeof(unix.Timespec{}))) {
			ts := (*unix.Timespec)(unsafe.Pointer(&oob[unix.CmsgSpace(0)]))
			return time.Unix(ts.Unix())
		}
		oob = oob[min(unix.CmsgSpace(int(h.Len)-hdrLen), len(oob)):]
	}
	return time.Now()
}

// stats returns the kernel's counters since the last call
// (PACKET_STATISTICS resets them on every read): packets its filter passed,
// and packets dropped because the receive buffer was full.
func (s *socket) stats() (packets, drops uint32, err error) {
	st, err := unix.GetsockoptTpacketStats(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return 0, 0, err
	}
	return st.Packets, st.Drops, nil
}

func (s *socket) close() error { return unix.Close(s.fd) }
