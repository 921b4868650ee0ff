package lab

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/fsm"
	"golang.org/x/sys/unix"
)

// recorder keeps the wire's events, copied.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Packet.Data = append([]byte(nil), e.Packet.Data...)
	e.Packet.TCP.Seg.Payload = nil
	r.events = append(r.events, e)
}

func (r *recorder) tcp() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.Packet.Kind == decode.TCP {
			out = append(out, e)
		}
	}
	return out
}

func sockaddrOf(a netip.AddrPort) unix.Sockaddr {
	if a.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
}

func familyOf(a netip.Addr) int {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// udpPair makes a UDP socket on the server bound to port 9 and one on the
// client connected to it.
func udpPair(t testing.TB, l *Lab) (client, server int) {
	t.Helper()
	srv := netip.AddrPortFrom(l.Addr(fsm.Server), 9)
	err := l.Do(fsm.Server, func() (err error) {
		server, err = unix.Socket(familyOf(srv.Addr()), unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		return unix.Bind(server, sockaddrOf(srv))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = l.Do(fsm.Client, func() (err error) {
		client, err = unix.Socket(familyOf(srv.Addr()), unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		return unix.Connect(client, sockaddrOf(srv))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(client); unix.Close(server) })
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	if err := unix.SetsockoptTimeval(server, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return client, server
}

func TestWireDeliversAfterTheLatency(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		name := map[bool]string{false: "ipv4", true: "ipv6"}[v6]
		t.Run(name, func(t *testing.T) {
			var rec recorder
			l := newTestLab(t, Config{IPv6: v6, Wire: WireConfig{Latency: 30 * time.Millisecond, OnEvent: rec.add}})
			c, s := udpPair(t, l)
			begin := time.Now()
			if _, err := unix.Write(c, []byte("ping")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64)
			n, err := unix.Read(s, buf)
			if err != nil || string(buf[:n]) != "ping" {
				t.Fatalf("read %q, %v; want ping", buf[:max(n, 0)], err)
			}
			if took := time.Since(begin); took < 30*time.Millisecond {
				t.Errorf("the datagram arrived after %v, before the 30 ms latency", took)
			}
			time.Sleep(20 * time.Millisecond) // the Delivered event follows the write
			rec.mu.Lock()
			defer rec.mu.Unlock()
			var sent, delivered *Event
			for i := range rec.events {
				e := &rec.events[i]
				if e.Packet.Dir != fsm.C2S || len(e.Packet.Data) == 0 || e.Packet.Data[0]>>4 != map[bool]byte{false: 4, true: 6}[v6] {
					continue
				}
				switch {
				case e.Kind == Sent && sent == nil && e.Packet.Kind == decode.NotTCP:
					sent = e
				case e.Kind == Delivered && sent != nil && e.Packet.ID == sent.Packet.ID:
					delivered = e
				}
			}
			if sent == nil || delivered == nil {
				t.Fatalf("no sent and delivered events for the datagram: %+v", rec.events)
			}
			if d := delivered.At - sent.At; d < 30*time.Millisecond || d > 200*time.Millisecond {
				t.Errorf("delivered %v after it was sent, want 30 ms", d)
			}
		})
	}
}

// waitHeld waits until the wire holds n segments.
func waitHeld(t *testing.T, w *Wire, n int, within time.Duration) []Held {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		h := w.Held()
		if len(h) >= n {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("the wire holds %d segments after %v, want %d", len(h), within, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWireHoldsSegments steps a real handshake by hand: the SYN is held,
// duplicated, the SYN,ACK delivered before the original SYN; then hold
// mode ends and the rest flows.
func TestWireHoldsSegments(t *testing.T) {
	var rec recorder
	l := newTestLab(t, Config{Wire: WireConfig{Hold: true, OnEvent: rec.add}})
	srv := netip.AddrPortFrom(l.Addr(fsm.Server), 80)
	var lfd, cfd int
	if err := l.Do(fsm.Server, func() (err error) {
		if lfd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
			return err
		}
		if err := unix.Bind(lfd, sockaddrOf(srv)); err != nil {
			return err
		}
		return unix.Listen(lfd, 1)
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	if err := l.Do(fsm.Client, func() (err error) {
		if cfd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0); err != nil {
			return err
		}
		if err := unix.Connect(cfd, sockaddrOf(srv)); err != unix.EINPROGRESS {
			return err
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(cfd)

	w := l.Wire()
	syn := waitHeld(t, w, 1, time.Second)[0]
	if syn.Dir != fsm.C2S || syn.TCP.Seg.Flags != fsm.SYN {
		t.Fatalf("held %v %v, want the client's SYN", syn.Dir, syn.TCP.Seg.Flags)
	}
	if err := w.Duplicate(syn.ID); err != nil {
		t.Fatal(err)
	}
	held := waitHeld(t, w, 2, time.Second) // the SYN and the server's SYN,ACK
	synack := held[1]
	if synack.Dir != fsm.S2C || synack.TCP.Seg.Flags != fsm.SYN|fsm.ACK {
		t.Fatalf("held %v %v, want the server's SYN,ACK", synack.Dir, synack.TCP.Seg.Flags)
	}
	if err := w.Deliver(synack.ID); err != nil { // the later one first
		t.Fatal(err)
	}
	waitHeld(t, w, 2, time.Second) // the SYN and the client's ACK
	if err := w.Drop(syn.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.Drop(syn.ID); err == nil {
		t.Error("dropping a packet twice did not fail")
	}
	w.SetHold(false)
	fds := []unix.PollFd{{Fd: int32(lfd), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, 2000); n != 1 {
		t.Fatal("the server's listener has no connection after the handshake")
	}
	got := rec.tcp()
	want := []struct {
		kind  EventKind
		dir   fsm.Dir
		flags fsm.Flags
	}{
		{Sent, fsm.C2S, fsm.SYN},
		{Delivered, fsm.C2S, fsm.SYN}, // the copy
		{Sent, fsm.S2C, fsm.SYN | fsm.ACK},
		{Delivered, fsm.S2C, fsm.SYN | fsm.ACK},
		{Sent, fsm.C2S, fsm.ACK},
		{Dropped, fsm.C2S, fsm.SYN},
		{Delivered, fsm.C2S, fsm.ACK},
	}
	if len(got) < len(want) {
		t.Fatalf("%d TCP events, want at least %d: %+v", len(got), len(want), got)
	}
	for i, wt := range want {
		g := got[i]
		if g.Kind != wt.kind || g.Packet.Dir != wt.dir || g.Packet.TCP.Seg.Flags != wt.flags {
			t.Errorf("event %d: %v %v %v, want %v %v %v", i, g.Kind, g.Packet.Dir, g.Packet.TCP.Seg.Flags, wt.kind, wt.dir, wt.flags)
		}
	}
}
