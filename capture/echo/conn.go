package echo

import (
	"net/netip"
	"time"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/kernel"
	"github.com/tcpviz/tcpviz/capture/sockets"
	"github.com/tcpviz/tcpviz/capture/track"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// conn is one connection of the session (a new one for every connect()):
// its timeline, and the three sources of states for it.
type conn struct {
	id   int
	tl   timeline.Timeline
	sent int // steps already handed out in batches

	sim     *sim.Sim
	simBase time.Duration // session time at which the simulator's clock read 0
	tc      *track.Conn   // the tracker's connection, once a segment of it was captured
	states  [2]fsm.State  // the observed states now (the timeline's States)

	client     netip.AddrPort // the client socket's address; zero before connect
	connected  bool           // connect() was called: the 4-tuple exists
	serverGone bool           // the server's side never reached, or left, the accept queue

	kernel    [2]fsm.State
	hasKernel bool
	info      [2]kernel.Info
}

func (s *Session) cur() *conn { return s.conns[len(s.conns)-1] }

// add appends a step of the session's own (a call, the kernel's doing),
// with the variables the tracker has inferred from the segments so far
// (none before the first segment is captured).
func (c *conn) add(st timeline.Step) {
	if c.tc != nil {
		st.TCB, st.HasTCB = c.tc.TCB(), true
	}
	c.tl.Steps = append(c.tl.Steps, st)
}

// totals are the tracker's counters and marks for the connection list.
func (c *conn) totals(d *timeline.ConnDelta) {
	if c.tc == nil {
		return
	}
	d.Segments, d.Flags = c.tc.Segments(), c.tc.Flags()
	d.BytesC2S, d.BytesS2C = c.tc.Bytes(fsm.C2S), c.tc.Bytes(fsm.S2C)
}

// rel is a wall-clock time as the session's timeline time.
func (s *Session) rel(t time.Time) time.Duration { return t.Sub(s.start) }

// virt is a wall-clock time on c's simulator clock.
func (c *conn) virt(rel time.Duration) time.Duration { return rel - c.simBase }

// newConn starts the timeline of a new connection from client (zero if not
// yet known). s.mu held.
func (s *Session) newConn(client netip.AddrPort) *conn {
	now := s.rel(time.Now())
	cfg := sim.DefaultConfig()
	cfg.Server = s.server
	cfg.Client = client
	if !client.IsValid() {
		cfg.Client = netip.AddrPortFrom(s.server.Addr(), 0)
	}
	cfg.Delay = 50 * time.Microsecond // loopback
	cfg.Source = "echo session"
	c := &conn{id: len(s.conns) + 1, sim: sim.New(cfg), simBase: now, client: client}
	c.tl.Source = "echo " + s.server.String()
	c.tl.Conn = timeline.Conn{Client: cfg.Client, Server: s.server}
	if s.lfd >= 0 {
		_ = c.sim.Do(fsm.Server, sim.Listen())
	}
	c.states = c.sim.States()
	init := timeline.Step{T: now, Event: timeline.Init, States: c.states, Truth: &timeline.Truth{Predicted: c.states}}
	if len(s.conns) == 0 && s.capOff.Kind != timeline.FactNone {
		init.Facts = append(init.Facts, s.capOff)
	}
	if len(s.conns) > 0 {
		init.Facts = append(init.Facts, timeline.Fact{Kind: timeline.FactNewConnection})
	}
	s.conns = append(s.conns, c)
	c.add(init)
	s.attachKernel(c, nil)
	return c
}

// connOf returns the session's connection that a tracked connection is:
// the latest connected one with its endpoints (nil for segments of no
// connection of the session's).
func (s *Session) connOf(tc *track.Conn) *conn {
	if c, ok := s.byTrack[tc.ID()]; ok {
		return c
	}
	ep := tc.Endpoints()
	for i := len(s.conns) - 1; i >= 0; i-- {
		if c := s.conns[i]; c.connected && ep == (timeline.Conn{Client: c.client, Server: s.server}) {
			s.byTrack[tc.ID()] = c
			c.tc = tc
			return c
		}
	}
	return nil
}

const flagsCompared = fsm.SYN | fsm.ACK | fsm.FIN | fsm.RST

// feed is what the tracker's steps are matched with while captured
// segments (or the passing of time) go through it.
type feed struct {
	cur       *conn           // the connection of the call being recorded; nil between calls
	arrivals  []timeline.Step // the simulator's arrivals for the call, in order
	next      int             // the first arrival not yet matched
	unmatched []timeline.Step // arrivals skipped: predicted, not captured
	touched   map[*conn]bool  // connections that got a step
}

// observeSegs puts captured segments through the tracker: its Observe
// steps (and the TIME-WAIT expiries their times pass) join the session's
// timelines, each with the simulator's prediction for the same segment
// (matched by direction and SYN/ACK/FIN/RST among the simulator's arrivals
// of this call, in order). It returns the predicted arrivals no captured
// segment matched. s.mu held.
func (s *Session) observeSegs(segs []captured, cur *conn, arrivals []timeline.Step) (unmatched []timeline.Step, touched map[*conn]bool) {
	f := &feed{cur: cur, arrivals: arrivals, touched: map[*conn]bool{}}
	if s.tr == nil {
		return nil, f.touched
	}
	s.feed = f
	defer func() { s.feed = nil }()
	// The session made the listener, so it knows whether a SYN reaches a
	// LISTEN socket; a plain capture would have to wait for the answer.
	s.tr.SetListening(s.lfd >= 0)
	for i := range segs {
		cs := &segs[i]
		pkt := decode.Packet{Src: cs.src, Dst: cs.dst, Seg: cs.seg, WScale: cs.wscale}
		s.tr.Add(cs.at.UnixNano(), &pkt)
	}
	if arrivals != nil {
		f.unmatched = append(f.unmatched, arrivals[f.next:]...)
	}
	return f.unmatched, f.touched
}

// advance lets the tracker's TIME-WAIT timers run to now with no segment,
// and returns the connections that got a Timer step. s.mu held.
func (s *Session) advance(now time.Time) map[*conn]bool {
	if s.tr == nil {
		return nil
	}
	f := &feed{touched: map[*conn]bool{}}
	s.feed = f
	s.tr.AdvanceTo(now.UnixNano())
	s.feed = nil
	return f.touched
}

// onStep takes one of the tracker's steps (a captured segment, a TIME-WAIT
// expiry) into its connection's timeline, with what the session adds: the
// simulator's prediction. s.mu held (called from Add and AdvanceTo).
func (s *Session) onStep(tc *track.Conn, tl *timeline.Timeline, i int) {
	c := s.connOf(tc)
	if c == nil {
		return
	}
	st := tl.Steps[i]
	c.tl.ISN, c.tl.HasISN = tl.ISN, tl.HasISN
	c.states = st.States
	st.Truth = &timeline.Truth{Predicted: c.sim.States()}
	if f := s.feed; st.Event == timeline.Observe {
		if c == f.cur && f.arrivals != nil {
			f.predict(&st)
		}
		if st.States != st.Truth.Predicted && len(st.Facts) == 0 {
			st.Facts = append(st.Facts, segDisagreement(&st))
		}
		if d, ok := delayedAck(c, &st); ok {
			st.Facts = append(st.Facts, d)
		}
	}
	c.tl.Steps = append(c.tl.Steps, st)
	s.feed.touched[c] = true
}

// predict matches a captured segment of the current call with the next
// predicted arrival of the same direction and flags, and takes its states
// as the prediction.
func (f *feed) predict(st *timeline.Step) {
	for j := f.next; j < len(f.arrivals); j++ {
		a := &f.arrivals[j]
		if a.Dir == st.Dir && a.Seg.Flags&flagsCompared == st.Seg.Flags&flagsCompared {
			f.unmatched = append(f.unmatched, f.arrivals[f.next:j]...)
			st.Truth.Predicted = a.States
			f.next = j + 1
			return
		}
	}
	st.Facts = append(st.Facts, timeline.Fact{Kind: timeline.FactUnpredicted, Flags: st.Seg.Flags})
	if f.next > 0 {
		st.Truth.Predicted = f.arrivals[f.next-1].States
	}
}

// kernelStates returns what the kernel says of c's two sockets: the
// client's socket by its 4-tuple, and on the server the connection's
// socket (accepted or still in the accept queue) once the client has
// connected, the listener before. A socket the kernel does not have is
// CLOSED.
func (s *Session) kernelStates(tab *kernel.Table, c *conn) (k [2]fsm.State, info [2]kernel.Info) {
	if !c.connected {
		if l, ok := tab.Listener(s.server); ok && s.lfd >= 0 {
			k[fsm.Server] = l.State
		}
		return k, info
	}
	if so, ok := tab.Lookup(c.client, s.server); ok {
		k[fsm.Client], info[fsm.Client] = so.State, so.Info
	}
	if so, ok := tab.Lookup(s.server, c.client); ok {
		k[fsm.Server], info[fsm.Server] = so.State, so.Info
	}
	return k, info
}

// attachKernel reads the kernel's states for c onto its last step and says
// where they disagree with the packets or the prediction. s.mu held.
func (s *Session) attachKernel(c *conn, unmatched []timeline.Step) {
	tab, err := kernel.SnapshotFamilies(uint8(sockets.Family(s.server)))
	last := &c.tl.Steps[len(c.tl.Steps)-1]
	if err != nil {
		last.Facts = append(last.Facts, timeline.Fact{Kind: timeline.FactKernelUnasked, Text: err.Error()})
		return
	}
	k, info := s.kernelStates(tab, c)
	c.kernel, c.hasKernel, c.info = k, true, info
	last.Truth.HasKernel, last.Truth.Kernel = true, k
	if s.cap == nil {
		// Without packets the kernel is the only observation.
		last.States = k
		c.states = k
	}
	last.Facts = append(last.Facts, s.explain(c, last, unmatched)...)
}

// pollLocked records what changed since the last call: segments that came
// late, and states the kernel changed on its own. s.mu held.
func (s *Session) pollLocked(now time.Time) {
	t := s.rel(now)
	var segs []captured
	if s.cap != nil {
		segs = s.cap.take()
	}
	for _, c := range s.conns {
		c.sim.AdvanceTo(c.virt(t))
	}
	_, touched := s.observeSegs(segs, nil, nil)
	tab, err := kernel.SnapshotFamilies(uint8(sockets.Family(s.server)))
	if err != nil {
		return
	}
	ks := make([][2]fsm.State, len(s.conns))
	ownChange := false
	for i, c := range s.conns {
		ks[i], c.info = s.kernelStates(tab, c)
		ownChange = ownChange || (c.hasKernel && ks[i] != c.kernel && !touched[c])
	}
	// The kernel changed a state on its own (most often TIME-WAIT's end):
	// the observer's 2·MSL timers, which end no later, catch up first and
	// the change joins their step.
	var timers map[*conn]bool
	if ownChange {
		timers = s.advance(now)
	}
	for i, c := range s.conns {
		k := ks[i]
		if touched[c] {
			last := &c.tl.Steps[len(c.tl.Steps)-1]
			last.Truth.Predicted = c.sim.States()
		}
		own := !touched[c] && c.hasKernel && k != c.kernel
		if own {
			if !timers[c] {
				c.add(timeline.Step{T: t, Event: timeline.Timer, States: c.states, Truth: &timeline.Truth{Predicted: c.sim.States()}})
			}
			st := &c.tl.Steps[len(c.tl.Steps)-1]
			changes := kernelOwnChanges(c.kernel, k)
			st.Actor = changes[len(changes)-1].Side
			st.Facts = append(st.Facts, changes...)
		}
		if touched[c] || timers[c] || own {
			s.attachKernel(c, nil)
		}
	}
}
