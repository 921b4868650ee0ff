package echo

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
	"github.com/vishvananda/netlink"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

var (
	CL = fsm.Closed
	LI = fsm.Listen
	ES = fsm.Established
	F1 = fsm.FinWait1
	F2 = fsm.FinWait2
	CW = fsm.CloseWait
	LA = fsm.LastAck
	TW = fsm.TimeWait
)

// canCapture reports whether this process may open a packet socket.
func canCapture() bool { return testenv.CanRawSocket() == nil }

func newTestSession(t *testing.T, capture bool) *Session {
	t.Helper()
	if capture {
		testenv.NeedRawSocket(t)
	}
	s, err := New(Options{NoCapture: !capture, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	go func() {
		for range s.Updates() {
		}
	}()
	return s
}

// call is one action and the kernel states (client, server) after it.
type callWant struct {
	action string
	kernel [2]fsm.State
}

func dump(t *testing.T, s *Session) {
	t.Helper()
	for _, tl := range s.Timelines() {
		t.Logf("connection %s", tl.Conn)
		for i, st := range tl.Steps {
			seg := ""
			if st.Event.HasSegment() {
				seg = st.Dir.String() + " " + st.Seg.String()
			}
			k := ""
			if st.HasKernel() {
				k = "kernel " + st.Truth.Kernel[0].String() + "/" + st.Truth.Kernel[1].String()
			}
			t.Logf("%2d %8.3fms %-7s %-28s %-40s states %s/%s pred %s/%s %s agree=%v %s", i, float64(st.T.Microseconds())/1000, st.Event, st.Call, seg,
				st.States[0], st.States[1], st.Truth.Predicted[0], st.Truth.Predicted[1], k, st.Agree(), facts(&st))
		}
	}
}

func runOrder(t *testing.T, capture bool, calls []callWant) *Session {
	s := newTestSession(t, capture)
	for _, c := range calls {
		if err := s.Do(c.action); err != nil {
			dump(t, s)
			t.Fatalf("%s: %v", c.action, err)
		}
		tls := s.Timelines()
		last := tls[len(tls)-1].Steps[len(tls[len(tls)-1].Steps)-1]
		if !last.HasKernel() || last.Truth.Kernel != c.kernel {
			dump(t, s)
			t.Fatalf("after %s the kernel says %v/%v, want %v/%v", c.action, last.Truth.Kernel[0], last.Truth.Kernel[1], c.kernel[0], c.kernel[1])
		}
	}
	return s
}

var orders = []struct {
	name  string
	calls []callWant
}{
	{"default sequence: client closes first (RFC 9293 §3.6)", []callWant{
		{ActListen, [2]fsm.State{CL, LI}},
		{ActConnect, [2]fsm.State{ES, ES}},
		{ActClientSend, [2]fsm.State{ES, ES}},
		{ActServerRecv, [2]fsm.State{ES, ES}},
		{ActServerEcho, [2]fsm.State{ES, ES}},
		{ActClientRecv, [2]fsm.State{ES, ES}},
		{ActClientClose, [2]fsm.State{F2, CW}},
		{ActServerClose, [2]fsm.State{TW, CL}},
	}},
	{"server closes first: the server holds TIME-WAIT", []callWant{
		{ActListen, [2]fsm.State{CL, LI}},
		{ActConnect, [2]fsm.State{ES, ES}},
		{ActClientSend, [2]fsm.State{ES, ES}},
		{ActServerRecv, [2]fsm.State{ES, ES}},
		{ActServerEcho, [2]fsm.State{ES, ES}},
		{ActClientRecv, [2]fsm.State{ES, ES}},
		{ActServerClose, [2]fsm.State{CW, F2}},
		{ActClientClose, [2]fsm.State{CL, TW}},
	}},
	{"client aborts: RST, no TIME-WAIT (RFC 9293 §3.10.5)", []callWant{
		{ActListen, [2]fsm.State{CL, LI}},
		{ActConnect, [2]fsm.State{ES, ES}},
		{ActClientSend, [2]fsm.State{ES, ES}},
		{ActServerRecv, [2]fsm.State{ES, ES}},
		{ActClientAbort, [2]fsm.State{CL, CL}},
	}},
	{"half-close: the client shuts down writing and still reads the echo", []callWant{
		{ActListen, [2]fsm.State{CL, LI}},
		{ActConnect, [2]fsm.State{ES, ES}},
		{ActClientSend, [2]fsm.State{ES, ES}},
		{ActClientShut, [2]fsm.State{F2, CW}},
		{ActServerRecv, [2]fsm.State{F2, CW}},
		{ActServerEcho, [2]fsm.State{F2, CW}},
		{ActClientRecv, [2]fsm.State{F2, CW}},
		{ActServerClose, [2]fsm.State{TW, CL}},
	}},
}

func TestCloseOrdersKernelStates(t *testing.T) {
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			s := runOrder(t, false, o.calls)
			for _, tl := range s.Timelines() {
				for i, st := range tl.Steps {
					if st.HasKernel() && st.Truth.Kernel != st.Truth.Predicted {
						t.Errorf("step %d (%s %s): kernel %v, predicted %v: %s", i, st.Event, st.Call, st.Truth.Kernel, st.Truth.Predicted, facts(&st))
					}
				}
			}
			if testing.Verbose() {
				dump(t, s)
			}
		})
	}
}

func TestCloseOrdersCapturedObservedPredictedAgree(t *testing.T) {
	testenv.NeedRawSocket(t) // here, not only in each order, so the test cannot pass with every order skipped
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			s := runOrder(t, true, o.calls)
			for _, tl := range s.Timelines() {
				segs := 0
				for i, st := range tl.Steps {
					if st.Event == timeline.Observe {
						segs++
						// The variables come from the segments: the sender's
						// ISS is its SYN's sequence number.
						if st.Seg.Flags.Has(fsm.SYN) && (!st.HasTCB || st.TCB[st.Dir.From()].ISS != st.Seg.Seq) {
							t.Errorf("step %d: %s carries ISS %d (has %v), want %d", i, st.Seg.Flags, st.TCB[st.Dir.From()].ISS, st.HasTCB, st.Seg.Seq)
						}
					}
					if st.States != st.Truth.Predicted || (st.HasKernel() && !st.Agree()) {
						t.Errorf("step %d (%s %s %s): observed %v, predicted %v, kernel %v: %s", i, st.Event, st.Call, st.Seg.Flags, st.States, st.Truth.Predicted, st.Truth.Kernel, facts(&st))
					}
				}
				if segs == 0 {
					t.Errorf("no segments captured")
				}
			}
			if t.Failed() || testing.Verbose() {
				dump(t, s)
			}
		})
	}
}

func TestRefusedCallsSayWhy(t *testing.T) {
	s := newTestSession(t, false)
	var re *RefusedError
	if err := s.Do(ActClientSend); !errors.As(err, &re) || !strings.Contains(re.Why, "connect first") {
		t.Errorf("send before connect: %v", err)
	}
	if err := s.Do(ActServerEcho); !errors.As(err, &re) {
		t.Errorf("echo before anything: %v", err)
	}
	s.Do(ActListen)
	if err := s.Do(ActListen); !errors.As(err, &re) || !strings.Contains(re.Why, "already listening") {
		t.Errorf("listen twice: %v", err)
	}
	s.Do(ActConnect)
	if err := s.Do(ActServerRecv); !errors.As(err, &re) || !strings.Contains(re.Why, "would block") {
		t.Errorf("recv with nothing sent: %v", err)
	}
}

func TestConnectWithoutListenerIsRefused(t *testing.T) {
	s := newTestSession(t, canCapture())
	err := s.Do(ActConnect)
	var ke *KernelError
	if !errors.As(err, &ke) || !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("connect with nothing listening: %v", err)
	}
	tls := s.Timelines()
	last := tls[0].Steps[len(tls[0].Steps)-1]
	if last.Truth.Kernel != [2]fsm.State{CL, CL} {
		t.Errorf("kernel after a refused connect: %v", last.Truth.Kernel)
	}
	if canCapture() {
		// The tracker saw the SYN answered by RST: the connection list marks it.
		var d timeline.ConnDelta
		s.mu.Lock()
		s.conns[0].totals(&d)
		s.mu.Unlock()
		if d.Flags&timeline.ConnRefused == 0 || d.Segments != 2 {
			t.Errorf("a refused connect: flags %v, %d segments; want refused, 2 segments", d.Flags, d.Segments)
		}
	}
	if testing.Verbose() {
		dump(t, s)
	}
}

func TestRestartShowsEADDRINUSEThenSOREUSEADDR(t *testing.T) {
	s := runOrder(t, false, []callWant{
		{ActListen, [2]fsm.State{CL, LI}},
		{ActConnect, [2]fsm.State{ES, ES}},
		{ActServerClose, [2]fsm.State{CW, F2}},
		{ActClientClose, [2]fsm.State{CL, TW}},
	})
	err := s.Do(ActRestart)
	if !errors.Is(err, unix.EADDRINUSE) {
		t.Fatalf("restart without SO_REUSEADDR: %v, want EADDRINUSE", err)
	}
	tls := s.Timelines()
	last := tls[0].Steps[len(tls[0].Steps)-1]
	if !strings.Contains(facts(&last), "TIME-WAIT for another") {
		t.Errorf("the step does not say which socket holds the port: %q", facts(&last))
	}
	if err := s.Do(ActRestartReuse); err != nil {
		t.Fatalf("restart with SO_REUSEADDR: %v", err)
	}
	// A new connection on the restarted listener.
	if err := s.Do(ActConnect); err != nil {
		t.Fatal(err)
	}
	tls = s.Timelines()
	if len(tls) != 2 {
		t.Fatalf("%d connections, want 2", len(tls))
	}
	if last := tls[1].Steps[len(tls[1].Steps)-1]; last.Truth.Kernel != [2]fsm.State{ES, ES} {
		t.Errorf("new connection: kernel %v", last.Truth.Kernel)
	}
	if testing.Verbose() {
		dump(t, s)
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// facts is what the step's facts say, in English.
func facts(st *timeline.Step) string { return strings.Join(narrate.Facts(st, narrate.EN), " ") }

// TestReadmeListsEveryAction keeps the README's table of the session's
// keys in step with the actions.
func TestReadmeListsEveryAction(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range actionDefs {
		if row := "| `" + d.key + "` | " + d.label + " |"; !strings.Contains(string(readme), row) {
			t.Errorf("README.md lacks the row %s", row)
		}
	}
}

func TestActionKeysAreUniqueAndOffTheViewsKeys(t *testing.T) {
	s := newTestSession(t, false)
	seen := map[string]string{}
	for _, a := range s.Actions() {
		if strings.ContainsAny(a.Key, "hljkgGdursq? ") || a.Key == "" {
			t.Errorf("%s uses key %q, which the view needs", a.ID, a.Key)
		}
		if o, dup := seen[a.Key]; dup {
			t.Errorf("%s and %s share key %q", a.ID, o, a.Key)
		}
		seen[a.Key] = a.ID
	}
}

// A change the kernel makes with no call and no segment the session saw
// becomes a timer step: here the client's socket is destroyed from outside
// (sock_diag SOCK_DESTROY, as `ss -K` does).
func TestKernelOwnChangeBecomesATimerStep(t *testing.T) {
	s := newTestSession(t, false)
	for _, a := range []string{ActListen, ActConnect} {
		if err := s.Do(a); err != nil {
			t.Fatal(err)
		}
	}
	tl := s.Timelines()[0]
	if err := netlink.SocketDestroy(net.TCPAddrFromAddrPort(tl.Conn.Client), net.TCPAddrFromAddrPort(tl.Conn.Server)); err != nil {
		testenv.Skipf(t, "the kernel cannot destroy sockets here (CONFIG_INET_DIAG_DESTROY): %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		tl = s.Timelines()[0]
		last := tl.Steps[len(tl.Steps)-1]
		if last.Event == timeline.Timer {
			if !last.HasKernel() || last.Truth.Kernel[fsm.Client] != CL || !strings.Contains(facts(&last), "on its own") {
				t.Errorf("timer step: kernel %v, detail %q", last.Truth.Kernel, facts(&last))
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	dump(t, s)
	t.Fatal("no timer step after the kernel changed the state")
}

// TestTimeWaitExpiryAgrees waits out Linux's TIME-WAIT (60 s): the kernel's
// socket goes, the observer's and the simulator's 2·MSL timers fire, and the
// timer step has all three CLOSED. Runs with TCPVIZ_SOAK=1.
func TestTimeWaitExpiryAgrees(t *testing.T) {
	if os.Getenv("TCPVIZ_SOAK") != "1" {
		t.Skip("skipped: set TCPVIZ_SOAK=1 to wait out TIME-WAIT (61 s)")
	}
	s := runOrder(t, canCapture(), orders[0].calls)
	deadline := time.Now().Add(65 * time.Second)
	for time.Now().Before(deadline) {
		tl := s.Timelines()[0]
		last := tl.Steps[len(tl.Steps)-1]
		if last.Event == timeline.Timer {
			dump(t, s)
			if !last.Agree() || last.Truth.Kernel != [2]fsm.State{CL, CL} {
				t.Errorf("TIME-WAIT expiry: observed %v kernel %v predicted %v: %s", last.States, last.Truth.Kernel, last.Truth.Predicted, facts(&last))
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	dump(t, s)
	t.Fatal("no timer step when TIME-WAIT ended")
}
