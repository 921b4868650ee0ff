package kernel

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/internal/testenv"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair is a real loopback connection: a listener, the client's socket and
// the server's accepted socket.
type pair struct {
	ln             *net.TCPListener
	client, server *net.TCPConn
	c, s           netip.AddrPort // the client's and the server's ends
}

func newPair(t *testing.T) *pair {
	t.Helper()
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTCP("tcp4", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	p := &pair{ln: ln, client: c, server: s,
		c: c.LocalAddr().(*net.TCPAddr).AddrPort(), s: c.RemoteAddr().(*net.TCPAddr).AddrPort()}
	t.Cleanup(func() { ln.Close(); c.Close(); s.Close() })
	return p
}

// states returns the kernel's client and server states, waiting up to a
// second for them to become want (the kernel processes loopback segments in
// softirq context, which may lag the call that sent them).
func (p *pair) waitStates(t *testing.T, want [2]fsm.State) [2]fsm.State {
	t.Helper()
	var got [2]fsm.State
	deadline := time.Now().Add(time.Second)
	for {
		tab, err := Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		got = [2]fsm.State{tab.State(p.c, p.s), tab.State(p.s, p.c)}
		if got == want || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got != want {
		t.Fatalf("kernel states client/server = %v/%v, want %v/%v", got[0], got[1], want[0], want[1])
	}
	return got
}

func TestLinuxStateMapping(t *testing.T) {
	tests := []struct {
		linux LinuxState
		want  fsm.State
	}{
		{TCPEstablished, fsm.Established}, {TCPSynSent, fsm.SynSent}, {TCPSynRecv, fsm.SynReceived},
		{TCPFinWait1, fsm.FinWait1}, {TCPFinWait2, fsm.FinWait2}, {TCPTimeWait, fsm.TimeWait},
		{TCPClose, fsm.Closed}, {TCPCloseWait, fsm.CloseWait}, {TCPLastAck, fsm.LastAck},
		{TCPListen, fsm.Listen}, {TCPClosing, fsm.Closing}, {TCPNewSynRecv, fsm.SynReceived},
		{TCPBoundInactive, fsm.Closed},
	}
	for _, tt := range tests {
		got, ok := tt.linux.State()
		if !ok || got != tt.want {
			t.Errorf("%v.State() = %v, %v; want %v", tt.linux, got, ok, tt.want)
		}
	}
	if _, ok := LinuxState(99).State(); ok {
		t.Error("unknown kernel state 99 mapped")
	}
}

func TestListenerIsListenAndUnacceptedConnectionIsEstablished(t *testing.T) {
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	tab, err := Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	l, ok := tab.Listener(addr)
	if !ok || l.State != fsm.Listen || l.Linux != TCPListen {
		t.Fatalf("listener on %v: %v %v", addr, l, ok)
	}
	// The kernel completes the handshake without accept(): the connection
	// waits ESTABLISHED in the accept queue (Linux; RFC 9293 leaves it open).
	c, err := net.DialTCP("tcp4", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cp := c.LocalAddr().(*net.TCPAddr).AddrPort()
	p := &pair{c: cp, s: addr}
	p.waitStates(t, [2]fsm.State{fsm.Established, fsm.Established})
	tab, _ = Snapshot()
	if l, _ := tab.Listener(addr); l.RecvQ != 1 {
		t.Errorf("listener accept queue = %d, want 1", l.RecvQ)
	}
}

func TestCloseOrders(t *testing.T) {
	tests := []struct {
		name  string
		steps []struct {
			do   func(p *pair)
			want [2]fsm.State // client, server
		}
	}{
		{"client closes first: FIN-WAIT-2/CLOSE-WAIT then TIME-WAIT/CLOSED (RFC 9293 §3.6 case 1)",
			[]struct {
				do   func(p *pair)
				want [2]fsm.State
			}{
				{func(p *pair) {}, [2]fsm.State{fsm.Established, fsm.Established}},
				{func(p *pair) { p.client.Close() }, [2]fsm.State{fsm.FinWait2, fsm.CloseWait}},
				{func(p *pair) { p.server.Close() }, [2]fsm.State{fsm.TimeWait, fsm.Closed}},
			}},
		{"server closes first: the server holds TIME-WAIT",
			[]struct {
				do   func(p *pair)
				want [2]fsm.State
			}{
				{func(p *pair) { p.server.Close() }, [2]fsm.State{fsm.CloseWait, fsm.FinWait2}},
				{func(p *pair) { p.client.Close() }, [2]fsm.State{fsm.Closed, fsm.TimeWait}},
			}},
		{"half-close: shutdown(SHUT_WR) keeps the reading side open",
			[]struct {
				do   func(p *pair)
				want [2]fsm.State
			}{
				{func(p *pair) { p.client.CloseWrite() }, [2]fsm.State{fsm.FinWait2, fsm.CloseWait}},
				{func(p *pair) { p.server.Write([]byte("late")) }, [2]fsm.State{fsm.FinWait2, fsm.CloseWait}},
				{func(p *pair) { p.server.CloseWrite() }, [2]fsm.State{fsm.TimeWait, fsm.Closed}},
			}},
		{"abort: SO_LINGER 0 sends RST, both sockets go (RFC 9293 §3.10.5)",
			[]struct {
				do   func(p *pair)
				want [2]fsm.State
			}{
				{func(p *pair) { p.client.SetLinger(0); p.client.Close() }, [2]fsm.State{fsm.Closed, fsm.Closed}},
			}},
		{"simultaneous-ish: both close, the second FIN crosses nothing",
			[]struct {
				do   func(p *pair)
				want [2]fsm.State
			}{
				{func(p *pair) { p.client.Close(); p.server.Close() }, [2]fsm.State{fsm.TimeWait, fsm.Closed}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPair(t)
			for _, st := range tt.steps {
				st.do(p)
				p.waitStates(t, st.want)
			}
		})
	}
}

func TestTimeWaitHasTimerAndNoInode(t *testing.T) {
	p := newPair(t)
	p.client.Close()
	p.waitStates(t, [2]fsm.State{fsm.FinWait2, fsm.CloseWait})
	p.server.Close()
	p.waitStates(t, [2]fsm.State{fsm.TimeWait, fsm.Closed})
	tab, err := Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	s, ok := tab.Lookup(p.c, p.s)
	if !ok {
		t.Fatal("TIME-WAIT socket not found")
	}
	if s.Linux != TCPTimeWait || s.Timer != TimerTimeWait {
		t.Errorf("TIME-WAIT socket: linux state %v, timer %v", s.Linux, s.Timer)
	}
	// Linux's TIME-WAIT is a fixed 60 s (TCP_TIMEWAIT_LEN), not 2·MSL of the RFC.
	if s.Expires <= 50*time.Second || s.Expires > 60*time.Second {
		t.Errorf("TIME-WAIT expires in %v, want just under 60s", s.Expires)
	}
	if s.Inode != 0 || s.HasInfo {
		t.Errorf("TIME-WAIT socket has inode %d, tcp_info %v; want none (a minisock)", s.Inode, s.HasInfo)
	}
	found := false
	for _, o := range tab.OnPort(p.c.Port()) {
		found = found || o.State == fsm.TimeWait
	}
	if !found {
		t.Error("OnPort does not list the TIME-WAIT socket")
	}
}

func TestTCPInfoFiguresAfterARoundTrip(t *testing.T) {
	p := newPair(t)
	if _, err := p.client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := p.server.Read(buf); err != nil {
		t.Fatal(err)
	}
	p.server.Write([]byte("HELLO"))
	p.client.Read(buf)
	s, ok, err := Lookup(p.c, p.s)
	if err != nil || !ok {
		t.Fatalf("Lookup: %v %v", ok, err)
	}
	if !s.HasInfo || s.Info.RTT <= 0 || s.Info.Cwnd == 0 || s.Info.SndMSS == 0 {
		t.Errorf("tcp_info: %+v", s.Info)
	}
	// Linux counts the SYN's sequence number in tcpi_bytes_acked (the
	// SYN,ACK advances snd_una by one), not in tcpi_bytes_received.
	if s.Info.BytesAcked != 5+1 || s.Info.BytesRecv != 5 {
		t.Errorf("bytes acked/received = %d/%d, want 6/5", s.Info.BytesAcked, s.Info.BytesRecv)
	}
	if s.Inode == 0 {
		t.Error("a socket a process holds should have an inode")
	}
}

func TestGoneSocketIsClosed(t *testing.T) {
	tab, err := Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddrPort("127.0.0.1:1")
	if st := tab.State(a, a); st != fsm.Closed {
		t.Errorf("state of a socket that does not exist = %v, want CLOSED", st)
	}
}

func TestIPv6(t *testing.T) {
	ln, err := net.ListenTCP("tcp6", &net.TCPAddr{IP: net.IPv6loopback})
	if err != nil {
		testenv.Skipf(t, "no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	c, err := net.DialTCP("tcp6", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := &pair{c: c.LocalAddr().(*net.TCPAddr).AddrPort(), s: c.RemoteAddr().(*net.TCPAddr).AddrPort()}
	p.waitStates(t, [2]fsm.State{fsm.Established, fsm.Established})
}

func BenchmarkSnapshot(b *testing.B) {
	for b.Loop() {
		if _, err := SnapshotFamilies(2); err != nil {
			b.Fatal(err)
		}
	}
}
