package sim

import (
	"fmt"
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
				Detail: "The call fails: " + err.Error() + "."}
			s.emit(step)
			return true, nil
		}
		return true, fmt.Errorf("scripted call %d (%s) at %v: %w", s.st.pc, a, s.st.now, err)
	}
	return true, nil
}

// LinkFault is a fault a scenario applies to a segment chosen by its
// direction and flags: the Nth segment (from 1) in Dir whose flags are
// exactly Flags.
type LinkFault struct {
	Dir   fsm.Dir
	Flags fsm.Flags
	Nth   int
	Fault timeline.Fault
}

// String says it in words, e.g. "drop the client's 1st SYN".
func (f LinkFault) String() string {
	suffix := "th"
	switch {
	case f.Nth%100 >= 11 && f.Nth%100 <= 13:
	case f.Nth%10 == 1:
		suffix = "st"
	case f.Nth%10 == 2:
		suffix = "nd"
	case f.Nth%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%s the %s's %d%s %s", f.Fault, f.Dir.From(), f.Nth, suffix, f.Flags)
}

// applyScriptedFaults marks a flight with the faults the scenario sets for it.
func (s *Sim) applyScriptedFaults(f *flight) {
	for i, lf := range s.faults {
		if lf.Dir != f.dir || lf.Flags != f.seg.Flags {
			continue
		}
		s.st.matched[i]++
		if s.st.matched[i] == lf.Nth {
			s.applyFault(f, lf.Fault)
		}
	}
}

// applyFault marks a flight with a fault. A held-back segment arrives Hold
// later, so segments sent after it can overtake it.
func (s *Sim) applyFault(f *flight, fault timeline.Fault) {
	switch fault {
	case timeline.FaultDrop:
		f.drop = true
	case timeline.FaultDuplicate:
		f.dup = true
	case timeline.FaultDelay:
		f.at += s.cfg.Hold
		f.held = true
	}
}
