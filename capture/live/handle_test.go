package live

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/filter"
	"github.com/vishvananda/netlink"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// recorder runs a capture and keeps a copy of every frame it reads.
type recorder struct {
	h      *Handle
	cancel context.CancelFunc
	done   chan error
	frames [][]byte
}

func record(t *testing.T, e *filter.Expr) *recorder {
	t.Helper()
	h, err := Open(Config{Interface: "lo", Filter: e})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &recorder{h: h, cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- h.Run(ctx, func(data []byte, _ gopacket.CaptureInfo) {
			r.frames = append(r.frames, append([]byte(nil), data...))
		}, nil)
	}()
	return r
}

func (r *recorder) stop(t *testing.T) [][]byte {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Fatal(err)
	}
	return r.frames
}

// talk opens a connection to ln, exchanges a few messages and closes both
// ends (a whole handshake, data and teardown), then connects to a port
// nothing listens on (a SYN and a RST).
func talk(t *testing.T, network string, ln net.Listener, closed string) {
	t.Helper()
	c, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	for i := 0; i < 3; i++ {
		c.Write([]byte("ping"))
		io.ReadFull(s, buf[:4])
		s.Write([]byte("pong"))
		io.ReadFull(c, buf[:4])
	}
	c.Close()
	s.Close()
	if c, err := net.DialTimeout(network, closed, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s: something listens", closed)
	}
}

// inNewNetns moves the test's goroutine for good onto a thread in a network
// namespace of its own, with lo up: sockets made there see no traffic but
// the test's. The thread ends with the goroutine.
func inNewNetns(t *testing.T) {
	t.Helper()
	runtime.LockOSThread() // never unlocked
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		t.Fatalf("unshare(CLONE_NEWNET): %v", err)
	}
	lo, err := netlink.LinkByName("lo")
	if err == nil {
		err = netlink.LinkSetUp(lo)
	}
	if err != nil {
		t.Fatalf("lo up in the new namespace: %v", err)
	}
}

// TestKernelFilterAgreesWithMatch captures real IPv4 and IPv6 loopback
// traffic, in a network namespace of its own, many ways at once: with no filter, and with each expression
// compiled by capture/filter and run by the kernel. What the kernel keeps
// must be exactly the frames of the unfiltered capture that decode and
// Match accept, in the same order; x/net/bpf's VM running the same
// program (without the packet-type test, which the VM lacks) must agree too.
func TestKernelFilterAgreesWithMatch(t *testing.T) {
	needCapture(t)
	inNewNetns(t)
	ln4, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln4.Close()
	ln6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln6.Close()
	p4, p6 := ln4.Addr().(*net.TCPAddr).Port, ln6.Addr().(*net.TCPAddr).Port
	exprs := []string{
		"",
		fmt.Sprintf("port %d", p4),
		fmt.Sprintf("src port %d", p6),
		fmt.Sprintf("dst port %d or host ::1", p4),
		fmt.Sprintf("ip6 and not port %d", p6),
		"net 127.0.0.0/8",
		fmt.Sprintf("dst host 127.0.0.1 and dst port %d", p4),
		"not ip",
		"port 9",
	}
	parsed := make([]*filter.Expr, len(exprs))
	recs := make([]*recorder, len(exprs))
	for i, s := range exprs {
		if parsed[i], err = filter.Parse(s); err != nil {
			t.Fatal(err)
		}
		recs[i] = record(t, parsed[i])
	}
	all := record(t, nil)

	talk(t, "tcp4", ln4, "127.0.0.1:9")
	talk(t, "tcp6", ln6, "[::1]:9")
	time.Sleep(100 * time.Millisecond) // let the last segments be read

	frames := all.stop(t)
	d, _ := decode.New(decode.LinkEthernet)
	var v4, v6 int
	for _, f := range frames {
		var p decode.Packet
		if d.Decode(f, &p) != decode.TCP {
			t.Fatalf("the all-TCP filter kept a frame that is not TCP: % x", f)
		}
		if p.Src.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	if v4 < 10 || v6 < 10 {
		t.Fatalf("captured %d IPv4 and %d IPv6 segments, want at least 10 of each", v4, v6)
	}
	for i, e := range parsed {
		got := recs[i].stop(t)
		raw, err := e.Compile(decode.LinkEthernet)
		if err != nil {
			t.Fatal(err)
		}
		vm, err := bpf.NewVM(disassemble(raw))
		if err != nil {
			t.Fatal(err)
		}
		var want [][]byte
		for j, f := range frames {
			var p decode.Packet
			match := d.Decode(f, &p) == decode.TCP && e.Match(p.Src, p.Dst)
			if match {
				want = append(want, f)
			}
			if n, err := vm.Run(f); err != nil || (n > 0) != match {
				t.Errorf("%q: frame %d (%v → %v): VM %d %v, Match %v", exprs[i], j, p.Src, p.Dst, n, err, match)
			}
		}
		if !sameFrames(got, want) {
			t.Errorf("%q: the kernel kept %d frames, Match %d of %d", exprs[i], len(got), len(want), len(frames))
		}
	}
}

func disassemble(raw []bpf.RawInstruction) []bpf.Instruction {
	prog := make([]bpf.Instruction, len(raw))
	for i, r := range raw {
		prog[i] = r.Disassemble()
	}
	return prog
}

func sameFrames(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if string(a[i]) != string(b[i]) {
			return false
		}
	}
	return true
}

// queue injects n copies of a TCP frame to port 9 on lo and waits until a
// capture of port 9 has them all queued.
func queue(t testing.TB, h *Handle, n int) {
	t.Helper()
	fr := frame(t, false, 40000, 9, false)
	fr[len(fr)-20+16] ^= 0xff // spoil the TCP checksum: TCP drops it silently
	before := h.kernel.Load()
	fd, to := loSender(t)
	defer unix.Close(fd)
	for i := 0; i < n; i++ {
		if err := unix.Sendto(fd, fr, 0, to); err != nil {
			t.Fatalf("inject: %v", err)
		}
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		h.readStats()
		if h.kernel.Load()-before >= uint64(n) {
			return
		}
	}
	t.Fatalf("the kernel queued %d of %d frames", h.kernel.Load()-before, n)
}

func TestReadAllocatesNothing(t *testing.T) {
	needCapture(t)
	h, err := Open(Config{Interface: "lo", Filter: filter.Port(9)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	queue(t, h, 1100)
	if n := testing.AllocsPerRun(1000, func() {
		if _, _, _, err := h.sock.read(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per packet read, want 0", n)
	}
}

// BenchmarkRead is the capture's per-packet read: one recvmsg of a frame
// the kernel has queued, with its timestamp. The frames are queued in
// batches while the timer is stopped.
func BenchmarkRead(b *testing.B) {
	needCapture(b)
	h, err := Open(Config{Interface: "lo", Filter: filter.Port(9)})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	const batch = 1000
	b.ReportAllocs()
	for i := 0; i < b.N; {
		b.StopTimer()
		queue(b, h, batch)
		b.StartTimer()
		for j := 0; j < batch && i < b.N; j, i = j+1, i+1 {
			if _, _, _, err := h.sock.read(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	// Read what is left queued, so the next run starts empty.
	h.sock.setTimeout(time.Millisecond)
	for {
		if _, _, _, err := h.sock.read(); err != nil {
			break
		}
	}
}

// loSender opens a packet socket that sends frames out on lo, where the
// kernel delivers each as a real loopback packet.
func loSender(t testing.TB) (fd int, to *unix.SockaddrLinklayer) {
	t.Helper()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fd, &unix.SockaddrLinklayer{Ifindex: lo.Index, Protocol: 0x0008} // ETH_P_IP, network order
}
