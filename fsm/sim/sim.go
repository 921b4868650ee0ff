package sim

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Config sets up a simulation: the two endpoints' addresses and parameters
// and the link between them.
type Config struct {
	Client, Server netip.AddrPort
	Endpoint       [2]fsm.Config // indexed by fsm.Side
	Delay          time.Duration // one-way delay of the link
	Hold           time.Duration // extra delay of a segment the link holds back (FaultDelay)
	DupGap         time.Duration // how long after the original a duplicate arrives
	Source         string        // the timeline's Source, e.g. "scenario echo"
	Variant        string        // said after a scenario's name when not the default, e.g. "RFC 9293 as written"
	Loss           float64       // the chance the link loses any one segment, 0 to 1
	Seed           uint64        // chooses which segments Loss takes, the same on every run
}

// DefaultConfig returns the simulation tcpviz shows by default: client
// 127.0.0.1:49152 (ISS 1000), server 127.0.0.1:8000 (ISS 5000), Linux-like
// endpoints (fsm.DefaultConfig) and a 10 ms link.
func DefaultConfig() Config {
	return Config{
		Client:   netip.MustParseAddrPort("127.0.0.1:49152"),
		Server:   netip.MustParseAddrPort("127.0.0.1:8000"),
		Endpoint: [2]fsm.Config{fsm.DefaultConfig(1000), fsm.DefaultConfig(5000)},
		Delay:    10 * time.Millisecond,
		Hold:     25 * time.Millisecond,
		DupGap:   time.Millisecond,
		Source:   "simulation",
	}
}

// RFCConfig is DefaultConfig with endpoints that follow the letter of
// RFC 9293 where Linux differs (fsm.RFCConfig): close() with unread data
// sends FIN, data after close() is accepted, the sequence checks are
// §3.10.7.4's.
func RFCConfig() Config {
	c := DefaultConfig()
	c.Endpoint = [2]fsm.Config{fsm.RFCConfig(1000), fsm.RFCConfig(5000)}
	c.Variant = "RFC 9293 as written"
	return c
}

// Errors of the simulator.
var (
	ErrNotInFlight = errors.New("segment is not in flight at that step")
	ErrStep        = errors.New("no such step")
	ErrRunaway     = errors.New("simulation did not finish")
	ErrStalled     = errors.New("scripted call never ran")
)

// errNotConnected is shutdown()'s ENOTCONN.
var errNotConnected = errors.New("the socket is not connected (ENOTCONN)")

// Limits that stop a runaway simulation (a script that keeps a connection
// busy for ever): no scenario comes near them. A scripted run (RunAll)
// stops sooner, at runVirtual or runSteps: the longest built-in scenario
// takes two minutes and a few hundred steps.
const (
	maxSteps   = 1 << 22
	maxVirtual = 24 * time.Hour
	runVirtual = 10 * time.Minute
	runSteps   = 100_000
	recvMax    = 1 << 20
)

// flight is a segment on the link.
type flight struct {
	id    int
	dir   fsm.Dir
	seg   fsm.Segment
	sent  time.Duration
	at    time.Duration // when it arrives (or is dropped)
	order uint64        // ties at equal times: the order segments entered the link
	drop  bool          // the link loses it at `at`
	dup   bool          // the link delivers a second copy DupGap later
	copy  bool          // this is that second copy
	retx  bool          // a retransmission: its arrival or drop is marked too
	held  bool          // the link held it back (FaultDelay)
	// waiting: reordered, it waits for the next segment the same way to
	// overtake it (or until at).
	waiting bool
}

// pend is a step already decided, waiting to be written: the segments an
// event produced, and the further results of a timer tick.
type pend struct {
	timer bool // a timer result (res) rather than a segment to send (seg)
	side  fsm.Side
	seg   fsm.Segment
	res   fsm.Result
}

// state is everything that changes as the simulation runs. A copy of it
// (with the endpoints cloned) after every step is that step's snapshot.
type state struct {
	now      time.Duration
	eps      [2]*fsm.Endpoint
	queue    []flight // sorted by (at, order)
	pending  []pend   // FIFO
	nextID   int
	order    uint64
	pc       int           // the next scripted action
	lastAct  time.Duration // when the previous scripted action ran
	got      [2][]byte     // what each application last received
	sndMax   [2]fsm.Seq    // highest sequence number each side has sent, for retransmissions
	sentAny  [2]bool
	synFlags [2]fsm.Flags // the flags of each side's last SYN
	matched  []int        // per scripted fault: segments seen so far that fit its pattern
	rdShut   [2]bool      // the application shut its reading side (SHUT_RD)
	linger0  [2]bool      // SO_LINGER 0 is set: close() aborts
}

func (st *state) clone() state {
	c := *st
	c.eps = [2]*fsm.Endpoint{st.eps[0].Clone(), st.eps[1].Clone()}
	c.queue = slices.Clone(st.queue)
	c.pending = slices.Clone(st.pending)
	c.matched = slices.Clone(st.matched)
	return c
}

// Sim is a simulation of two endpoints over a link. It is not safe for
// concurrent use.
//
// Call order: New (or Play for a scripted scenario); then, for an
// interactive simulation, any sequence of Do, Settle, Advance and AdvanceTo;
// Timeline, States, InFlight and Inject at any time. Do appends the call's
// step and the segments it sends at the current virtual time; Settle and
// Advance move the clock and deliver segments and fire timers.
type Sim struct {
	cfg    Config
	st     state
	tl     *timeline.Timeline
	snaps  []state // snaps[i]: the state after step i
	script []Action
	faults []LinkFault

	// lenient: a scripted call that fails is written as a failed call and
	// the script goes on; a script left waiting is not an error. Set once a
	// scenario has run cleanly, so that injected faults may break it.
	lenient bool
}

// New returns an interactive simulation with both endpoints CLOSED at
// virtual time 0. Its timeline starts with the Init step.
func New(cfg Config) *Sim {
	s := newSim(cfg, nil, nil)
	s.init(nil)
	return s
}

func newSim(cfg Config, script []Action, faults []LinkFault) *Sim {
	s := &Sim{cfg: cfg, script: script, faults: faults}
	s.st.eps = [2]*fsm.Endpoint{fsm.NewEndpoint(cfg.Endpoint[fsm.Client]), fsm.NewEndpoint(cfg.Endpoint[fsm.Server])}
	s.st.matched = make([]int, len(faults))
	s.tl = &timeline.Timeline{Source: cfg.Source, Conn: timeline.Conn{Client: cfg.Client, Server: cfg.Server}}
	return s
}

// init writes the Init step; facts say what was done before it.
func (s *Sim) init(facts []timeline.Fact) {
	s.emit(timeline.Step{Event: timeline.Init, Facts: facts})
}

// Timeline returns the timeline so far. The Sim appends to it; Inject
// replaces it.
func (s *Sim) Timeline() *timeline.Timeline { return s.tl }

// States returns both endpoints' current states, indexed by fsm.Side.
func (s *Sim) States() [2]fsm.State {
	return [2]fsm.State{s.st.eps[fsm.Client].State(), s.st.eps[fsm.Server].State()}
}

// Now returns the current virtual time.
func (s *Sim) Now() time.Duration { return s.st.now }

// Endpoint returns one side's endpoint, for reading (State, TCB, Readable).
// Changing it directly bypasses the timeline.
func (s *Sim) Endpoint(side fsm.Side) *fsm.Endpoint { return s.st.eps[side] }

// Quiet reports whether no segment is in flight or waiting to be sent.
func (s *Sim) Quiet() bool { return len(s.st.queue) == 0 && len(s.st.pending) == 0 }

// Do makes one socket call on side's endpoint at the current virtual time
// and writes its App step; the segments it sends follow as Send steps. A
// call the endpoint refuses in its state returns the endpoint's error (e.g.
// fsm.ErrConnectionExists) and writes nothing.
func (s *Sim) Do(side fsm.Side, call Call) error {
	if err := s.call(side, call); err != nil {
		return err
	}
	s.drain()
	return nil
}

// Settle delivers every segment in flight, and whatever they cause, until
// the link is empty, for at most maxVirtual of virtual time. Timers fire
// only while segments are still in flight and due no later than the next
// arrival: long timers (TIME-WAIT, FIN-WAIT-2, a retransmission on an empty
// link) wait for Advance.
func (s *Sim) Settle(maxVirtual time.Duration) {
	limit := s.st.now + maxVirtual
	for n := 0; n < maxSteps; n++ {
		if s.drainOne() || s.runReady() {
			continue
		}
		if len(s.st.queue) == 0 {
			return
		}
		k, side, at := s.next()
		if at > limit {
			return
		}
		s.fire(k, side, at)
	}
}

// AdvanceTo runs every event up to virtual time t (timers included) and
// leaves the clock at t. A t in the past does nothing.
func (s *Sim) AdvanceTo(t time.Duration) {
	for n := 0; n < maxSteps; n++ {
		if s.drainOne() || s.runReady() {
			continue
		}
		k, side, at := s.next()
		if k == evNone || at > t {
			break
		}
		s.fire(k, side, at)
	}
	if t > s.st.now {
		s.st.now = t
	}
}

// Advance runs every event in the next d of virtual time.
func (s *Sim) Advance(d time.Duration) { s.AdvanceTo(s.st.now + d) }

// RunAll runs until nothing is left to happen: no segment in flight, no
// timer armed, no scripted call waiting for a condition that can still
// come true. It returns ErrRunaway past the simulator's limits and an
// error naming the call if a scripted call fails or never gets to run.
func (s *Sim) RunAll() error {
	for n := 0; n < runSteps; n++ {
		if s.drainOne() {
			continue
		}
		ran, err := s.runScript()
		if err != nil {
			return err
		}
		if ran {
			continue
		}
		k, side, at := s.next()
		if k == evNone {
			if s.st.pc < len(s.script) && !s.lenient {
				a := s.script[s.st.pc]
				return fmt.Errorf("%w: call %d (%s): nothing left to happen", ErrStalled, s.st.pc+1, a)
			}
			return nil
		}
		if at > runVirtual {
			return fmt.Errorf("%w: still busy after %v of virtual time%s", ErrRunaway, runVirtual, s.waitingFor())
		}
		s.fire(k, side, at)
	}
	return fmt.Errorf("%w: more than %d steps%s", ErrRunaway, runSteps, s.waitingFor())
}

// waitingFor names the scripted call still waiting, if any, for an error.
func (s *Sim) waitingFor() string {
	if s.st.pc >= len(s.script) {
		return ""
	}
	return fmt.Sprintf(", call %d (%s) still waiting", s.st.pc+1, s.script[s.st.pc])
}

// evKind is what happens next on the clock.
type evKind uint8

const (
	evNone   evKind = iota
	evArrive        // the head of the queue reaches its receiver (or is dropped)
	evTimer         // an endpoint's deadline
	evWake          // a scripted call's After condition comes due
)

// next returns the earliest timed event. At equal times arrivals come
// first, then the client's timer, the server's, and a scripted wake-up.
func (s *Sim) next() (k evKind, side fsm.Side, at time.Duration) {
	if len(s.st.queue) > 0 {
		k, at = evArrive, s.st.queue[0].at
	}
	for _, sd := range [...]fsm.Side{fsm.Client, fsm.Server} {
		d, ok := s.st.eps[sd].NextDeadline()
		if !ok {
			continue
		}
		d = max(d, s.st.now)
		if k == evNone || d < at {
			k, side, at = evTimer, sd, d
		}
	}
	if s.st.pc < len(s.script) {
		if w, ok := s.script[s.st.pc].when().wake(s); ok {
			w = max(w, s.st.now)
			if k == evNone || w < at {
				k, at = evWake, w
			}
		}
	}
	return k, side, at
}

// fire moves the clock to at and runs the event.
func (s *Sim) fire(k evKind, side fsm.Side, at time.Duration) {
	s.st.now = max(s.st.now, at)
	switch k {
	case evArrive:
		s.arrive()
	case evTimer:
		s.tick(side)
	case evWake:
		// The clock has moved; the scripted call runs on the next turn.
	}
}

// drain writes every pending step.
func (s *Sim) drain() {
	for s.drainOne() {
	}
}

// drainOne writes the next pending step, if any.
func (s *Sim) drainOne() bool {
	if len(s.st.pending) == 0 {
		return false
	}
	p := s.st.pending[0]
	s.st.pending = s.st.pending[1:]
	if p.timer {
		s.timerStep(p.side, p.res)
	} else {
		s.send(p.side, p.seg)
	}
	return true
}

// runReady runs the next scripted call if its condition holds, ignoring a
// failure (interactive use; RunAll reports them).
func (s *Sim) runReady() bool {
	ran, _ := s.runScript()
	return ran
}

// queueOut schedules the segments of a result, before anything pending.
func (s *Sim) queueOut(side fsm.Side, segs []fsm.Segment) {
	if len(segs) == 0 {
		return
	}
	add := make([]pend, len(segs))
	for i, seg := range segs {
		add[i] = pend{side: side, seg: seg}
	}
	s.st.pending = append(add, s.st.pending...)
}

// call runs a socket call and writes its App step.
func (s *Sim) call(side fsm.Side, c Call) error {
	ep, now := s.st.eps[side], s.st.now
	var (
		res   fsm.Result
		err   error
		data  []byte
		facts []timeline.Fact
	)
	switch c.Op {
	case OpListen:
		res, err = ep.Listen(now)
	case OpConnect:
		res, err = ep.Connect(now)
	case OpAccept:
		st := ep.State()
		if !st.Synchronized() {
			return fmt.Errorf("accept: no established connection (the %s is %s)", side, st)
		}
		res = fsm.Result{From: st, To: st, Reason: fsm.AppAccept}
	case OpSend:
		res, err = ep.Send(now, c.Data)
	case OpEcho:
		data = upper(s.st.got[side])
		res, err = ep.Send(now, data)
	case OpRecv:
		data, res, err = ep.Receive(now, cmp.Or(c.Max, recvMax))
		if err == nil && len(data) > 0 {
			s.st.got[side] = data
		}
		switch {
		case errors.Is(err, fsm.ErrConnectionClosing) && ep.PeerFinished():
			// The socket API's end of file: recv() returns 0 once the
			// peer's FIN has arrived and everything before it is read.
			err = nil
			facts = []timeline.Fact{{Kind: timeline.FactRecvEOF, Side: side}}
		case s.st.rdShut[side] && len(data) == 0 && (err == nil || errors.Is(err, fsm.ErrConnectionClosing)):
			err = nil
			facts = []timeline.Fact{{Kind: timeline.FactRecvShutRD, Side: side}}
		}
	case OpShutdownRead:
		// Linux tcp_shutdown acts only on SEND_SHUTDOWN: SHUT_RD sends
		// nothing and changes no state; recv() stops waiting.
		if st := ep.State(); st == fsm.Closed || st == fsm.Listen {
			return fmt.Errorf("%s: %w", c.Label(side, nil), errNotConnected)
		}
		res = fsm.Result{From: ep.State(), To: ep.State()}
		s.st.rdShut[side] = true
		facts = []timeline.Fact{{Kind: timeline.FactShutRD, Side: side}}
	case OpLinger0:
		res = fsm.Result{From: ep.State(), To: ep.State()}
		s.st.linger0[side] = true
		facts = []timeline.Fact{{Kind: timeline.FactLinger0, Side: side}}
	case OpShutdown:
		res, err = ep.Shutdown(now)
	case OpClose:
		if s.st.linger0[side] {
			res, err = ep.Abort(now) // Linux tcp_close: SO_LINGER 0 disconnects with a RST
		} else {
			res, err = ep.Close(now)
		}
	case OpAbort:
		res, err = ep.Abort(now)
	case OpRestart:
		res = ep.Restart()
		s.st.sentAny[side], s.st.synFlags[side] = false, 0
		s.st.rdShut[side], s.st.linger0[side] = false, false
	default:
		return fmt.Errorf("unknown call %v", c.Op)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", c.Label(side, data), err)
	}
	step := timeline.Step{Event: timeline.App, Actor: side, Call: c.Label(side, data), Facts: facts}
	step.Why[side] = res.Reason
	s.emit(step)
	s.queueOut(side, res.Out)
	return nil
}

// send puts a segment on the link and writes its Send step.
func (s *Sim) send(side fsm.Side, seg fsm.Segment) {
	s.st.nextID++
	s.st.order++
	dir := fsm.DirFrom(side)
	f := flight{id: s.st.nextID, dir: dir, seg: seg, sent: s.st.now, at: s.st.now + s.cfg.Delay, order: s.st.order}
	step := timeline.Step{Event: timeline.Send, Dir: dir, Seg: seg, SegID: f.id}

	// A segment that repeats sequence space this side has already sent is
	// a retransmission, as Wireshark judges it; but the SYN,ACK of a
	// simultaneous open repeats its SYN's sequence number and is new.
	if n := seg.SegLen(); n > 0 {
		synAck := seg.Flags.Has(fsm.SYN|fsm.ACK) && s.st.synFlags[side] == fsm.SYN
		if seg.Flags.Has(fsm.SYN) {
			s.st.synFlags[side] = seg.Flags
		}
		if s.st.sentAny[side] && seg.Seq.LessThan(s.st.sndMax[side]) && !synAck {
			step.Analysis |= timeline.Retransmission
		}
		if !s.st.sentAny[side] || s.st.sndMax[side].LessThan(seg.End()) {
			s.st.sndMax[side], s.st.sentAny[side] = seg.End(), true
		}
	}
	if seg.Flags.Has(fsm.SYN) && !s.tl.HasISN[side] {
		s.tl.ISN[side], s.tl.HasISN[side] = seg.Seq, true
	}
	f.retx = step.Analysis&timeline.Retransmission != 0
	s.overtake(dir, f.at)
	s.applyScriptedFaults(&f)
	s.enqueue(f)
	s.emit(step)
}

// enqueue inserts a flight in (at, order) order.
func (s *Sim) enqueue(f flight) {
	i, _ := slices.BinarySearchFunc(s.st.queue, f, func(a, b flight) int {
		if a.at != b.at {
			if a.at < b.at {
				return -1
			}
			return 1
		}
		if a.order < b.order {
			return -1
		} else if a.order > b.order {
			return 1
		}
		return 0
	})
	s.st.queue = slices.Insert(s.st.queue, i, f)
}

// arrive delivers (or drops) the segment at the head of the queue.
func (s *Sim) arrive() {
	f := s.st.queue[0]
	s.st.queue = slices.Delete(s.st.queue, 0, 1)
	from, to := f.dir.From(), f.dir.To()
	step := timeline.Step{Dir: f.dir, Seg: f.seg, SegID: f.id}
	if f.retx {
		step.Analysis |= timeline.Retransmission
	}
	if f.drop {
		step.Event = timeline.Drop
		step.Why[from] = fsm.LinkDrop
		s.emit(step)
		return
	}
	if f.dup {
		s.st.order++
		c := f
		c.dup, c.copy, c.at, c.order = false, true, f.at+s.cfg.DupGap, s.st.order
		s.enqueue(c)
	}
	res := s.st.eps[to].Arrive(s.st.now, f.seg)
	step.Event = timeline.Arrive
	step.Why[to] = res.Reason
	switch {
	case f.copy:
		step.Analysis |= timeline.Duplicate
		step.Why[from] = fsm.LinkDuplicate
	case f.held:
		step.Why[from] = fsm.LinkDelay
	}
	s.emit(step)
	s.queueOut(to, res.Out)
}

// tick fires side's due timers.
func (s *Sim) tick(side fsm.Side) {
	results := s.st.eps[side].Tick(s.st.now)
	if len(results) == 0 {
		// A deadline that fires nothing: make sure time moves on.
		if d, ok := s.st.eps[side].NextDeadline(); ok && d <= s.st.now {
			s.st.now++
		}
		return
	}
	add := make([]pend, len(results))
	for i, r := range results {
		add[i] = pend{timer: true, side: side, res: r}
	}
	s.st.pending = append(add, s.st.pending...)
}

// timerStep writes a timer's step; its segments follow.
func (s *Sim) timerStep(side fsm.Side, r fsm.Result) {
	step := timeline.Step{Event: timeline.Timer, Actor: side}
	step.Why[side] = r.Reason
	s.emit(step)
	s.tl.Steps[len(s.tl.Steps)-1].States[side] = r.To
	s.queueOut(side, r.Out)
}

// emit completes a step with the time, both states and both TCBs, appends
// it and takes the snapshot.
func (s *Sim) emit(step timeline.Step) {
	step.T = s.st.now
	step.HasTCB = true
	for _, sd := range [...]fsm.Side{fsm.Client, fsm.Server} {
		step.States[sd] = s.st.eps[sd].State()
		step.TCB[sd] = s.st.eps[sd].TCB()
	}
	s.tl.Steps = append(s.tl.Steps, step)
	s.snaps = append(s.snaps, s.st.clone())
}
