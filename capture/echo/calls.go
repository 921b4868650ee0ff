package echo

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tcpviz/tcpviz/capture/kernel"
	"github.com/tcpviz/tcpviz/capture/sockets"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"golang.org/x/sys/unix"
)

var errAddrInUse = unix.EADDRINUSE

func closeFD(fd int) { _ = unix.Close(fd) }

// RefusedError is a call the session refuses without making it, with why.
type RefusedError struct {
	Action string
	Why    string
}

func (e *RefusedError) Error() string { return e.Action + ": " + e.Why }

// KernelError is a call the kernel made and failed, e.g. bind() with
// EADDRINUSE; its step is in the timeline.
type KernelError struct {
	Call string
	Err  error
}

func (e *KernelError) Error() string { return e.Call + " failed: " + sockets.ErrnoText(e.Err) }
func (e *KernelError) Unwrap() error { return e.Err }

// call is one socket call made, for the timeline.
type call struct {
	t0      time.Time
	side    fsm.Side
	label   string
	simCall *sim.Call // nil: the simulator is not told (the call is outside its one connection)
	err     error     // the kernel's error, if the call failed
	facts   []timeline.Fact
	// simOnErr: the call failed but its segments went out (a refused
	// connect() sent its SYN), so the simulator is told too.
	simOnErr bool
}

// Do makes the action's socket call(s). A call not possible now is refused
// with a *RefusedError saying why; a call the kernel fails returns a
// *KernelError after its step is recorded.
func (s *Session) Do(id string) error {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	s.mu.Lock()
	if why := s.whyNot(id); why != "" {
		s.mu.Unlock()
		if s.closed {
			return ErrClosed
		}
		return &RefusedError{id, why}
	}
	serverSide := strings.HasPrefix(id, "server.") && id != ActListen && id != ActRestart && id != ActRestartReuse
	needAccept := serverSide && s.sfd < 0 && s.pending()
	s.mu.Unlock()
	defer s.wake()

	if needAccept {
		if err := s.accept(); err != nil {
			return err
		}
	}
	var c call
	var err error
	switch id {
	case ActListen:
		c = s.listen(true, "server.listen()")
	case ActRestart, ActRestartReuse:
		c = s.restart(id == ActRestartReuse)
	case ActConnect:
		c = s.connect()
	case ActClientSend:
		c = s.send(fsm.Client, []byte(defaultRequest))
	case ActServerEcho:
		s.mu.Lock()
		data := Upper(s.lastRecv)
		s.mu.Unlock()
		c = s.send(fsm.Server, data)
	case ActClientRecv, ActServerRecv:
		side := fsm.Client
		if id == ActServerRecv {
			side = fsm.Server
		}
		c, err = s.recv(side)
		if err != nil {
			return &RefusedError{id, err.Error()}
		}
	case ActClientShut, ActServerShut:
		c = s.shutdown(sideOf(id))
	case ActClientClose, ActServerClose:
		c = s.closeCall(sideOf(id), false)
	case ActClientAbort, ActServerAbort:
		c = s.closeCall(sideOf(id), true)
	}
	s.settle()
	s.mu.Lock()
	s.record(c)
	s.mu.Unlock()
	if c.err != nil {
		return &KernelError{c.label, c.err}
	}
	return nil
}

func sideOf(id string) fsm.Side {
	if strings.HasPrefix(id, "server.") {
		return fsm.Server
	}
	return fsm.Client
}

// settle waits for the segments a call causes to be captured and processed.
func (s *Session) settle() {
	if s.cap != nil {
		s.cap.quiet(s.opts.Settle, 40*time.Millisecond, captureMaxSettle)
		return
	}
	time.Sleep(s.opts.Settle)
}

// accept takes the connection waiting in the accept queue: the server's
// calls on a connection need it (accept() changes no state: the kernel
// completed the handshake before, RFC 9293 leaves when to the host).
func (s *Session) accept() error {
	s.mu.Lock()
	lfd := s.lfd
	s.mu.Unlock()
	t0 := time.Now()
	fd, _, err := sockets.Accept(lfd, s.opts.RecvWait)
	if err != nil {
		s.mu.Lock()
		s.cur().serverGone = true
		s.mu.Unlock()
		return &RefusedError{"server.accept", "no connection waits in the accept queue (" + sockets.ErrnoText(err) + ")"}
	}
	acc := sim.Accept()
	s.mu.Lock()
	s.sfd = fd
	s.shut[fsm.Server], s.peerEOF[fsm.Server] = false, false
	s.record(call{t0: t0, side: fsm.Server, label: "server.accept()", simCall: &acc,
		facts: []timeline.Fact{{Kind: timeline.FactAccepted}}})
	s.mu.Unlock()
	return nil
}

func (s *Session) listen(reuse bool, label string) call {
	t0 := time.Now()
	fd, _, err := sockets.Listen(s.server, reuse, listenBacklog)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := call{t0: t0, side: fsm.Server, label: label}
	if !s.cur().connected {
		l := sim.Listen()
		c.simCall = &l
	} else {
		c.facts = append(c.facts, timeline.Fact{Kind: timeline.FactNewListener})
	}
	if err != nil {
		c.err = err
		c.simCall = nil
		if errors.Is(err, unix.EADDRINUSE) {
			inUse := timeline.Fact{Kind: timeline.FactAddrInUse}
			if reuse {
				inUse.N = 1
			}
			c.facts = append(append(c.facts[:0], inUse), holders(s.server)...)
		}
		return c
	}
	s.lfd, s.lreuse = fd, reuse
	if reuse && !strings.Contains(label, "listen()") {
		c.facts = append(c.facts, timeline.Fact{Kind: timeline.FactReuseAddr})
	}
	return c
}

// closeListener closes the listening socket. A connection still in its
// accept queue is aborted by the kernel (RST); the simulator is told so.
// It reports whether one was. s.mu held.
func (s *Session) closeListener() bool {
	pending := s.pending()
	c := s.cur()
	closeFD(s.lfd)
	s.lfd = -1
	if pending {
		c.serverGone = true
		c.sim.AdvanceTo(c.virt(s.rel(time.Now())))
		_ = c.sim.Do(fsm.Server, sim.Abort())
		c.sim.Settle(time.Second)
	}
	return pending
}

// restart closes the listener and listens again on the same port, with or
// without SO_REUSEADDR.
func (s *Session) restart(reuse bool) call {
	s.mu.Lock()
	if s.lfd >= 0 {
		s.closeListener()
	}
	s.mu.Unlock()
	label := "server.restart()"
	if reuse {
		label = "server.restart(SO_REUSEADDR)"
	}
	return s.listen(reuse, label)
}

func (s *Session) connect() call {
	s.mu.Lock()
	if s.cur().connected || s.cur().client.IsValid() {
		s.newConn(netip.AddrPort{})
	}
	s.mu.Unlock()
	t0 := time.Now()
	fd, local, err := sockets.Client(s.server)
	c := call{t0: t0, side: fsm.Client, label: "client.connect()"}
	if err != nil {
		c.err = err
		return c
	}
	s.mu.Lock()
	cn := s.cur()
	cn.client, cn.connected = local, true
	cn.tl.Conn.Client = local
	s.cfd = fd
	s.shut[fsm.Client], s.peerEOF[fsm.Client] = false, false
	s.mu.Unlock()
	conn := sim.Connect()
	c.simCall = &conn
	err = sockets.Connect(fd, s.server)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		c.err = err
		closeFD(fd)
		s.cfd = -1
		cn.serverGone = true
		if errors.Is(err, unix.ECONNREFUSED) {
			c.simOnErr = true
			c.facts = append(c.facts, timeline.Fact{Kind: timeline.FactConnRefused, Local: s.server})
		}
		return c
	}
	s.cconnected = true
	return c
}

func (s *Session) fdOf(side fsm.Side) int {
	if side == fsm.Client {
		return s.cfd
	}
	return s.sfd
}

func (s *Session) send(side fsm.Side, data []byte) call {
	s.mu.Lock()
	fd := s.fdOf(side)
	s.mu.Unlock()
	t0 := time.Now()
	err := sockets.Send(fd, data)
	sc := sim.Send(string(data))
	if side == fsm.Server {
		sc = sim.Echo()
	}
	c := call{t0: t0, side: side, label: fmt.Sprintf("%s.send(%q)", side, data), simCall: &sc, err: err}
	if err != nil {
		c.facts = append(c.facts, timeline.Fact{Kind: timeline.FactCallFailed, Text: sockets.ErrnoText(err)})
	}
	return c
}

func (s *Session) recv(side fsm.Side) (call, error) {
	s.mu.Lock()
	fd := s.fdOf(side)
	s.mu.Unlock()
	t0 := time.Now()
	data, eof, err := sockets.Recv(fd, s.opts.RecvWait)
	if errors.Is(err, sockets.ErrWouldBlock) {
		return call{}, fmt.Errorf("%s: the %s has nothing to read", err, side)
	}
	rc := sim.Recv()
	c := call{t0: t0, side: side, label: side.String() + ".recv()", simCall: &rc, err: err}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil:
		c.facts = append(c.facts, timeline.Fact{Kind: timeline.FactCallFailed, Text: sockets.ErrnoText(err)})
	case eof:
		s.peerEOF[side] = true
		c.facts = append(c.facts, timeline.Fact{Kind: timeline.FactRecvEOF, Side: side})
	default:
		c.facts = append(c.facts, timeline.Fact{Kind: timeline.FactRecvData, Text: string(data), N: int64(len(data))})
		if side == fsm.Server {
			s.lastRecv = data
		}
	}
	return c, nil
}

func (s *Session) shutdown(side fsm.Side) call {
	s.mu.Lock()
	defer s.mu.Unlock()
	t0 := time.Now()
	err := unix.Shutdown(s.fdOf(side), unix.SHUT_WR)
	s.shut[side] = true
	sc := sim.Shutdown()
	return call{t0: t0, side: side, label: side.String() + ".shutdown(SHUT_WR)", simCall: &sc, err: err}
}

func (s *Session) closeCall(side fsm.Side, abort bool) call {
	s.mu.Lock()
	defer s.mu.Unlock()
	t0 := time.Now()
	sc := sim.Close()
	label := side.String() + ".close()"
	if abort {
		sc = sim.Abort()
		label = side.String() + ".abort()"
	}
	c := call{t0: t0, side: side, label: label, simCall: &sc}
	fd := s.fdOf(side)
	if side == fsm.Server && fd < 0 {
		// No connection on the server: close the listener.
		c.label = "server.close(listener)"
		if s.cur().connected {
			c.simCall = nil
		}
		closed := timeline.Fact{Kind: timeline.FactListenerClosed}
		if s.closeListener() {
			closed.N = 1 // it aborted a connection in its accept queue
		}
		c.facts = append(c.facts, closed)
		return c
	}
	if abort {
		c.err = sockets.Abort(fd)
		c.facts = append(c.facts, timeline.Fact{Kind: timeline.FactAborted})
	} else {
		c.err = unix.Close(fd)
	}
	if side == fsm.Client {
		s.cfd, s.cconnected = -1, false
	} else {
		s.sfd = -1
		s.cur().serverGone = true
	}
	s.shut[side] = true
	return c
}

// record writes a call's App step, the segments it caused, and the kernel's
// states after it. s.mu held.
func (s *Session) record(c call) {
	cn := s.cur()
	var segs []captured
	if s.cap != nil {
		segs = s.cap.take()
	}
	// Segments from before the call (late ACKs of the previous one) first.
	split := 0
	for split < len(segs) && segs[split].at.Before(c.t0) {
		split++
	}
	if split > 0 {
		_, touched := s.observeSegs(segs[:split], nil, nil)
		for t := range touched {
			s.attachKernel(t, nil)
		}
	}
	var predicted []timeline.Step
	var simErr error
	if c.simCall != nil && (c.err == nil || c.simOnErr) {
		cn.sim.AdvanceTo(cn.virt(s.rel(c.t0)))
		n0 := cn.sim.Timeline().Len()
		if simErr = cn.sim.Do(c.side, *c.simCall); simErr == nil {
			cn.sim.Settle(time.Second)
		}
		predicted = append(predicted, cn.sim.Timeline().Steps[n0:]...)
	}
	app := timeline.Step{T: s.rel(c.t0), Event: timeline.App, Actor: c.side, Call: c.label,
		States: cn.states, Truth: &timeline.Truth{Predicted: cn.sim.States()}, Facts: c.facts}
	if len(predicted) > 0 && predicted[0].Event == timeline.App {
		app.States, app.Why, app.Truth.Predicted = predicted[0].States, predicted[0].Why, predicted[0].States
		predicted = predicted[1:]
	}
	if simErr != nil {
		why := timeline.Fact{Kind: timeline.FactSimRefuses, Text: simErr.Error()}
		if c.simCall.Op == sim.OpRecv && errors.Is(simErr, fsm.ErrConnectionDoesNotExist) && c.err == nil {
			why = timeline.Fact{Kind: timeline.FactSimRecvReset}
		}
		app.Facts = append(app.Facts, why)
	}
	cn.states = app.States
	cn.add(app)
	var arrivals []timeline.Step
	for _, p := range predicted {
		if p.Event == timeline.Arrive {
			arrivals = append(arrivals, p)
		}
	}
	if s.cap == nil {
		arrivals = nil
	}
	unmatched, touched := s.observeSegs(segs[split:], cn, arrivals)
	if s.cap == nil {
		unmatched = nil
	}
	if !touched[cn] {
		// No segment: the prediction after the call settled is what the
		// kernel should show now.
		cn.tl.Steps[len(cn.tl.Steps)-1].Truth.Predicted = cn.sim.States()
	}
	for t := range touched {
		if t != cn {
			s.attachKernel(t, nil)
		}
	}
	s.attachKernel(cn, unmatched)
	if c.simCall != nil && c.err == nil && (c.simCall.Op == sim.OpSend || c.simCall.Op == sim.OpEcho) {
		last := &cn.tl.Steps[len(cn.tl.Steps)-1]
		last.Facts = append(last.Facts, tcpInfo(cn.info)...)
	}
}

// holders says which sockets hold the server's port, and for how long.
func holders(addr netip.AddrPort) []timeline.Fact {
	tab, err := kernel.SnapshotFamilies(uint8(sockets.Family(addr)))
	if err != nil {
		return []timeline.Fact{{Kind: timeline.FactPortUnasked}}
	}
	var facts []timeline.Fact
	for _, so := range tab.OnPort(addr.Port()) {
		f := timeline.Fact{Kind: timeline.FactPortHeld, Local: so.Local, Remote: so.Remote, From: so.State, N: int64(addr.Port())}
		switch {
		case so.Linux == kernel.TCPListen:
			f.From = fsm.Listen
		case so.State == fsm.TimeWait:
			f.Dur = so.Expires
		}
		facts = append(facts, f)
	}
	if len(facts) == 0 {
		return []timeline.Fact{{Kind: timeline.FactPortHeldUnseen, N: int64(addr.Port())}}
	}
	return facts
}
