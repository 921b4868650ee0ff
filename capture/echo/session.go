package echo

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/tcpviz/tcpviz/capture/kernel"
	"github.com/tcpviz/tcpviz/capture/sockets"
	"github.com/tcpviz/tcpviz/capture/track"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Options configure a Session.
type Options struct {
	// Addr is the server's address; "" means 127.0.0.1 on a free port.
	Addr string
	// NoCapture runs without packet capture even where it is permitted.
	NoCapture bool
	// Poll is how often the kernel's socket states are read between calls
	// (changes the kernel makes on its own, such as TIME-WAIT's end,
	// become timer steps). 0 means 100 ms.
	Poll time.Duration
	// Settle is the least time a call waits for the segments it causes
	// before the kernel is asked for the sockets' states. 0 means 60 ms,
	// more than Linux's smallest delayed-ACK timeout (40 ms).
	Settle time.Duration
	// RecvWait is how long recv() waits for data before it is refused as
	// one that would block. 0 means 200 ms.
	RecvWait time.Duration
}

// Action IDs of the session, in menu order.
const (
	ActListen        = "server.listen"
	ActConnect       = "client.connect"
	ActClientSend    = "client.send"
	ActServerRecv    = "server.recv"
	ActServerEcho    = "server.echo"
	ActClientRecv    = "client.recv"
	ActClientShut    = "client.shutdown"
	ActServerShut    = "server.shutdown"
	ActClientClose   = "client.close"
	ActServerClose   = "server.close"
	ActClientAbort   = "client.abort"
	ActServerAbort   = "server.abort"
	ActRestart       = "server.restart"
	ActRestartReuse  = "server.restart_reuseaddr"
	defaultRequest   = "hello"
	defaultPoll      = 100 * time.Millisecond
	defaultSettle    = 60 * time.Millisecond
	defaultRecvWait  = 200 * time.Millisecond
	listenBacklog    = 16
	timeWaitLinux    = 60 * time.Second // TCP_TIMEWAIT_LEN
	captureMaxSettle = 600 * time.Millisecond
)

// actionDefs are the session's actions: ID, label, key. The keys stay off
// the view's own (h/l/j/k, g/G, d, u, r, s, q, ?, space): lower case for
// the client, upper case for the server.
var actionDefs = []struct{ id, label, key string }{
	{ActListen, "server.listen()", "L"},
	{ActConnect, "client.connect()", "c"},
	{ActClientSend, `client.send("hello")`, "w"},
	{ActServerRecv, "server.recv()", "R"},
	{ActServerEcho, "server.send(upper-cased)", "e"},
	{ActClientRecv, "client.recv()", "v"},
	{ActClientShut, "client.shutdown(SHUT_WR)", "f"},
	{ActServerShut, "server.shutdown(SHUT_WR)", "F"},
	{ActClientClose, "client.close()", "x"},
	{ActServerClose, "server.close()", "X"},
	{ActClientAbort, "client.abort() (SO_LINGER 0)", "a"},
	{ActServerAbort, "server.abort() (SO_LINGER 0)", "A"},
	{ActRestart, "restart server (no SO_REUSEADDR)", "T"},
	{ActRestartReuse, "restart server with SO_REUSEADDR", "Y"},
}

// DefaultSequence is what `tcpviz echo --auto` plays: the classic exchange,
// the client closing first, a pause, then the server closing, after which
// the client's socket sits in TIME-WAIT.
func DefaultSequence() []string {
	return []string{ActListen, ActConnect, ActClientSend, ActServerRecv, ActServerEcho, ActClientRecv, ActClientClose, "", ActServerClose}
}

// ErrClosed is returned by Do after Close.
var ErrClosed = errors.New("the echo session is closed")

// Session is the real loopback echo session. It implements
// timeline.Session; its methods are safe for concurrent use.
type Session struct {
	opts   Options
	start  time.Time
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	callMu sync.Mutex // one call at a time, and no poll during a call

	mu         sync.Mutex // everything below
	server     netip.AddrPort
	lfd        int // the listener, -1 when none
	lreuse     bool
	sfd        int // the server's connection socket (accepted), -1 when none
	cfd        int // the client's socket, -1 when none
	cconnected bool
	shut       [2]bool // shutdown(SHUT_WR) or close() made on that side
	peerEOF    [2]bool // recv() returned 0 on that side
	lastRecv   []byte  // what server.recv() read last, for the echo
	conns      []*conn
	cap        *capturer
	tr         *track.Tracker // the captured segments' observer, counters and flags (nil without capture)
	byTrack    map[int]*conn  // the tracker's connection IDs, mapped to the session's connections
	feed       *feed          // while segments go through tr: what its steps are matched with
	capOff     timeline.Fact  // why capture is off (FactCaptureOff), said once; FactNone when on
	closed     bool

	updates chan timeline.Batch
	notify  chan struct{}
}

// New starts a session: it picks the server's port (without listening: that
// is the user's first call), starts the loopback capture where permitted,
// and the kernel poll. Close it when done.
func New(opts Options) (*Session, error) {
	if opts.Poll <= 0 {
		opts.Poll = defaultPoll
	}
	if opts.Settle <= 0 {
		opts.Settle = defaultSettle
	}
	if opts.RecvWait <= 0 {
		opts.RecvWait = defaultRecvWait
	}
	addr := netip.MustParseAddrPort("127.0.0.1:0")
	if opts.Addr != "" {
		a, err := netip.ParseAddrPort(opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("--addr %q: want IP:PORT, e.g. 127.0.0.1:8000", opts.Addr)
		}
		addr = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	}
	if addr.Port() == 0 {
		a, err := sockets.FreePort(addr)
		if err != nil {
			return nil, fmt.Errorf("find a free port on %s: %w", addr.Addr(), err)
		}
		addr = a
	} else if err := portFree(addr); err != nil {
		return nil, err
	}
	if _, err := kernel.SnapshotFamilies(uint8(sockets.Family(addr))); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Session{
		opts: opts, start: time.Now(), ctx: ctx, cancel: cancel,
		server: addr, lfd: -1, sfd: -1, cfd: -1,
		updates: make(chan timeline.Batch, 64), notify: make(chan struct{}, 1),
	}
	if opts.NoCapture {
		s.capOff = timeline.Fact{Kind: timeline.FactCaptureOff}
	} else if c, err := startCapture(ctx, addr.Port()); err != nil {
		s.capOff = timeline.Fact{Kind: timeline.FactCaptureOff, Text: err.Error()}
	} else {
		s.cap = c
	}
	s.start = time.Now() // the timeline begins when the session is ready
	if s.cap != nil {
		s.tr = track.New(track.Options{Source: "echo " + addr.String(), Timelines: true, Preview: 64 << 10,
			Stream: true, OnStep: s.onStep})
		s.tr.StartAt(s.start.UnixNano())
		s.byTrack = map[int]*conn{}
	}
	s.mu.Lock()
	s.newConn(netip.AddrPort{})
	s.mu.Unlock()
	s.wg.Add(2)
	go s.sender()
	go s.poller()
	return s, nil
}

// portFree reports a busy port by name, with what holds it.
func portFree(addr netip.AddrPort) error {
	fd, _, err := sockets.Listen(addr, true, 1)
	if err != nil {
		if errors.Is(err, errAddrInUse) {
			var why []string
			for _, f := range holders(addr) {
				why = append(why, narrate.Fact(&timeline.Step{}, &f, narrate.EN))
			}
			return fmt.Errorf("%s is busy: %s", addr, strings.Join(why, " "))
		}
		return err
	}
	closeFD(fd)
	return nil
}

// Server returns the server's address.
func (s *Session) Server() netip.AddrPort { return s.server }

// Capturing reports whether packets are being captured; when not, note says
// why and how to enable it, in lang.
func (s *Session) Capturing(lang narrate.Lang) (on bool, note string) {
	if s.cap != nil {
		return true, ""
	}
	return false, narrate.Fact(&timeline.Step{}, &s.capOff, lang)
}

// Updates delivers the session's batches; closed after Close.
func (s *Session) Updates() <-chan timeline.Batch { return s.updates }

// Actions lists the calls the user can make, with why a call is not
// possible now.
func (s *Session) Actions() []timeline.Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]timeline.Action, len(actionDefs))
	for i, d := range actionDefs {
		why := s.whyNot(d.id)
		out[i] = timeline.Action{ID: d.id, Label: d.label, Key: d.key, Enabled: why == "", Why: why}
	}
	return out
}

// whyNot says why an action is not possible now ("" if it is). s.mu held.
func (s *Session) whyNot(id string) string {
	if s.closed {
		return ErrClosed.Error()
	}
	switch id {
	case ActListen:
		if s.lfd >= 0 {
			return fmt.Sprintf("the server is already listening on %s", s.server)
		}
	case ActConnect:
		if s.cfd >= 0 {
			return "the client already has a socket: close or abort it first"
		}
	case ActClientSend, ActClientRecv, ActClientShut, ActClientClose, ActClientAbort:
		if s.cfd < 0 {
			return "the client has no socket: connect first"
		}
		if !s.cconnected {
			return "the client is not connected"
		}
		if id == ActClientSend && s.shut[fsm.Client] {
			return "the client has shut down its sending side: send() would fail with EPIPE"
		}
	case ActServerRecv, ActServerEcho, ActServerShut, ActServerClose, ActServerAbort:
		if s.sfd < 0 && !s.pending() {
			if id == ActServerClose && s.lfd >= 0 {
				return "" // closes the listener
			}
			return "no connection has reached the server (listen, then connect the client)"
		}
		if id == ActServerEcho {
			if len(s.lastRecv) == 0 {
				return "nothing received to echo: call server.recv() first"
			}
			if s.shut[fsm.Server] {
				return "the server has shut down its sending side: send() would fail with EPIPE"
			}
		}
	case ActRestart, ActRestartReuse:
	default:
		return fmt.Sprintf("no such action %q", id)
	}
	return ""
}

// pending reports whether a connection waits in the listener's accept
// queue (the kernel completed its handshake; accept() has not taken it).
func (s *Session) pending() bool {
	c := s.cur()
	return s.lfd >= 0 && c.connected && s.sfd < 0 && !c.serverGone
}

// Close ends the session: every socket closed, capture stopped, the last
// batch (Done) sent and the updates channel closed. Safe to call twice.
func (s *Session) Close() error {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, fd := range []*int{&s.cfd, &s.sfd, &s.lfd} {
		if *fd >= 0 {
			closeFD(*fd)
			*fd = -1
		}
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if s.cap != nil {
		<-s.cap.done
	}
	// The consumer may have stopped reading (the view quit): never block.
	select {
	case s.updates <- s.batch(true):
	default:
	}
	close(s.updates)
	return nil
}

// sender hands out batches whenever steps are added, one batch per wakeup,
// so a slow consumer gets fewer, bigger batches.
func (s *Session) sender() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.notify:
		}
		b := s.batch(false)
		if len(b.Conns) == 0 {
			continue
		}
		select {
		case s.updates <- b:
		case <-s.ctx.Done():
			return
		}
	}
}

// wake tells the sender there is news.
func (s *Session) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// batch takes the steps not yet handed out.
func (s *Session) batch(done bool) timeline.Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := timeline.Batch{Progress: -1, Done: done}
	for _, c := range s.conns {
		if c.sent == len(c.tl.Steps) {
			continue
		}
		hdr := c.tl
		hdr.Steps = nil
		d := timeline.ConnDelta{
			ID: c.id, Header: hdr, Steps: append([]timeline.Step(nil), c.tl.Steps[c.sent:]...),
			First: c.tl.Steps[0].T, Last: c.tl.Steps[len(c.tl.Steps)-1].T,
		}
		c.totals(&d)
		b.Conns = append(b.Conns, d)
		c.sent = len(c.tl.Steps)
	}
	if s.cap != nil {
		st := s.cap.h.Stats()
		b.Stats = timeline.Stats{Packets: st.Received, Dropped: st.Dropped}
	}
	return b
}

// Timelines returns a copy of every connection's timeline so far.
func (s *Session) Timelines() []timeline.Timeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]timeline.Timeline, len(s.conns))
	for i, c := range s.conns {
		out[i] = c.tl
		out[i].Steps = append([]timeline.Step(nil), c.tl.Steps...)
	}
	return out
}

// KernelInfo returns the kernel's latest tcp_info figures for the current
// connection's client and server sockets (zero where the kernel has none).
func (s *Session) KernelInfo() [2]kernel.Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur().info
}

// poller reads the kernel's states on an interval and records changes the
// kernel made on its own, and segments that came after their call settled.
func (s *Session) poller() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if !s.callMu.TryLock() {
			continue // a call is being made; it reads the kernel itself
		}
		s.mu.Lock()
		if !s.closed {
			s.pollLocked(time.Now())
		}
		s.mu.Unlock()
		s.callMu.Unlock()
		s.wake()
	}
}
