package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// World is what a script's conditions look at: the simulator, or two real
// kernels joined by tcpviz's wire (capture/lab).
type World interface {
	State(side fsm.Side) fsm.State
	Readable(side fsm.Side) bool     // side has received data its application has not read
	PeerFinished(side fsm.Side) bool // side has received its peer's FIN
	Quiet() bool                     // no segment is on the link or waiting to be sent
	SinceLastCall() time.Duration    // since the previous scripted call ran (since time 0 for the first)
}

// simWorld is the simulator as a World.
type simWorld struct{ s *Sim }

func (w simWorld) State(side fsm.Side) fsm.State   { return w.s.st.eps[side].State() }
func (w simWorld) Readable(side fsm.Side) bool     { return w.s.st.eps[side].Readable() > 0 }
func (w simWorld) PeerFinished(side fsm.Side) bool { return w.s.st.eps[side].PeerFinished() }
func (w simWorld) Quiet() bool                     { return w.s.Quiet() }
func (w simWorld) SinceLastCall() time.Duration    { return w.s.st.now - w.s.st.lastAct }

// Cond is what a scripted call waits for. Make one with Now, InState,
// Readable, PeerFinished, Quiet, After or All.
type Cond interface {
	// Met reports whether the condition holds now in w.
	Met(w World) bool
	// wake returns when the condition will come true by the clock alone.
	wake(s *Sim) (time.Duration, bool)
	// String says it in words, e.g. "the server is ESTABLISHED".
	String() string
}

type nowCond struct{}

func (nowCond) Met(World) bool                  { return true }
func (nowCond) wake(*Sim) (time.Duration, bool) { return 0, false }
func (nowCond) String() string                  { return "at once" }

// Now is the condition that always holds: the call runs as soon as the one
// before it has.
func Now() Cond { return nowCond{} }

type stateCond struct {
	side  fsm.Side
	state fsm.State
}

func (c stateCond) Met(w World) bool                { return w.State(c.side) == c.state }
func (c stateCond) wake(*Sim) (time.Duration, bool) { return 0, false }
func (c stateCond) String() string                  { return fmt.Sprintf("the %s is %s", c.side, c.state) }

// InState holds while side's endpoint is in state st.
func InState(side fsm.Side, st fsm.State) Cond { return stateCond{side, st} }

type readableCond struct{ side fsm.Side }

func (c readableCond) Met(w World) bool                { return w.Readable(c.side) }
func (c readableCond) wake(*Sim) (time.Duration, bool) { return 0, false }
func (c readableCond) String() string                  { return fmt.Sprintf("the %s has data to read", c.side) }

// Readable holds while side has received data its application has not read.
func Readable(side fsm.Side) Cond { return readableCond{side} }

type finishedCond struct{ side fsm.Side }

func (c finishedCond) Met(w World) bool                { return w.PeerFinished(c.side) }
func (c finishedCond) wake(*Sim) (time.Duration, bool) { return 0, false }
func (c finishedCond) String() string {
	return fmt.Sprintf("the %s has received the %s's FIN", c.side, c.side.Peer())
}

// PeerFinished holds once side has received its peer's FIN (recv() would
// return end of file).
func PeerFinished(side fsm.Side) Cond { return finishedCond{side} }

type quietCond struct{}

func (quietCond) Met(w World) bool                { return w.Quiet() }
func (quietCond) wake(*Sim) (time.Duration, bool) { return 0, false }
func (quietCond) String() string                  { return "nothing is in flight" }

// Quiet holds when no segment is on the link or waiting to be sent.
func Quiet() Cond { return quietCond{} }

type afterCond struct{ d time.Duration }

func (c afterCond) Met(w World) bool { return w.SinceLastCall() >= c.d }
func (c afterCond) wake(s *Sim) (time.Duration, bool) {
	return s.st.lastAct + c.d, true
}
func (c afterCond) String() string { return fmt.Sprintf("%v after the previous call", c.d) }

// After holds once d of virtual time has passed since the previous
// scripted call ran (since time 0 for the first).
func After(d time.Duration) Cond { return afterCond{d} }

type allCond []Cond

func (c allCond) Met(w World) bool {
	for _, x := range c {
		if !x.Met(w) {
			return false
		}
	}
	return true
}

// wake is the latest wake-up of the timed parts, when every untimed part
// already holds.
func (c allCond) wake(s *Sim) (time.Duration, bool) {
	var w time.Duration
	found := false
	for _, x := range c {
		if t, ok := x.wake(s); ok {
			w, found = max(w, t), true
		} else if !x.Met(simWorld{s}) {
			return 0, false
		}
	}
	return w, found
}

func (c allCond) String() string {
	parts := make([]string, len(c))
	for i, x := range c {
		parts[i] = x.String()
	}
	return strings.Join(parts, " and ")
}

// All holds when every one of cs holds.
func All(cs ...Cond) Cond { return allCond(cs) }

// Action is one line of a scenario's script: when When holds, Side makes
// Call. A script's actions run strictly in order; each waits for its own
// condition after the one before it has run.
type Action struct {
	When Cond // nil: at once
	Side fsm.Side
	Call Call
}

// Cond returns the action's condition: Now when When is nil.
func (a Action) Cond() Cond { return a.when() }

func (a Action) when() Cond {
	if a.When == nil {
		return nowCond{}
	}
	return a.When
}

// String is the line as a person would write it, e.g. "when the server is
// ESTABLISHED: server.accept()".
func (a Action) String() string {
	call := a.Side.String() + "." + a.Call.String()
	if a.When == nil {
		return call
	}
	if _, ok := a.When.(nowCond); ok {
		return call
	}
	if c, ok := a.When.(afterCond); ok {
		return fmt.Sprintf("after %v: %s", c.d, call)
	}
	return "when " + a.When.String() + ": " + call
}

// runScript runs the next scripted call if its condition holds.
func (s *Sim) runScript() (bool, error) {
	if s.st.pc >= len(s.script) {
		return false, nil
	}
	a := s.script[s.st.pc]
	if !a.when().Met(simWorld{s}) {
		return false, nil
	}
	s.st.pc++
	s.st.lastAct = s.st.now
	if err := s.call(a.Side, a.Call); err != nil {
		if s.lenient {
			step := timeline.Step{Event: timeline.App, Actor: a.Side, Call: a.Call.Label(a.Side, nil),
				Facts: []timeline.Fact{{Kind: timeline.FactCallFailed, Text: err.Error()}}}
			s.emit(step)
			return true, nil
		}
		return true, fmt.Errorf("scripted call %d (%s) at %v: %w", s.st.pc, a, s.st.now, err)
	}
	return true, nil
}

// Fault is what a scenario's link does to a chosen segment: the three
// faults a user can inject (timeline.Fault) and reordering.
type Fault uint8

// The faults of a scenario's link.
const (
	Drop            = Fault(timeline.FaultDrop)      // the link loses it
	Duplicate       = Fault(timeline.FaultDuplicate) // the link delivers it twice, DupGap apart
	Delay           = Fault(timeline.FaultDelay)     // the link holds it back: Hold, or the fault's own
	Reorder   Fault = 3                              // it arrives just after the next segment sent the same way
)

// reorderMax is how long a reordered segment waits for a segment to
// overtake it before it goes anyway.
const reorderMax = 200 * time.Millisecond

// String names the fault, e.g. "drop".
func (f Fault) String() string {
	if f == Reorder {
		return "reorder"
	}
	return timeline.Fault(f).String()
}

// Match chooses segments by direction and kind.
//
// By flags, as people name segments: SYN, ACK and the others must be
// exactly those named, except that a FIN or a RST may carry ACK unnamed
// ("the client's FIN" is FIN,ACK on the wire) and PSH counts only when
// named; a match naming none of SYN, FIN and RST (an "ACK") takes only
// segments without data.
type Match struct {
	Either bool      // either direction (else Dir)
	Dir    fsm.Dir   // the direction, unless Either
	Any    bool      // any segment
	Data   bool      // any segment that carries data
	Flags  fsm.Flags // unless Any or Data: the flags, as above
}

// fits reports whether a segment sent in dir matches.
func (m Match) fits(dir fsm.Dir, seg fsm.Segment) bool {
	if !m.Either && dir != m.Dir {
		return false
	}
	switch {
	case m.Any:
		return true
	case m.Data:
		return seg.Len > 0
	}
	const exact = fsm.SYN | fsm.ACK | fsm.FIN | fsm.RST
	mask := exact
	if m.Flags&(fsm.FIN|fsm.RST) != 0 && m.Flags&fsm.ACK == 0 {
		mask &^= fsm.ACK
	}
	if seg.Flags&mask != m.Flags&mask || !seg.Flags.Has(m.Flags) {
		return false
	}
	return m.Flags&(fsm.SYN|fsm.FIN|fsm.RST) != 0 || seg.Len == 0
}

// String says it in words, e.g. "the client's SYN,ACK" or "segment".
func (m Match) String() string {
	what := m.Flags.String()
	switch {
	case m.Any:
		what = "segment"
	case m.Data:
		what = "data segment"
	}
	if m.Either {
		return what
	}
	return "the " + m.Dir.From().String() + "'s " + what
}

// LinkFault is a fault a scenario applies to the Nth segment (from 1) that
// Match chooses, counting retransmissions.
type LinkFault struct {
	Match Match
	Nth   int
	Fault Fault
	Hold  time.Duration // Delay: how long; 0 = Config.Hold
}

// String says it in words, e.g. "drop the client's 1st SYN".
func (f LinkFault) String() string {
	what := f.Match.String() // "the client's SYN" or "SYN"
	ord := ordinalString(f.Nth) + " "
	if f.Match.Either {
		what = "the " + ord + what
	} else {
		what = strings.Replace(what, "'s ", "'s "+ord, 1)
	}
	out := f.Fault.String() + " " + what
	if f.Fault == Delay && f.Hold > 0 {
		out += " by " + f.Hold.String()
	}
	return out
}

// ordinalString writes n as 1st, 2nd, 3rd, 4th, … 11th, 12th, … 21st.
func ordinalString(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// applyScriptedFaults marks a flight with the faults the scenario sets for
// it, and the run's random loss.
func (s *Sim) applyScriptedFaults(f *flight) {
	for i, lf := range s.faults {
		if !lf.Match.fits(f.dir, f.seg) {
			continue
		}
		s.st.matched[i]++
		if s.st.matched[i] == lf.Nth {
			s.applyFault(f, lf.Fault, lf.Hold)
		}
	}
	if s.cfg.Loss > 0 && lost(s.cfg.Seed, f.order, s.cfg.Loss) {
		f.drop = true
	}
}

// lost decides, the same way on every run, whether the link loses the
// segment that entered it in position order: splitmix64 of the seed and
// the position, as a fraction of 1, below p.
func lost(seed, order uint64, p float64) bool {
	z := seed + order*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11)/(1<<53) < p
}

// applyFault marks a flight with a fault. A held-back segment arrives hold
// (Config.Hold if 0) later, so segments sent after it can overtake it; a
// reordered one waits for the next segment the same way (see send).
func (s *Sim) applyFault(f *flight, fault Fault, hold time.Duration) {
	switch fault {
	case Drop:
		f.drop = true
	case Duplicate:
		f.dup = true
	case Delay:
		if hold == 0 {
			hold = s.cfg.Hold
		}
		f.at += hold
		f.held = true
	case Reorder:
		f.at = f.sent + reorderMax
		f.held, f.waiting = true, true
	}
}

// overtake lets a segment just sent in dir pass every reordered one
// waiting on the link the same way: they now arrive just after it.
func (s *Sim) overtake(dir fsm.Dir, at time.Duration) {
	for i := 0; i < len(s.st.queue); i++ {
		f := s.st.queue[i]
		if !f.waiting || f.dir != dir {
			continue
		}
		s.st.queue = slices.Delete(s.st.queue, i, i+1)
		f.waiting, f.at = false, at+s.cfg.DupGap
		s.enqueue(f)
		i = -1 // the queue changed: look again from the start
	}
}
