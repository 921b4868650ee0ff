package observe

import (
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Config sets the observer's parameters.
type Config struct {
	// TimeWait is 2·MSL: after it a TIME-WAIT side is inferred CLOSED
	// (Linux: 60 s, TCP_TIMEWAIT_LEN).
	TimeWait time.Duration

	// Listening says the server is known to be LISTENing (the echo session
	// called listen() itself). A SYN seen is then a SYN delivered to a
	// LISTEN socket, and the server is SYN-RECEIVED at once (RFC 9293
	// §3.10.7.2), as the endpoint machine and the simulator have it.
	// Without it a capture cannot tell a listener from a closed port until
	// the answer (SYN,ACK or RST) is seen, so the server stays LISTEN until then.
	Listening bool
}

// DefaultConfig returns Linux's parameters.
func DefaultConfig() Config { return Config{TimeWait: 60 * time.Second} }

// dupWindow is how close in capture time an exact copy of the previous
// segment must follow it to count as a duplicate (the link or the capture
// saw it twice) rather than a retransmission: Linux never retransmits
// sooner than 10 ms (its smallest tail-loss-probe timeout; the RTO is at
// least 200 ms).
const dupWindow = 3 * time.Millisecond

// Bits of side.bits.
const (
	bitISN         uint16 = 1 << iota // isn is known
	bitNxt                            // nxt is known (a non-RST segment was seen)
	bitAck                            // lastAck is known (an ACK was seen)
	bitWin                            // win is known
	bitFin                            // a FIN was seen; finSeq is its sequence number
	bitGap                            // [gapLo, gapHi) was skipped and not yet seen
	bitPassive                        // came to SYN-RECEIVED from LISTEN
	bitBadAck                         // received an unacceptable ACK in SYN-SENT/SYN-RECEIVED: its RST does not close it
	bitLoss                           // a repeat after the state moved on: a segment was lost past the capture point
	bitRstIgnored                     // a RST to or from it was ignored as outside the window
	bitUnverified                     // a RST was accepted without knowing RCV.NXT
	bitAfterClosed                    // it sent something after it was inferred CLOSED
	bitSynIgnored                     // a SYN with a new ISN arrived in a synchronized state
	bitFinHeld                        // its FIN came after a gap: the peer holds it until the gap is filled
	bitFinUnseen                      // its first FIN was not captured (the FIN seen resent it)
	bitMoreGaps                       // another gap opened above the remembered one
)

// side is what the observer knows of one endpoint: what it sent and what
// it acknowledged. Sequence numbers are the side's own unless named ack.
type side struct {
	deadline time.Duration // TIME-WAIT: when 2·MSL has passed
	isn      fsm.Seq       // its initial sequence number
	nxt      fsm.Seq       // the end of the highest sequence space it sent (SND.NXT as seen)
	lastAck  fsm.Seq       // the acknowledgment of its last segment (the peer's SND.UNA; DupAck)
	gap2     fsm.Seq       // with bitMoreGaps: where the next gap above [gapLo, gapHi) starts
	finSeq   fsm.Seq       // the sequence number of its FIN
	gapLo    fsm.Seq       // the sequence space it skipped and was not seen: [gapLo, gapHi)
	gapHi    fsm.Seq
	win      uint32 // the window of its last segment (its RCV.WND)
	nxtAt    uint32 // when nxt last advanced, in µs modulo 2^32 (micros)
	state    fsm.State
	bits     uint16
}

func (s *side) has(b uint16) bool { return s.bits&b != 0 }

// Observer is one connection's inference state: both sides' states and
// what the capture has shown of their sequence spaces. It is a value with no
// pointers inside; the zero value is not ready, use New.
//
// Call order: Observe for every segment of the connection in capture order,
// Expire (repeatedly, until it reports nothing) before each Observe and at the
// end of the capture. States, ISN, TCB, Done and Uncertain may be called at
// any time.
type Observer struct {
	s        [2]side
	timeWait time.Duration
	lastT    time.Duration // capture time of the previous segment
	lastSeq  fsm.Seq       // the previous segment, for Duplicate (its ACK and window are its sender's lastAck and win)
	lastLen  uint32
	lastFlg  fsm.Flags
	lastDir  fsm.Dir
	seen     bool // a segment was observed
	mid      bool // joined mid-stream
	listens  bool // Config.Listening
}

// SetListening tells the observer whether the server is now known to be
// LISTENing (see Config.Listening), for a source that opens and closes the
// listener itself while the connection's segments are being observed.
func (o *Observer) SetListening(known bool) { o.listens = known }

// Update is what one segment or one timer told the observer.
type Update struct {
	States [2]fsm.State // both sides' states after the event

	// Why holds, per side, the reason for a change of its state, or for a
	// conclusion about it that changed nothing (a retransmitted FIN, an
	// ignored RST); fsm.ReasonNone otherwise. A receive rule gives the
	// endpoint machine's reason (fsm.RcvFin, fsm.RcvRst, …), an inference
	// from what a side sent the observer's own (fsm.Obs…).
	Why [2]fsm.Reason

	// Analysis flags the segment as Wireshark's tcp.analysis would.
	Analysis timeline.Analysis
}

// New starts an observer. The client is the side that sent the first SYN;
// the caller passes directions accordingly. With midStream the connection
// was joined after the handshake: both sides start ESTABLISHED and their
// ISNs are unknown. Otherwise the client starts CLOSED and the server LISTEN
// (assumed until it answers).
func New(cfg Config, midStream bool) Observer {
	tw := cfg.TimeWait
	if tw <= 0 {
		tw = DefaultConfig().TimeWait
	}
	o := Observer{timeWait: tw, mid: midStream, listens: cfg.Listening}
	if midStream {
		o.s[fsm.Client].state = fsm.Established
		o.s[fsm.Server].state = fsm.Established
	} else {
		o.s[fsm.Client].state = fsm.Closed
		o.s[fsm.Server].state = fsm.Listen
	}
	return o
}

// Init returns the starting states as an Update, for the timeline's Init
// step: CLOSED/LISTEN, or ESTABLISHED/ESTABLISHED with fsm.ObsMidStream
// for both sides when joined mid-stream.
func (o *Observer) Init() Update {
	u := Update{States: o.States()}
	if o.mid {
		u.Why = [2]fsm.Reason{fsm.ObsMidStream, fsm.ObsMidStream}
	}
	return u
}

// States returns both sides' inferred states, indexed by fsm.Side.
func (o *Observer) States() [2]fsm.State {
	return [2]fsm.State{o.s[0].state, o.s[1].state}
}

// ISN returns each side's initial sequence number and whether its SYN (or
// an acknowledgment of it) was seen.
func (o *Observer) ISN() (isn [2]fsm.Seq, known [2]bool) {
	for i := range o.s {
		isn[i], known[i] = o.s[i].isn, o.s[i].has(bitISN)
	}
	return isn, known
}

// MidStream reports whether the observer joined after the handshake.
func (o *Observer) MidStream() bool { return o.mid }

// Done reports whether the connection is over on both sides: each side is
// CLOSED or TIME-WAIT (a server back in LISTEN after a reset counts as
// over). A new SYN on the same 4-tuple then starts a new connection, as
// Linux accepts a SYN in TIME-WAIT.
func (o *Observer) Done() bool {
	if !o.seen {
		return false
	}
	for i := range o.s {
		switch o.s[i].state {
		case fsm.Closed, fsm.TimeWait:
		case fsm.Listen:
			if fsm.Side(i) == fsm.Client {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// NextExpiry returns when Expire will next have a change to report: the
// earliest TIME-WAIT deadline, if a side is in TIME-WAIT.
func (o *Observer) NextExpiry() (time.Duration, bool) {
	var at time.Duration
	ok := false
	for i := range o.s {
		if s := &o.s[i]; s.state == fsm.TimeWait && (!ok || s.deadline < at) {
			at, ok = s.deadline, true
		}
	}
	return at, ok
}

// Expire returns the change that capture time t has brought, if any: a side
// whose 2·MSL has passed in TIME-WAIT moves to CLOSED (RFC 9293 §3.10.8).
// It reports only the changes due at the earliest deadline (NextExpiry's
// answer, the time to give the timer step), so call it until it returns
// false.
func (o *Observer) Expire(t time.Duration) (Update, bool) {
	at, ok := o.NextExpiry()
	if !ok || at > t {
		return Update{}, false
	}
	var u Update
	for i := range o.s {
		if s := &o.s[i]; s.state == fsm.TimeWait && s.deadline == at {
			s.state = fsm.Closed
			u.Why[i] = fsm.TimerTimeWait
		}
	}
	u.States = o.States()
	return u, true
}

// EndTimeWait closes the sides still in TIME-WAIT because a new
// connection's SYN reuses the same addresses and ports. RFC 9293 §3.6 lets
// a TIME-WAIT endpoint accept such a SYN and reopen (MAY-2), and Linux does
// (tcp_timewait_state_process: TCP_TW_SYN); either way the old
// incarnation's TIME-WAIT is over. It reports false if no side was in
// TIME-WAIT.
func (o *Observer) EndTimeWait() (Update, bool) {
	var u Update
	ended := false
	for i := range o.s {
		if s := &o.s[i]; s.state == fsm.TimeWait {
			s.state = fsm.Closed
			u.Why[i] = fsm.ObsTimeWaitReused
			ended = true
		}
	}
	u.States = o.States()
	return u, ended
}

// TCB returns each side's variables as far as the capture shows them, for
// the view; a variable whose value was never seen is zero. RCV.NXT assumes
// every segment seen was delivered.
func (o *Observer) TCB() [2]fsm.TCB {
	var tcb [2]fsm.TCB
	for i := range o.s {
		me, peer := &o.s[i], &o.s[1-i]
		t := &tcb[i]
		if me.has(bitISN) {
			t.ISS = me.isn
		}
		if peer.has(bitISN) {
			t.IRS = peer.isn
		}
		if me.has(bitNxt) {
			t.SndNxt = me.nxt
			t.SndUna = me.nxt
		} else if me.has(bitISN) {
			t.SndNxt, t.SndUna = me.isn.Add(1), me.isn
		}
		if peer.has(bitAck) {
			t.SndUna = peer.lastAck
		}
		if peer.has(bitWin) {
			t.SndWnd = peer.win
		}
		if peer.has(bitNxt) {
			t.RcvNxt = peer.nxt
			if peer.has(bitGap) {
				t.RcvNxt = peer.gapLo
			}
		}
		if me.has(bitWin) {
			t.RcvWnd = me.win
		}
	}
	return tcb
}
