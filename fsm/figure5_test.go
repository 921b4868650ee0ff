package fsm

import (
	"strings"
	"testing"
)

// figure5 holds one case per edge of RFC 9293's Figure 5 (the connection
// state diagram), plus the FIN-WAIT-1 → TIME-WAIT edge of RFC 793's
// diagram, with the segments each edge sends.
var figure5 = []edge{
	{"§3.10.1", "CLOSED passive OPEN → LISTEN", "CLOSED", []string{"listen"}, Listen, AppPassiveOpen, "", nil},
	{"§3.10.1", "CLOSED active OPEN → SYN-SENT, snd SYN", "CLOSED", []string{"connect"}, SynSent, AppActiveOpen,
		"<SEQ=100><CTL=SYN>", nil},
	{"§3.10.4", "LISTEN CLOSE → CLOSED", "LISTEN", []string{"close"}, Closed, AppClose, "", nil},
	{"§3.10.7.2", "LISTEN rcv SYN → SYN-RECEIVED, snd SYN,ACK", "LISTEN", []string{"in:<SEQ=300><CTL=SYN>"}, SynReceived, RcvSynInListen,
		"<SEQ=100><ACK=301><CTL=SYN,ACK>", nil},
	{"§3.10.2", "LISTEN SEND → SYN-SENT, snd SYN", "LISTEN", []string{"send:hi"}, SynSent, AppSend,
		"<SEQ=100><CTL=SYN>", nil},
	{"§3.10.4", "SYN-SENT CLOSE → CLOSED", "SYN-SENT", []string{"close"}, Closed, AppClose, "", nil},
	{"§3.10.7.3", "SYN-SENT rcv SYN → SYN-RECEIVED, snd SYN,ACK with the original ISS", "SYN-SENT", []string{"in:<SEQ=300><CTL=SYN>"}, SynReceived, RcvSynSimultaneous,
		"<SEQ=100><ACK=301><CTL=SYN,ACK>", nil},
	{"§3.10.7.3", "SYN-SENT rcv SYN,ACK → ESTABLISHED, snd ACK", "SYN-SENT", []string{"in:<SEQ=300><ACK=101><CTL=SYN,ACK>"}, Established, RcvSynAck,
		"<SEQ=101><ACK=301><CTL=ACK>", nil},
	{"§3.10.7.4", "SYN-RECEIVED rcv ACK of SYN → ESTABLISHED", "SYN-RECEIVED", []string{"in:<SEQ=301><ACK=101><CTL=ACK>"}, Established, RcvAckOfSyn, "", nil},
	{"§3.10.4", "SYN-RECEIVED CLOSE → FIN-WAIT-1, snd FIN", "SYN-RECEIVED", []string{"close"}, FinWait1, AppClose,
		"<SEQ=101><ACK=301><CTL=FIN,ACK>", nil},
	{"§3.10.7.4", "SYN-RECEIVED (passive) rcv RST → LISTEN", "SYN-RECEIVED", []string{"in:<SEQ=301><CTL=RST>"}, Listen, RcvRstToListen, "", nil},
	{"§3.10.4", "ESTABLISHED CLOSE → FIN-WAIT-1, snd FIN", "ESTABLISHED", []string{"close"}, FinWait1, AppClose,
		"<SEQ=101><ACK=301><CTL=FIN,ACK>", nil},
	{"§3.10.7.4", "ESTABLISHED rcv FIN → CLOSE-WAIT, snd ACK", "ESTABLISHED", []string{"in:<SEQ=301><ACK=101><CTL=FIN,ACK>"}, CloseWait, RcvFin,
		"<SEQ=101><ACK=302><CTL=ACK>", nil},
	{"§3.10.7.4", "FIN-WAIT-1 rcv ACK of FIN → FIN-WAIT-2", "FIN-WAIT-1", []string{"in:<SEQ=301><ACK=102><CTL=ACK>"}, FinWait2, RcvAckOfFin, "", nil},
	{"§3.10.7.4", "FIN-WAIT-1 rcv FIN → CLOSING, snd ACK", "FIN-WAIT-1", []string{"in:<SEQ=301><ACK=101><CTL=FIN,ACK>"}, Closing, RcvFin,
		"<SEQ=102><ACK=302><CTL=ACK>", nil},
	{"§3.10.7.4", "FIN-WAIT-1 rcv FIN,ACK of FIN → TIME-WAIT, snd ACK", "FIN-WAIT-1", []string{"in:<SEQ=301><ACK=102><CTL=FIN,ACK>"}, TimeWait, RcvFinAckOfFin,
		"<SEQ=102><ACK=302><CTL=ACK>", nil},
	{"§3.10.7.4", "FIN-WAIT-2 rcv FIN → TIME-WAIT, snd ACK", "FIN-WAIT-2", []string{"in:<SEQ=301><ACK=102><CTL=FIN,ACK>"}, TimeWait, RcvFin,
		"<SEQ=102><ACK=302><CTL=ACK>", nil},
	{"§3.10.7.4", "CLOSING rcv ACK of FIN → TIME-WAIT", "CLOSING", []string{"in:<SEQ=302><ACK=102><CTL=ACK>"}, TimeWait, RcvAckOfFin, "", nil},
	{"§3.10.4", "CLOSE-WAIT CLOSE → LAST-ACK, snd FIN", "CLOSE-WAIT", []string{"close"}, LastAck, AppClose,
		"<SEQ=101><ACK=302><CTL=FIN,ACK>", nil},
	{"§3.10.7.4", "LAST-ACK rcv ACK of FIN → CLOSED", "LAST-ACK", []string{"in:<SEQ=302><ACK=102><CTL=ACK>"}, Closed, RcvAckOfFin, "", nil},
	{"§3.10.8", "TIME-WAIT timeout 2·MSL → CLOSED", "TIME-WAIT", []string{"tick:60s"}, Closed, TimerTimeWait, "", nil},
}

func TestFigure5(t *testing.T) { runEdges(t, figure5) }

// TestFigure5IsComplete checks that figure5 has a case for every edge of
// the diagram, so none can be lost in an edit.
func TestFigure5IsComplete(t *testing.T) {
	diagram := [][2]State{
		{Closed, Listen}, {Closed, SynSent},
		{Listen, Closed}, {Listen, SynReceived}, {Listen, SynSent},
		{SynSent, Closed}, {SynSent, SynReceived}, {SynSent, Established},
		{SynReceived, Established}, {SynReceived, FinWait1}, {SynReceived, Listen},
		{Established, FinWait1}, {Established, CloseWait},
		{FinWait1, FinWait2}, {FinWait1, Closing}, {FinWait1, TimeWait},
		{FinWait2, TimeWait}, {Closing, TimeWait},
		{CloseWait, LastAck}, {LastAck, Closed}, {TimeWait, Closed},
	}
	covered := map[[2]State]bool{}
	for _, c := range figure5 {
		name, _, _ := strings.Cut(c.from, "/")
		from, err := ParseState(name)
		if err != nil {
			t.Fatal(err)
		}
		covered[[2]State{from, c.to}] = true
	}
	for _, e := range diagram {
		if !covered[e] {
			t.Errorf("no case for the edge %s → %s", e[0], e[1])
		}
	}
	if len(covered) != len(diagram) {
		t.Errorf("%d edges covered, the diagram has %d", len(covered), len(diagram))
	}
}

// TestClosingSendsQueuedData: a FIN queued behind data the peer's window
// held back still goes out after the FINs crossed (CLOSING), once the
// window opens, and its ACK then leads to TIME-WAIT.
func TestClosingSendsQueuedData(t *testing.T) {
	runEdges(t, []edge{
		{"§3.10.4", "CLOSE with data queued: FIN-WAIT-1, nothing sent yet", "ESTABLISHED/peer-wnd0",
			[]string{"send:abc", "close"}, FinWait1, AppClose, "", nil},
		{"§3.10.7.4", "the peer's FIN: CLOSING", "ESTABLISHED/peer-wnd0",
			[]string{"send:abc", "close", "in:<SEQ=301><ACK=101><CTL=FIN,ACK><WND=0>"}, Closing, RcvFin,
			"<SEQ=101><ACK=302><CTL=ACK>", nil},
		{"§3.10.7.4", "CLOSING: the window opens, data and FIN go out", "ESTABLISHED/peer-wnd0",
			[]string{"send:abc", "close", "in:<SEQ=301><ACK=101><CTL=FIN,ACK><WND=0>", "in:<SEQ=302><ACK=101><CTL=ACK><WND=100>"}, Closing, RcvWindowUpdate,
			"<SEQ=101><ACK=302><CTL=ACK,PSH><DATA=abc> <SEQ=104><ACK=302><CTL=FIN,ACK>", nil},
		{"§3.10.7.4", "CLOSING: all acknowledged: TIME-WAIT", "ESTABLISHED/peer-wnd0",
			[]string{"send:abc", "close", "in:<SEQ=301><ACK=101><CTL=FIN,ACK><WND=0>", "in:<SEQ=302><ACK=101><CTL=ACK><WND=100>", "in:<SEQ=302><ACK=105><CTL=ACK><WND=100>"}, TimeWait, RcvAckOfFin,
			"", nil},
	})
}

// TestUserCalls covers §3.10.1–3.10.5 in the states where the calls are
// errors or do something other than Figure 5's edges.
func TestUserCalls(t *testing.T) {
	runEdges(t, []edge{
		{"§3.10.1", "OPEN on an open connection", "ESTABLISHED", []string{"connect"}, Established, ReasonNone, "", ErrConnectionExists},
		{"§3.10.1", "passive OPEN in LISTEN", "LISTEN", []string{"listen"}, Listen, ReasonNone, "", ErrConnectionExists},
		{"§3.10.2", "SEND in CLOSED", "CLOSED", []string{"send:x"}, Closed, ReasonNone, "", ErrConnectionDoesNotExist},
		{"§3.10.2", "SEND in ESTABLISHED: one segment, PSH", "ESTABLISHED", []string{"send:hello"}, Established, AppSend,
			"<SEQ=101><ACK=301><CTL=ACK,PSH><DATA=hello>", nil},
		{"§3.10.2", "SEND in SYN-SENT is queued", "SYN-SENT", []string{"send:hello"}, SynSent, AppSend, "", nil},
		{"§3.10.2", "queued SEND goes out with the handshake's ACK", "SYN-SENT",
			[]string{"send:hello", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>"}, Established, RcvSynAck,
			"<SEQ=101><ACK=301><CTL=ACK,PSH><DATA=hello>", nil},
		{"§3.10.2", "SEND in CLOSE-WAIT", "CLOSE-WAIT", []string{"send:bye"}, CloseWait, AppSend,
			"<SEQ=101><ACK=302><CTL=ACK,PSH><DATA=bye>", nil},
		{"§3.10.2", "SEND after CLOSE", "FIN-WAIT-1", []string{"send:x"}, FinWait1, ReasonNone, "", ErrConnectionClosing},
		{"§3.10.2", "SEND to a zero window is queued", "ESTABLISHED/peer-wnd0", []string{"send:x"}, Established, AppSend, "", nil},
		{"§3.10.3", "RECEIVE returns the data and does not need a window update", "ESTABLISHED/unread", []string{"recv"}, Established, AppReceive, "", nil},
		{"§3.10.3", "RECEIVE after the peer's FIN: end of file", "CLOSE-WAIT", []string{"recv"}, CloseWait, ReasonNone, "", ErrConnectionClosing},
		{"§3.10.3", "RECEIVE in CLOSED", "CLOSED", []string{"recv"}, Closed, ReasonNone, "", ErrConnectionDoesNotExist},
		{"§3.10.4", "CLOSE in CLOSED", "CLOSED", []string{"close"}, Closed, ReasonNone, "", ErrConnectionDoesNotExist},
		{"§3.10.4", "CLOSE twice", "FIN-WAIT-1", []string{"close"}, FinWait1, ReasonNone, "", ErrConnectionClosing},
		{"§3.10.4", "CLOSE in LAST-ACK", "LAST-ACK", []string{"close"}, LastAck, ReasonNone, "", ErrConnectionClosing},
		{"RFC 2525 §2.17", "CLOSE with unread data sends RST", "ESTABLISHED/unread", []string{"close"}, Closed, AppCloseUnread,
			"<SEQ=101><ACK=306><CTL=RST,ACK>", nil},
		{"§3.10.4", "CLOSE after shutdown orphans the socket: FIN-WAIT-2 times out", "FIN-WAIT-2/shutdown",
			[]string{"close", "tick:60s"}, Closed, TimerFinWait2, "", nil},
		{"§3.10.4", "shutdown alone: FIN-WAIT-2 waits for ever", "FIN-WAIT-2/shutdown",
			[]string{"tick:600s"}, FinWait2, ReasonNone, "", nil},
		{"§3.10.4", "shutdown(SHUT_WR) in ESTABLISHED sends FIN", "ESTABLISHED", []string{"shutdown"}, FinWait1, AppShutdown,
			"<SEQ=101><ACK=301><CTL=FIN,ACK>", nil},
		{"§3.10.4", "shutdown(SHUT_WR) in CLOSE-WAIT sends FIN", "CLOSE-WAIT", []string{"shutdown"}, LastAck, AppShutdown,
			"<SEQ=101><ACK=302><CTL=FIN,ACK>", nil},
		{"§3.10.4", "FIN follows queued data in a segment of its own", "ESTABLISHED", []string{"send:abc", "close"}, FinWait1, AppClose,
			"<SEQ=104><ACK=301><CTL=FIN,ACK>", nil},
		{"§3.10.5", "ABORT in ESTABLISHED sends RST", "ESTABLISHED", []string{"abort"}, Closed, AppAbort,
			"<SEQ=101><ACK=301><CTL=RST,ACK>", nil},
		{"§3.10.5", "ABORT in LISTEN sends nothing", "LISTEN", []string{"abort"}, Closed, AppAbort, "", nil},
		{"§3.10.5", "ABORT in SYN-SENT sends nothing", "SYN-SENT", []string{"abort"}, Closed, AppAbort, "", nil},
		{"§3.10.5", "ABORT in TIME-WAIT sends nothing", "TIME-WAIT", []string{"abort"}, Closed, AppAbort, "", nil},
		{"§3.10.5", "ABORT in CLOSED", "CLOSED", []string{"abort"}, Closed, ReasonNone, "", ErrConnectionDoesNotExist},
		{"§3.5.2", "restart loses everything silently", "ESTABLISHED", []string{"restart"}, Closed, AppRestart, "", nil},
	})
}

// TestCloseFromSynReceived follows the FIN sent from SYN-RECEIVED (§3.10.4)
// through the ACK of the SYN and the ACK of the FIN.
func TestCloseFromSynReceived(t *testing.T) {
	runEdges(t, []edge{
		{"§3.10.7.4", "FIN-WAIT-1 from SYN-RECEIVED: ACK of the SYN only", "SYN-RECEIVED",
			[]string{"close", "in:<SEQ=301><ACK=101><CTL=ACK>"}, FinWait1, RcvAck, "", nil},
		{"§3.10.7.4", "FIN-WAIT-1 from SYN-RECEIVED: ACK of SYN and FIN", "SYN-RECEIVED",
			[]string{"close", "in:<SEQ=301><ACK=102><CTL=ACK>"}, FinWait2, RcvAckOfFin, "", nil},
		{"§3.10.8", "FIN-WAIT-1 from SYN-RECEIVED: the SYN,ACK is what is resent", "SYN-RECEIVED",
			[]string{"close", "tick:1s"}, FinWait1, TimerRetransmit, "<SEQ=100><ACK=301><CTL=SYN,ACK>", nil},
		{"§3.10.4", "shutdown in SYN-SENT closes", "SYN-SENT", []string{"shutdown"}, Closed, AppShutdown, "", nil},
		{"§3.10.5", "ABORT in FIN-WAIT-2 sends RST", "FIN-WAIT-2", []string{"abort"}, Closed, AppAbort,
			"<SEQ=102><ACK=301><CTL=RST,ACK>", nil},
		{"§3.10.8", "give-up in SYN-RECEIVED from LISTEN: back to LISTEN", "SYN-RECEIVED",
			[]string{"tick:1s", "tick:2s", "tick:4s", "tick:8s"}, Listen, TimerGiveUp, "", nil},
		{"§3.10.8", "give-up in ESTABLISHED: CLOSED", "ESTABLISHED",
			[]string{"send:x", "tick:1s", "tick:2s", "tick:4s", "tick:8s"}, Closed, TimerGiveUp, "", nil},
	})
}

// TestCloneIsIndependent: what happens to an endpoint after a Clone does
// not show in the clone, and the other way round.
func TestCloneIsIndependent(t *testing.T) {
	x := setupEndpoint(t, "ESTABLISHED")
	x.do("in:<SEQ=301><ACK=101><CTL=ACK><DATA=abc>")
	x.do("send:hello")
	snap := x.e.Clone()
	x.do("in:<SEQ=304><ACK=106><CTL=ACK><DATA=def>")
	x.do("send:world")
	x.do("recv")
	if snap.Readable() != 3 || snap.Unacked() != 1 || snap.TCB().RcvNxt != 304 || snap.TCB().SndNxt != 106 {
		t.Fatalf("the clone changed: readable %d unacked %d TCB %+v", snap.Readable(), snap.Unacked(), snap.TCB())
	}
	snap.Arrive(0, Segment{Seq: 304, Ack: 101, Flags: ACK, Window: 1000, Len: 3, Payload: []byte("XYZ")})
	data, _, _ := snap.Receive(0, 0)
	if string(data) != "abcXYZ" {
		t.Fatalf("clone read %q", data)
	}
	if x.e.Readable() != 0 || x.e.TCB().RcvNxt != 307 {
		t.Fatalf("the original changed through its clone: %+v", x.e.TCB())
	}
	r, _ := snap.Send(0, []byte("!"))
	if len(r.Out) != 1 || string(r.Out[0].Payload) != "!" {
		t.Fatalf("clone sent %v", r.Out)
	}
}
