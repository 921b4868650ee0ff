package lab

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/tcpviz/tcpviz/capture/kernel"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Transition is one state change the kernel made to a socket of the lab.
type Transition struct {
	At            time.Duration // since the lab began
	Side          fsm.Side
	Local, Remote netip.AddrPort // Remote is 0.0.0.0:0 (or [::]:0) for a listener
	Old, New      fsm.State
	Linux         kernel.Transition // as the kernel numbers the states
	Polled        bool              // found by comparing sock_diag snapshots, not told by the tracepoint
}

// String is e.g. "client 192.0.2.1:40000→192.0.2.2:80 SYN-SENT → ESTABLISHED".
func (t Transition) String() string {
	return fmt.Sprintf("%s %s→%s %s → %s", t.Side, t.Local, t.Remote, t.Old, t.New)
}

// DefaultPoll is how often the kernel is polled where the tracepoint is
// not available.
const DefaultPoll = 5 * time.Millisecond

// diag is one side's sock_diag handle: its netlink socket was made inside
// the side's namespace, so it dumps that namespace's sockets from any
// thread.
type diag struct {
	mu     sync.Mutex
	handle *netlink.Handle
}

func newDiag() (*diag, error) {
	h, err := netlink.NewHandle(unix.NETLINK_INET_DIAG)
	if err != nil {
		return nil, fmt.Errorf("sock_diag: %w", err)
	}
	return &diag{handle: h}, nil
}

func (d *diag) snapshot(family uint8) (*kernel.Table, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return kernel.SnapshotWith(d.handle, family)
}

func (d *diag) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.handle.Close()
}

// Snapshot returns every TCP socket of side's namespace, as sock_diag
// reports them now.
func (l *Lab) Snapshot(s fsm.Side) (*kernel.Table, error) {
	return l.sides[s].diag.snapshot(l.family())
}

func (l *Lab) family() uint8 {
	if l.sides[fsm.Client].addr.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// TraceUnavailable says why the lab polls sock_diag for transitions
// instead of reading the tracepoint; nil when it reads the tracepoint.
func (l *Lab) TraceUnavailable() error { return l.traceErr }

// openTracer is kernel.OpenTracer; tests make it fail.
var openTracer = kernel.OpenTracer

// watchKernel starts reporting transitions to f: from the tracepoint where
// it can, else by polling.
func (l *Lab) watchKernel(f func(Transition), poll time.Duration) {
	if f == nil {
		return
	}
	if poll <= 0 {
		poll = DefaultPoll
	}
	var mu sync.Mutex // f is told by the tracer and by a poller: one at a time
	emit := func(t Transition) {
		mu.Lock()
		defer mu.Unlock()
		f(t)
	}
	addrs := []netip.Addr{l.sides[fsm.Client].addr, l.sides[fsm.Server].addr}
	l.timeWait = startTimeWaitWatch(l, poll, emit)
	l.tracer, l.traceErr = openTracer(addrs, func(tr kernel.Transition) { l.traced(tr, emit) })
	if l.traceErr == nil {
		return
	}
	l.poller = startPoller(l, poll, emit)
}

// traced reports a transition the tracepoint told of.
func (l *Lab) traced(tr kernel.Transition, f func(Transition)) {
	side := fsm.Server
	if tr.Local.Addr() == l.sides[fsm.Client].addr {
		side = fsm.Client
	}
	tr = l.timeWaitOf(side, tr)
	if tr.Old == tr.New {
		return
	}
	f(transition(tr.At-l.mono0, side, tr, false))
}

func transition(at time.Duration, side fsm.Side, tr kernel.Transition, polled bool) Transition {
	t := Transition{At: at, Side: side, Local: tr.Local, Remote: tr.Remote, Linux: tr, Polled: polled}
	t.Old, _ = tr.Old.State()
	t.New, _ = tr.New.State()
	return t
}

// timeWaitOf names what a socket becomes when the tracepoint says it
// closes from FIN-WAIT-1, FIN-WAIT-2 or CLOSING. Linux hands such a
// connection to a small time-wait socket (tcp_time_wait) and closes the
// full one, so the tracepoint only ever says TCP_CLOSE; sock_diag shows the
// time-wait socket: in TIME-WAIT, or in FIN-WAIT-2 for an orphan still
// waiting for its peer's FIN. A time-wait socket's own changes (FIN-WAIT-2
// to TIME-WAIT, TIME-WAIT's end) pass no tracepoint: the lab polls for them.
func (l *Lab) timeWaitOf(side fsm.Side, tr kernel.Transition) kernel.Transition {
	if tr.New != kernel.TCPClose || (tr.Old != kernel.TCPFinWait1 && tr.Old != kernel.TCPFinWait2 && tr.Old != kernel.TCPClosing) {
		return tr
	}
	tab, err := l.Snapshot(side)
	if err != nil {
		return tr
	}
	if s, ok := tab.Lookup(tr.Local, tr.Remote); ok && (s.Linux == kernel.TCPTimeWait || s.Linux == kernel.TCPFinWait2) {
		tr.New = s.Linux
		l.timeWait.watch(side, sockKey{tr.Local, tr.Remote}, s.Linux)
	}
	return tr
}

// timeWaitWatch polls the time-wait sockets the tracepoint cannot follow,
// reporting each change until the socket is gone.
type timeWaitWatch struct {
	mu    sync.Mutex
	socks [2]map[sockKey]kernel.LinuxState
	quit  chan struct{}
	wg    sync.WaitGroup
}

func startTimeWaitWatch(l *Lab, every time.Duration, f func(Transition)) *timeWaitWatch {
	w := &timeWaitWatch{quit: make(chan struct{})}
	for s := range w.socks {
		w.socks[s] = make(map[sockKey]kernel.LinuxState)
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
			case <-w.quit:
				return
			}
			for _, s := range []fsm.Side{fsm.Client, fsm.Server} {
				w.poll(l, s, f)
			}
		}
	}()
	return w
}

func (w *timeWaitWatch) watch(side fsm.Side, k sockKey, st kernel.LinuxState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.socks[side][k] = st
}

func (w *timeWaitWatch) poll(l *Lab, side fsm.Side, f func(Transition)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.socks[side]) == 0 {
		return
	}
	tab, err := l.Snapshot(side)
	if err != nil {
		return
	}
	for k, old := range w.socks[side] {
		now := kernel.TCPClose
		if s, ok := tab.Lookup(k.local, k.remote); ok {
			now = s.Linux
		}
		if now == old {
			continue
		}
		f(transition(l.Since(), side, kernel.Transition{Local: k.local, Remote: k.remote, Old: old, New: now}, true))
		if now == kernel.TCPClose {
			delete(w.socks[side], k)
		} else {
			w.socks[side][k] = now
		}
	}
}

func (w *timeWaitWatch) stop() {
	close(w.quit)
	w.wg.Wait()
}
