package kernel

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Info holds the tcp_info figures worth showing beside a socket's state
// (struct tcp_info of include/uapi/linux/tcp.h). Time-wait sockets have none.
type Info struct {
	RTT          time.Duration // smoothed round-trip time (srtt)
	RTTVar       time.Duration // its variation
	RTO          time.Duration // the retransmission timeout now
	Retransmits  uint8         // retransmissions of the segment now timing out
	TotalRetrans uint32        // retransmissions over the connection's life
	Cwnd         uint32        // congestion window, in segments
	SndMSS       uint32        // the MSS this socket sends with
	Unacked      uint32        // segments sent and not yet acknowledged
	Lost         uint32        // segments the kernel thinks are lost
	SndWnd       uint32        // the peer's advertised window, scaled, in bytes
	BytesAcked   uint64        // sequence space the peer has acknowledged: payload bytes plus one for our SYN (Linux counts it)
	BytesRecv    uint64        // payload bytes received in order
	SegsOut      uint32        // segments sent, retransmissions included
	SegsIn       uint32        // segments received
}

// Socket is one TCP socket as the kernel reports it.
type Socket struct {
	Local, Remote netip.AddrPort // the remote port is 0 for a listener
	Linux         LinuxState
	State         fsm.State
	Timer         Timer
	Expires       time.Duration // until the timer fires (for TIME-WAIT: until the socket goes)
	RecvQ, SendQ  uint32        // bytes not yet read; bytes not yet acknowledged (listener: accept queue, backlog)
	Inode         uint32        // 0 for sockets no process holds (TIME-WAIT, orphans)
	HasInfo       bool
	Info          Info
}

// String is a one-line summary in ss's spirit.
func (s Socket) String() string {
	str := fmt.Sprintf("%s %s→%s", s.State, s.Local, s.Remote)
	if s.Timer != TimerNone {
		str += fmt.Sprintf(" timer:%s,%s", s.Timer, s.Expires.Round(time.Millisecond))
	}
	return str
}

type key struct{ local, remote netip.AddrPort }

// Table is one snapshot of the kernel's TCP sockets.
type Table struct {
	Taken time.Time
	socks map[key]Socket
}

// ErrNoDiag is returned when the kernel has no sock_diag support for TCP
// (CONFIG_INET_DIAG off, or a sandbox without netlink).
var ErrNoDiag = errors.New("the kernel does not answer sock_diag requests for TCP")

// Snapshot dumps every TCP socket of IPv4 and IPv6 with its tcp_info.
func Snapshot() (*Table, error) {
	return SnapshotFamilies(unix.AF_INET, unix.AF_INET6)
}

// SnapshotFamilies dumps the TCP sockets of the given address families
// (unix.AF_INET, unix.AF_INET6) in the calling thread's network namespace.
func SnapshotFamilies(families ...uint8) (*Table, error) {
	return SnapshotWith(nil, families...)
}

// SnapshotWith is SnapshotFamilies through h, a netlink handle whose
// NETLINK_INET_DIAG socket was made in another network namespace: it dumps
// that namespace's sockets, from any thread. A nil h is the calling
// thread's namespace.
func SnapshotWith(h *netlink.Handle, families ...uint8) (*Table, error) {
	dump := netlink.SocketDiagTCPInfo
	if h != nil {
		dump = h.SocketDiagTCPInfo
	}
	t := &Table{Taken: time.Now(), socks: make(map[key]Socket)}
	for _, fam := range families {
		var resp []*netlink.InetDiagTCPInfoResp
		var err error
		// A dump interrupted by a concurrent change of the socket tables
		// is retried: a snapshot must not miss a socket that exists.
		for try := 0; try < 3; try++ {
			resp, err = dump(fam)
			if !errors.Is(err, netlink.ErrDumpInterrupted) {
				break
			}
		}
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPROTONOSUPPORT) {
				return nil, fmt.Errorf("sock_diag: %w (%v)", ErrNoDiag, err)
			}
			return nil, fmt.Errorf("sock_diag dump: %w", err)
		}
		for _, r := range resp {
			if r == nil || r.InetDiagMsg == nil {
				continue
			}
			s := fromDiag(r.InetDiagMsg, r.TCPInfo)
			t.socks[key{s.Local, s.Remote}] = s
		}
	}
	return t, nil
}

func addrPort(ip net.IP, port uint16) netip.AddrPort {
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a.Unmap(), port)
}

func fromDiag(m *netlink.Socket, ti *netlink.TCPInfo) Socket {
	s := Socket{
		Local:   addrPort(m.ID.Source, m.ID.SourcePort),
		Remote:  addrPort(m.ID.Destination, m.ID.DestinationPort),
		Linux:   LinuxState(m.State),
		Timer:   Timer(m.Timer),
		Expires: time.Duration(m.Expires) * time.Millisecond,
		RecvQ:   m.RQueue,
		SendQ:   m.WQueue,
		Inode:   m.INode,
	}
	s.State, _ = s.Linux.State()
	if ti != nil {
		s.HasInfo = true
		s.Info = Info{
			RTT:          time.Duration(ti.Rtt) * time.Microsecond,
			RTTVar:       time.Duration(ti.Rttvar) * time.Microsecond,
			RTO:          time.Duration(ti.Rto) * time.Microsecond,
			Retransmits:  ti.Retransmits,
			TotalRetrans: ti.Total_retrans,
			Cwnd:         ti.Snd_cwnd,
			SndMSS:       ti.Snd_mss,
			Unacked:      ti.Unacked,
			Lost:         ti.Lost,
			SndWnd:       ti.Snd_wnd,
			BytesAcked:   ti.Bytes_acked,
			BytesRecv:    ti.Bytes_received,
			SegsOut:      ti.Segs_out,
			SegsIn:       ti.Segs_in,
		}
	}
	return s
}

func norm(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// Lookup returns the socket whose local and remote ends are these.
func (t *Table) Lookup(local, remote netip.AddrPort) (Socket, bool) {
	s, ok := t.socks[key{norm(local), norm(remote)}]
	return s, ok
}

// State returns the state of the socket with these ends: CLOSED when the
// kernel has no such socket (RFC 9293 §3.3.2: a connection that does not
// exist is CLOSED).
func (t *Table) State(local, remote netip.AddrPort) fsm.State {
	if s, ok := t.Lookup(local, remote); ok {
		return s.State
	}
	return fsm.Closed
}

// Listener returns the listening socket that accepts connections to local:
// one bound to that address, or to the wildcard address of its family on
// that port.
func (t *Table) Listener(local netip.AddrPort) (Socket, bool) {
	local = norm(local)
	candidates := []netip.AddrPort{local}
	if local.Addr().Is4() {
		candidates = append(candidates, netip.AddrPortFrom(netip.IPv4Unspecified(), local.Port()))
	}
	// An IPv6 wildcard listener takes IPv4 connections too (unless
	// IPV6_V6ONLY); sock_diag reports it as [::]:port.
	candidates = append(candidates, netip.AddrPortFrom(netip.IPv6Unspecified(), local.Port()))
	for _, c := range candidates {
		for _, zero := range []netip.AddrPort{
			netip.AddrPortFrom(netip.IPv4Unspecified(), 0),
			netip.AddrPortFrom(netip.IPv6Unspecified(), 0),
		} {
			if s, ok := t.socks[key{c, zero}]; ok && s.Linux == TCPListen {
				return s, true
			}
		}
	}
	return Socket{}, false
}

// OnPort returns every socket whose local port is port, in no particular
// order: what holds a port (a listener, connections, TIME-WAIT leftovers).
func (t *Table) OnPort(port uint16) []Socket {
	var out []Socket
	for k, s := range t.socks {
		if k.local.Port() == port {
			out = append(out, s)
		}
	}
	return out
}

// Sockets returns every socket of the snapshot, in no particular order.
func (t *Table) Sockets() []Socket {
	out := make([]Socket, 0, len(t.socks))
	for _, s := range t.socks {
		out = append(out, s)
	}
	return out
}

// Len returns the number of sockets in the snapshot.
func (t *Table) Len() int { return len(t.socks) }

// Lookup takes a snapshot of local's family and returns the socket with
// these ends; ok is false (state CLOSED) when the kernel has none.
func Lookup(local, remote netip.AddrPort) (s Socket, ok bool, err error) {
	t, err := SnapshotFamilies(family(local))
	if err != nil {
		return Socket{}, false, err
	}
	s, ok = t.Lookup(local, remote)
	return s, ok, nil
}

func family(a netip.AddrPort) uint8 {
	if a.Addr().Unmap().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}
