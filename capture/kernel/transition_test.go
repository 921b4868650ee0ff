package kernel

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseTraceLine(t *testing.T) {
	ap := netip.MustParseAddrPort
	cases := []struct {
		name string
		line string
		want Transition
		ok   bool
	}{
		{"ipv4 from softirq",
			"     ksoftirqd/1-22      [001] ..s1.   993.108096: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=56188 dport=52589 saddr=192.0.2.1 daddr=192.0.2.2 saddrv6=::ffff:192.0.2.1 daddrv6=::ffff:192.0.2.2 oldstate=TCP_FIN_WAIT1 newstate=TCP_FIN_WAIT2\n",
			Transition{At: 993*time.Second + 108096*time.Microsecond, Local: ap("192.0.2.1:56188"), Remote: ap("192.0.2.2:52589"), Old: TCPFinWait1, New: TCPFinWait2}, true},
		{"ipv6",
			"  lab.test-1 [000] .....  12.000001: inet_sock_set_state: family=AF_INET6 protocol=IPPROTO_TCP sport=80 dport=40000 saddr=0.0.0.0 daddr=0.0.0.0 saddrv6=2001:db8::2 daddrv6=2001:db8::1 oldstate=TCP_LISTEN newstate=TCP_SYN_RECV",
			Transition{At: 12*time.Second + time.Microsecond, Local: ap("[2001:db8::2]:80"), Remote: ap("[2001:db8::1]:40000"), Old: TCPListen, New: TCPSynRecv}, true},
		{"a listener", "x [000] ..... 1.5: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=80 dport=0 saddr=192.0.2.2 daddr=0.0.0.0 saddrv6=::ffff:192.0.2.2 daddrv6=::ffff:0.0.0.0 oldstate=TCP_CLOSE newstate=TCP_LISTEN",
			Transition{At: 1500 * time.Millisecond, Local: ap("192.0.2.2:80"), Remote: ap("0.0.0.0:0"), Old: TCPClose, New: TCPListen}, true},
		{"mptcp is not tcp", "x [000] ..... 1.5: inet_sock_set_state: family=AF_INET protocol=IPPROTO_MPTCP sport=80 dport=0 saddr=192.0.2.2 daddr=0.0.0.0 oldstate=TCP_CLOSE newstate=TCP_LISTEN", Transition{}, false},
		{"another event", "x [000] ..... 1.5: sock_rcvqueue_full: rmem_alloc=1", Transition{}, false},
		{"an unknown state", "x [000] ..... 1.5: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=80 dport=0 saddr=192.0.2.2 daddr=0.0.0.0 oldstate=TCP_CLOSE newstate=TCP_MADE_UP", Transition{}, false},
		{"a lost-events note", "CPU:1 [LOST 12 EVENTS]", Transition{}, false},
		{"no time", "x [000] ..... : inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=80 dport=0 saddr=192.0.2.2 daddr=0.0.0.0 oldstate=TCP_CLOSE newstate=TCP_LISTEN", Transition{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ParseTraceLine([]byte(c.line))
			if ok != c.ok || (ok && got != c.want) {
				t.Errorf("got %v %v, want %v %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func FuzzParseTraceLine(f *testing.F) {
	f.Add([]byte("x [000] ..... 1.5: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=80 dport=0 saddr=192.0.2.2 daddr=0.0.0.0 oldstate=TCP_CLOSE newstate=TCP_LISTEN"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if tr, ok := ParseTraceLine(b); ok && (!tr.Local.IsValid() || !tr.Remote.IsValid()) {
			t.Errorf("accepted a transition without both ends: %v", tr)
		}
	})
}

func TestTraceFilter(t *testing.T) {
	a := netip.MustParseAddr
	cases := []struct {
		addrs []netip.Addr
		want  string
	}{
		{[]netip.Addr{a("192.0.2.1"), a("192.0.2.2")}, "protocol == 6 && (saddr == 0x010200c0 || saddr == 0x020200c0)"},
		{[]netip.Addr{a("2001:db8::1")}, "protocol == 6 && (family == 10)"},
		{nil, "protocol == 6"},
	}
	for _, c := range cases {
		if got := traceFilter(c.addrs); got != c.want {
			t.Errorf("traceFilter(%v) = %q, want %q", c.addrs, got, c.want)
		}
	}
}

// TestTracerSeesALoopbackConnection opens a tracer on 127.0.0.1 and makes
// one connection: the kernel's own transitions of both its sockets come
// out, and Close removes the tracefs instance.
func TestTracerSeesALoopbackConnection(t *testing.T) {
	var mu sync.Mutex
	var got []Transition
	tr, err := OpenTracer([]netip.Addr{netip.MustParseAddr("127.0.0.1")}, func(x Transition) {
		mu.Lock()
		got = append(got, x)
		mu.Unlock()
	})
	if errors.Is(err, ErrNoTracepoint) {
		if os.Getuid() == 0 && os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	before := MonotonicNow()
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	unix.Listen(l, 1)
	sa, _ := unix.Getsockname(l)
	port := sa.(*unix.SockaddrInet4).Port
	c, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err := unix.Connect(c, sa); err != nil {
		t.Fatal(err)
	}
	unix.Close(c)
	unix.Close(l)
	time.Sleep(50 * time.Millisecond)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var server []LinuxState
	for _, x := range got {
		if x.Local.Port() == uint16(port) && x.Remote.Port() != 0 {
			server = append(server, x.New)
			if x.At < before || x.At > MonotonicNow() {
				t.Errorf("%v is timed outside the test (%v…%v)", x, before, MonotonicNow())
			}
		}
	}
	want := []LinuxState{TCPSynRecv, TCPEstablished, TCPCloseWait}
	if len(server) < len(want) || server[0] != want[0] || server[1] != want[1] || server[2] != want[2] {
		t.Errorf("the server's socket went %v, want %v first", server, want)
	}
	// The instance is gone.
	onTracefs(func(root string) error {
		if _, err := os.Stat(filepath.Join(root, "instances", tr.name)); err == nil {
			t.Errorf("instances/%s is left behind", tr.name)
		}
		return nil
	})
}
