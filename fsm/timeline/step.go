package timeline

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
)

// Event is the kind of a step.
type Event uint8

// The events of the timeline spec.
const (
	Init    Event = iota // the starting states
	App                  // a socket call by one endpoint's application
	Send                 // a segment leaves its sender (simulation, echo session)
	Arrive               // a segment reaches its receiver
	Drop                 // the link lost a segment
	Timer                // a timer fired, or (captures) a state change inferred from elapsed time
	Observe              // a segment seen in a capture ("segment" in JSON)
)

var eventNames = [...]string{"init", "app", "send", "arrive", "drop", "timer", "segment"}

// String returns the event's name as the JSON spec spells it.
func (e Event) String() string {
	if int(e) < len(eventNames) {
		return eventNames[e]
	}
	return fmt.Sprintf("Event(%d)", uint8(e))
}

// HasSegment reports whether steps of this event carry a segment.
func (e Event) HasSegment() bool { return e == Send || e == Arrive || e == Drop || e == Observe }

// Analysis flags what a capture tracker noticed about a segment, as
// Wireshark's tcp.analysis does.
type Analysis uint8

// Analysis flags.
const (
	Retransmission Analysis = 1 << iota // repeats sequence space already sent
	OutOfOrder                          // arrives below the highest sequence seen, not a retransmission
	LostSegment                         // a gap: sequence space skipped that was never seen
	DupAck                              // acknowledges nothing new, carries nothing
	ZeroWindow                          // advertises a zero window
	Duplicate                           // an exact copy of an earlier segment (the link duplicated it)
)

// Step is one event in a connection's history and the states it left.
// Every source fills the common fields; the rest say which source fills
// them, and are zero (or nil) elsewhere.
type Step struct {
	T     time.Duration // since the timeline began: virtual or capture time
	Event Event

	// Segment events (Send, Arrive, Drop, Observe).
	Dir      fsm.Dir
	Seg      fsm.Segment
	Analysis Analysis // captures and the echo session: what the tracker noticed; simulation: its retransmissions
	SegID    int      // simulation only: a segment's identity, shared by its send, arrive and drop steps

	// App and Timer events: whose call or timer it was.
	Actor fsm.Side
	Call  string // App: the socket call, e.g. `client.send("hello")`

	// After the step.
	States [2]fsm.State  // indexed by fsm.Side
	Why    [2]fsm.Reason // why each side's state or variables changed here; ReasonNone if they did not
	TCB    [2]fsm.TCB    // each side's variables; zero where unknown (captures)
	HasTCB bool

	// Truth is the kernel's and the simulator's states: the echo session
	// (and the kernel lab); nil elsewhere.
	Truth *Truth
	// Facts are what the source knows beyond the fields above, for the
	// narration: the echo session's calls and disagreements, the
	// simulator's failed calls. fsm/narrate words them.
	Facts []Fact
}

// Agree reports whether the kernel's, the observed and the predicted states
// all agree (echo session).
func (s *Step) Agree() bool { return s.Truth.Agree(s.States) }

// HasKernel reports whether the kernel was asked after the step.
func (s *Step) HasKernel() bool { return s.Truth != nil && s.Truth.HasKernel }

// CallWithoutSide is the step's call as its own endpoint's panel shows it:
// `client.send("hello")` is `send("hello")`.
func (s *Step) CallWithoutSide() string {
	if i := strings.IndexByte(s.Call, '.'); i > 0 && i < strings.IndexByte(s.Call+"(", '(') {
		return s.Call[i+1:]
	}
	return s.Call
}

// Conn names a connection by its two endpoints.
type Conn struct {
	Client, Server netip.AddrPort
}

// String is "CLIENT-SERVER", IPv6 as [addr]:port.
func (c Conn) String() string { return c.Client.String() + "-" + c.Server.String() }

// Timeline is one connection's history.
type Timeline struct {
	Source string // what produced it: "scenario echo", a file name, "lo"
	Conn   Conn

	// The initial sequence numbers, for relative numbering; HasISN is false
	// for a side whose SYN was not seen.
	ISN    [2]fsm.Seq
	HasISN [2]bool

	MidStream bool // a capture joined after the handshake

	Steps []Step
}

// Len returns the number of steps.
func (t *Timeline) Len() int { return len(t.Steps) }

// Prev returns the states before step i (the Init states for step 0).
func (t *Timeline) Prev(i int) [2]fsm.State {
	if i <= 0 {
		return t.Steps[0].States
	}
	return t.Steps[i-1].States
}

// RelSeq returns the step's sequence number relative to its sender's ISN,
// as Wireshark shows it; ok is false where that ISN was not seen.
func (t *Timeline) RelSeq(s *Step) (rel uint32, ok bool) {
	from := s.Dir.From()
	if !t.HasISN[from] {
		return 0, false
	}
	return s.Seg.Seq.Sub(t.ISN[from]), true
}

// RelAck returns the step's acknowledgment number relative to the
// receiver's ISN; 0 when the ACK flag is clear (as on a first SYN), and ok
// false where that ISN was not seen.
func (t *Timeline) RelAck(s *Step) (rel uint32, ok bool) {
	if !s.Seg.Flags.Has(fsm.ACK) {
		return 0, t.HasISN[s.Dir.From()]
	}
	to := s.Dir.To()
	if !t.HasISN[to] {
		return 0, false
	}
	return s.Seg.Ack.Sub(t.ISN[to]), true
}
