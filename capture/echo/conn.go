package echo

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/kernel"
	"github.com/tcpviz/tcpviz/capture/sockets"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/observe"
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
	obs     observe.Observer
	wscale  decode.WindowScale
	states  [2]fsm.State // the observed states now (the timeline's States)

	client     netip.AddrPort // the client socket's address; zero before connect
	connected  bool           // connect() was called: the 4-tuple exists
	serverGone bool           // the server's side never reached, or left, the accept queue

	kernel    [2]fsm.State
	hasKernel bool
	info      [2]kernel.Info

	segments int
	bytes    [2]uint64
	flags    timeline.ConnFlags
}

func (s *Session) cur() *conn { return s.conns[len(s.conns)-1] }

// add appends a step, with the variables the observer has inferred from
// the segments so far (none before the first segment is captured).
func (c *conn) add(st timeline.Step) {
	if c.segments > 0 {
		st.TCB, st.HasTCB = c.obs.TCB(), true
	}
	c.tl.Steps = append(c.tl.Steps, st)
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
	c := &conn{id: len(s.conns) + 1, sim: sim.New(cfg), simBase: now, client: client,
		obs: observe.New(observe.DefaultConfig(), false), wscale: decode.NewWindowScale()}
	c.tl.Source = "echo " + s.server.String()
	c.tl.Conn = timeline.Conn{Client: cfg.Client, Server: s.server}
	if s.lfd >= 0 {
		_ = c.sim.Do(fsm.Server, sim.Listen())
	}
	c.states = c.sim.States()
	init := timeline.Step{T: now, Event: timeline.Init, States: c.states, Predicted: c.states}
	if len(s.conns) == 0 && s.capNote != "" {
		init.Detail = s.capNote
	}
	if len(s.conns) > 0 {
		init.Detail = strings.TrimSpace(init.Detail + " A new connection: a new client socket with a new port.")
	}
	s.conns = append(s.conns, c)
	c.add(init)
	s.attachKernel(c, nil)
	return c
}

// connFor returns the connection a captured segment belongs to and its
// direction.
func (s *Session) connFor(seg *captured) (*conn, fsm.Dir, bool) {
	for i := len(s.conns) - 1; i >= 0; i-- {
		c := s.conns[i]
		if !c.connected {
			continue
		}
		switch {
		case seg.src == c.client && seg.dst == s.server:
			return c, fsm.C2S, true
		case seg.src == s.server && seg.dst == c.client:
			return c, fsm.S2C, true
		}
	}
	return nil, 0, false
}

const flagsCompared = fsm.SYN | fsm.ACK | fsm.FIN | fsm.RST

// observeSegs turns captured segments into Observe steps: the observer's
// inferred states, and the simulator's prediction for the same segment
// (matched by direction and SYN/ACK/FIN/RST among the simulator's arrivals
// of this call, in order). It returns the predicted arrivals no captured
// segment matched. s.mu held.
func (s *Session) observeSegs(segs []captured, cur *conn, arrivals []timeline.Step) (unmatched []timeline.Step, touched map[*conn]bool) {
	touched = map[*conn]bool{}
	next := 0
	for i := range segs {
		cs := &segs[i]
		c, dir, ok := s.connFor(cs)
		if !ok {
			continue
		}
		t := s.rel(cs.at)
		s.expire(c, t)
		// The session made the listener, so it knows whether a SYN reaches
		// a LISTEN socket; a plain capture would have to wait for the answer.
		c.obs.SetListening(s.lfd >= 0)
		cs.seg.Window = c.wscale.Scale(dir.From(), &cs.seg, cs.wscale)
		upd := c.obs.Observe(t, dir, &cs.seg)
		c.states = upd.States
		st := timeline.Step{T: t, Event: timeline.Observe, Dir: dir, Seg: cs.seg, Analysis: upd.Analysis,
			States: upd.States, Why: upd.Why, Predicted: c.sim.States()}
		if c == cur && arrivals != nil {
			found := false
			for j := next; j < len(arrivals); j++ {
				a := &arrivals[j]
				if a.Dir == dir && a.Seg.Flags&flagsCompared == cs.seg.Flags&flagsCompared {
					unmatched = append(unmatched, arrivals[next:j]...)
					st.Predicted = a.States
					next = j + 1
					found = true
					break
				}
			}
			if !found {
				st.Detail = fmt.Sprintf("The simulator did not predict this %s segment.", cs.seg.Flags)
				if next > 0 {
					st.Predicted = arrivals[next-1].States
				}
			}
		}
		if st.States != st.Predicted && st.Detail == "" {
			st.Detail = segDisagreement(&st, c)
		}
		if d := delayedAck(c, &st); d != "" {
			st.Detail = joinDetail(st.Detail, d)
		}
		isn, known := c.obs.ISN()
		c.tl.ISN, c.tl.HasISN = isn, known
		c.segments++
		c.bytes[dir] += uint64(cs.seg.Len)
		if cs.seg.Flags.Has(fsm.RST) {
			c.flags |= timeline.ConnReset
		}
		if upd.Analysis&timeline.Retransmission != 0 {
			c.flags |= timeline.ConnRetransmission
		}
		c.add(st)
		touched[c] = true
	}
	if arrivals != nil {
		unmatched = append(unmatched, arrivals[next:]...)
	}
	return unmatched, touched
}

// expire lets the observer's TIME-WAIT timers run to capture time t.
func (s *Session) expire(c *conn, t time.Duration) {
	for {
		upd, ok := c.obs.Expire(t)
		if !ok {
			return
		}
		c.states = upd.States
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
		last.Detail = joinDetail(last.Detail, "The kernel could not be asked: "+err.Error()+".")
		return
	}
	k, info := s.kernelStates(tab, c)
	c.kernel, c.hasKernel, c.info = k, true, info
	last.HasKernel, last.Kernel = true, k
	if s.cap == nil {
		// Without packets the kernel is the only observation.
		last.States = k
		c.states = k
	}
	last.Detail = joinDetail(last.Detail, s.explain(c, last, unmatched))
}

func joinDetail(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
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
	for _, c := range s.conns {
		k, info := s.kernelStates(tab, c)
		c.info = info
		if touched[c] {
			last := &c.tl.Steps[len(c.tl.Steps)-1]
			last.Predicted = c.sim.States()
			s.attachKernel(c, nil)
			continue
		}
		if !c.hasKernel || k == c.kernel {
			continue
		}
		s.expire(c, t)
		old := c.kernel
		st := timeline.Step{T: t, Event: timeline.Timer, States: c.states, Predicted: c.sim.States()}
		for _, side := range []fsm.Side{fsm.Client, fsm.Server} {
			if old[side] != k[side] {
				st.Actor = side
				st.Detail = joinDetail(st.Detail, kernelOwnChange(side, old[side], k[side]))
			}
		}
		c.add(st)
		s.attachKernel(c, nil)
	}
}

// kernelOwnChange says why the kernel changed a socket's state without a
// call or a segment.
func kernelOwnChange(side fsm.Side, from, to fsm.State) string {
	switch {
	case from == fsm.TimeWait && to == fsm.Closed:
		return fmt.Sprintf("The kernel ended the %s's TIME-WAIT: after 60 s (Linux's TCP_TIMEWAIT_LEN, fixed; RFC 9293 §3.10.8 asks 2·MSL) the socket is gone and its port is free.", side)
	case from == fsm.FinWait2 && to == fsm.Closed:
		return fmt.Sprintf("The kernel dropped the %s's FIN-WAIT-2 socket: an orphaned socket (closed by its application) waits only tcp_fin_timeout (60 s) for the peer's FIN.", side)
	}
	return fmt.Sprintf("The kernel moved the %s from %s to %s on its own.", side, from, to)
}

// infoText is the tcp_info figures of both sockets, for the steps where
// they say something (after data moved).
func infoText(info [2]kernel.Info) string {
	var parts []string
	for _, side := range []fsm.Side{fsm.Client, fsm.Server} {
		in := info[side]
		if in.Cwnd == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s srtt %v, cwnd %d, %d retransmitted", side,
			in.RTT.Round(time.Microsecond), in.Cwnd, in.TotalRetrans))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Kernel tcp_info: " + strings.Join(parts, "; ") + "."
}
