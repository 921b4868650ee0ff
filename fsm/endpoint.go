package fsm

import (
	"errors"
	"slices"
	"time"
)

// Errors a user call returns, with RFC 9293 §3.10's wording.
var (
	ErrConnectionExists       = errors.New("connection already exists")
	ErrConnectionDoesNotExist = errors.New("connection does not exist")
	ErrConnectionClosing      = errors.New("connection closing")
	ErrConnectionReset        = errors.New("connection reset")
	ErrConnectionRefused      = errors.New("connection refused")
	ErrInsufficientResources  = errors.New("insufficient resources")
)

// Config sets an endpoint's parameters, and which Linux behaviours to follow
// where Linux differs from the RFC's letter.
type Config struct {
	ISS        Seq           // the initial sequence number this endpoint will use
	Window     uint32        // RCV.WND advertised (the receive buffer)
	MSS        uint32        // largest payload per segment
	RTO        time.Duration // initial retransmission timeout (RFC 6298: 1 s)
	MaxRetries int           // retransmissions before giving up (Linux tcp_retries2 = 15; tcp_syn_retries = 6)
	TimeWait   time.Duration // TIME-WAIT duration, 2·MSL (Linux: 60 s)
	FinWait2   time.Duration // FIN-WAIT-2 timeout after close() (Linux tcp_fin_timeout: 60 s); 0 = none

	// RSTOnUnreadClose: close() with received data not yet read sends RST
	// instead of FIN (RFC 2525 §2.17; Linux does this).
	RSTOnUnreadClose bool

	// RSTOnDataAfterClose: data arriving for a socket the application has
	// closed (not merely shut down for writing) is answered with RST and the
	// connection is dropped, since no one can ever read it (Linux
	// tcp_rcv_state_process in FIN-WAIT-1/2). The RFC would accept the data.
	RSTOnDataAfterClose bool

	// LinuxSeqChecks: three places where Linux's sequence checks differ
	// from §3.10.7.4's (SeqAcceptable, CheckRst). A segment that ends
	// exactly at RCV.NXT (a resent FIN, say) is acceptable, so its ACK is
	// still processed (tcp_sequence tests the end against rcv_wup); a RST
	// at RCV.NXT-1 resets a connection that has received the peer's FIN,
	// for peers whose RST does not count the FIN (tcp_reset_check,
	// CLOSE-WAIT, LAST-ACK and CLOSING only); and in TIME-WAIT a RST not at
	// RCV.NXT is dropped without a challenge ACK (tcp_timewait_state_process).
	LinuxSeqChecks bool
}

// DefaultConfig returns Linux-like parameters: initial RTO 1 s, TIME-WAIT
// 60 s, FIN-WAIT-2 timeout 60 s, RST on close with unread data and on data
// after close.
func DefaultConfig(iss Seq) Config {
	return Config{
		ISS: iss, Window: 65535, MSS: 1460, RTO: time.Second, MaxRetries: 6,
		TimeWait: 60 * time.Second, FinWait2: 60 * time.Second, RSTOnUnreadClose: true,
		RSTOnDataAfterClose: true, LinuxSeqChecks: true,
	}
}

// RFCConfig is DefaultConfig with the Linux-only behaviours turned off: the
// endpoint follows the letter of RFC 9293 (close() sends FIN whatever is
// unread; data after close is accepted; sequence checks as §3.10.7.4 writes them).
func RFCConfig(iss Seq) Config {
	c := DefaultConfig(iss)
	c.RSTOnUnreadClose = false
	c.RSTOnDataAfterClose = false
	c.LinuxSeqChecks = false
	return c
}

// Result is what one event did to an endpoint: its state before and after,
// the rule that fired, and the segments it must now transmit, in order.
type Result struct {
	From, To State
	Reason   Reason
	Out      []Segment
}

// Changed reports whether the event moved the endpoint to another state.
func (r Result) Changed() bool { return r.From != r.To }

// maxRTO caps the exponential backoff (Linux TCP_RTO_MAX, 120 s).
const maxRTO = 120 * time.Second

// timer is one of the endpoint's timers: armed or not, and when it fires.
type timer struct {
	at    time.Duration
	armed bool
}

func (t *timer) set(at time.Duration) { t.at, t.armed = at, true }
func (t *timer) stop()                { t.armed = false }

// Endpoint is one TCP endpoint of RFC 9293: its state, its TCB, its send and
// receive buffers and its timers. All methods are driven by the caller, who
// passes the current time; an Endpoint never reads a clock, starts a
// goroutine or does I/O. Every method returns the segments to transmit in
// Result.Out; the caller delivers them.
//
// The zero Endpoint is not usable; call NewEndpoint. An Endpoint is not safe
// for concurrent use. Clone is cheap (the simulator snapshots every step).
type Endpoint struct {
	cfg   Config
	state State
	tcb   TCB
	wl1   Seq // SND.WL1: segment sequence number used for the last window update
	wl2   Seq // SND.WL2: segment acknowledgment number used for the last window update

	passive    bool // this connection came from LISTEN (a RST in SYN-RECEIVED returns there)
	userClosed bool // close() was called: the socket is orphaned (FIN-WAIT-2 timer, RST on data)
	finQueued  bool // close() or shutdown() asked for a FIN
	finSent    bool // the FIN has been sent; it occupies SND.NXT-1 while finSent
	peerFin    bool // the peer's FIN has been received: read returns EOF after the buffer

	// sendBuf holds SEND data not yet put in a segment; rtxq the segments
	// sent and not yet acknowledged, oldest first (SYN, data, FIN), with
	// their payloads. Payload slices are never written after creation and
	// the byte buffers are only appended to or resliced, so a Clone can share
	// their backing arrays (see Clone).
	sendBuf []byte
	rtxq    []Segment
	rcvBuf  []byte    // in-order data received, not yet read
	ooo     []Segment // segments received beyond a gap, held until it is filled

	rto     time.Duration // current retransmission timeout (backs off)
	retries int           // retransmissions of the oldest segment so far
	probing bool          // the retransmission timer is the persist timer
	rtx     timer         // retransmission / persist
	tw      timer         // TIME-WAIT 2·MSL
	fw2     timer         // FIN-WAIT-2 orphan timeout
}

// NewEndpoint returns an endpoint in state CLOSED. Zero MSS, RTO and
// negative MaxRetries are replaced by 536, 1 s and 0.
func NewEndpoint(cfg Config) *Endpoint {
	if cfg.MSS == 0 {
		cfg.MSS = 536 // RFC 9293 §3.7.1 default send MSS
	}
	if cfg.RTO <= 0 {
		cfg.RTO = time.Second
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	e := &Endpoint{cfg: cfg}
	e.reset()
	return e
}

// reset forgets the connection: the TCB returns to its initial values and
// every buffer and timer is cleared. The state is left to the caller.
func (e *Endpoint) reset() {
	e.tcb = TCB{ISS: e.cfg.ISS, SndUna: e.cfg.ISS, SndNxt: e.cfg.ISS}
	e.wl1, e.wl2 = 0, 0
	e.passive, e.userClosed, e.finQueued, e.finSent, e.peerFin = false, false, false, false, false
	e.sendBuf, e.rtxq, e.rcvBuf, e.ooo = nil, nil, nil, nil
	e.rto, e.retries, e.probing = e.cfg.RTO, 0, false
	e.rtx.stop()
	e.tw.stop()
	e.fw2.stop()
}

// Config returns the endpoint's configuration.
func (e *Endpoint) Config() Config { return e.cfg }

// State returns the current RFC 9293 state.
func (e *Endpoint) State() State { return e.state }

// TCB returns the connection's variables, RCV.WND as it would be advertised
// now.
func (e *Endpoint) TCB() TCB {
	t := e.tcb
	t.RcvWnd = e.rcvWnd()
	return t
}

// Clone returns an independent copy. It does not modify e, so several
// goroutines may clone one snapshot. Byte buffers share backing arrays with
// the original: the copy's are capped at their length, so its appends
// reallocate, and the original only ever appends past the copy's end or
// reslices; nothing in an Endpoint writes a byte it has already stored.
func (e *Endpoint) Clone() *Endpoint {
	c := *e
	c.sendBuf = slices.Clip(e.sendBuf)
	c.rcvBuf = slices.Clip(e.rcvBuf)
	c.rtxq = slices.Clone(e.rtxq)
	c.ooo = slices.Clip(e.ooo) // never written in place: removal copies
	return &c
}

// Readable returns the number of received bytes not yet read.
func (e *Endpoint) Readable() int { return len(e.rcvBuf) }

// Unsent returns the number of bytes SEND has accepted that have not been
// put in a segment yet (e.g. because the peer's window is full).
func (e *Endpoint) Unsent() int { return len(e.sendBuf) }

// Unacked returns the number of segments sent and not yet acknowledged.
func (e *Endpoint) Unacked() int { return len(e.rtxq) }

// PeerFinished reports whether the peer's FIN has been received: once the
// buffer is read, a read returns end-of-file.
func (e *Endpoint) PeerFinished() bool { return e.peerFin }

// Passive reports whether the connection was opened from LISTEN.
func (e *Endpoint) Passive() bool { return e.passive }

// rcvWnd is RCV.WND: the receive buffer less what is waiting to be read.
func (e *Endpoint) rcvWnd() uint32 {
	if n := uint32(len(e.rcvBuf)); n < e.cfg.Window {
		return e.cfg.Window - n
	}
	return 0
}

// seg builds a segment from this endpoint: the ACK field is RCV.NXT when
// the ACK flag is set (zero otherwise, as on a first SYN) and the window is
// RCV.WND.
func (e *Endpoint) seg(flags Flags, seq Seq, payload []byte) Segment {
	s := Segment{Seq: seq, Flags: flags, Window: e.rcvWnd(), Len: uint32(len(payload))}
	if len(payload) > 0 {
		s.Payload = payload
	}
	if flags.Has(ACK) {
		s.Ack = e.tcb.RcvNxt
	}
	return s
}

// ackSeg is <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
func (e *Endpoint) ackSeg() Segment { return e.seg(ACK, e.tcb.SndNxt, nil) }

// rstSeg is <SEQ=seq><CTL=RST>, with ACK=ack and the ACK flag when withAck.
// A RST advertises no window.
func rstSeg(seq Seq, ack Seq, withAck bool) Segment {
	s := Segment{Seq: seq, Flags: RST}
	if withAck {
		s.Flags |= ACK
		s.Ack = ack
	}
	return s
}

// activeRst is the RST an application's abort or unread close sends:
// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK> (§3.10.5; Linux sets ACK too).
func (e *Endpoint) activeRst() Segment { return rstSeg(e.tcb.SndNxt, e.tcb.RcvNxt, true) }

// finAcked reports whether our FIN has been sent and acknowledged.
func (e *Endpoint) finAcked() bool { return e.finSent && e.tcb.SndUna == e.tcb.SndNxt }

// toClosed deletes the TCB and enters CLOSED. The variables stay readable
// through TCB() for the views; buffers and timers go.
func (e *Endpoint) toClosed() {
	tcb := e.tcb
	e.reset()
	e.tcb = tcb
	e.state = Closed
}

// toListen returns a passive connection to LISTEN, ready for a new SYN.
func (e *Endpoint) toListen() {
	e.reset()
	e.state = Listen
	e.passive = true
}

// toTimeWait enters TIME-WAIT and starts the 2·MSL timer; nothing is left
// to retransmit (our FIN is acknowledged) and the FIN-WAIT-2 timer stops.
func (e *Endpoint) toTimeWait(now time.Duration) {
	e.state = TimeWait
	e.rtxq, e.sendBuf = nil, nil
	e.rtx.stop()
	e.fw2.stop()
	e.tw.set(now + e.cfg.TimeWait)
}

// toFinWait2 enters FIN-WAIT-2, starting the orphan timeout if the
// application has closed the socket (Linux tcp_fin_timeout; after
// shutdown(SHUT_WR) the socket can wait for the peer forever).
func (e *Endpoint) toFinWait2(now time.Duration) {
	e.state = FinWait2
	e.armFinWait2(now)
}

func (e *Endpoint) armFinWait2(now time.Duration) {
	if e.state == FinWait2 && e.userClosed && e.cfg.FinWait2 > 0 && !e.fw2.armed {
		e.fw2.set(now + e.cfg.FinWait2)
	}
}

// result starts a Result for an event in the current state.
func (e *Endpoint) result() Result { return Result{From: e.state, To: e.state} }
