package fsm

import "fmt"

// Reason says why an endpoint's state or variables changed at a step: which
// rule of RFC 9293 fired. Views turn it into a trigger label and a sentence
// (package narrate); tests compare it.
//
// The values below are the endpoint machine's and the simulator's, and the
// passive observer's wherever it applies the same receive rule; the
// observer's own inferences start at ObserverReasons (reason_observe.go).
// One vocabulary: the same transition has the same reason, and so the same
// label and sentence, whichever source produced it.
type Reason uint16

// Reasons of the endpoint machine (RFC 9293 §3.10) and the simulator.
const (
	ReasonNone Reason = iota

	// User calls (§3.10.1–3.10.6).
	AppPassiveOpen // OPEN passive: CLOSED → LISTEN
	AppActiveOpen  // OPEN active: CLOSED → SYN-SENT, SYN sent
	AppSend        // SEND: data queued and sent
	AppReceive     // RECEIVE: data handed to the user, window reopens
	AppClose       // CLOSE: FIN queued (or LISTEN/SYN-SENT → CLOSED)
	AppCloseUnread // CLOSE with unread data: RST instead of FIN (RFC 2525 §2.17, Linux)
	AppShutdown    // shutdown(SHUT_WR): FIN sent, still reading
	AppAbort       // ABORT: RST sent, → CLOSED
	AppRestart     // the host lost all state (crash/reboot): → CLOSED without a word
	AppAccept      // accept(): the application takes the established connection

	// SEGMENT ARRIVES (§3.10.7).
	RcvInClosed        // any segment in CLOSED: answered with RST (§3.10.7.1)
	RcvSynInListen     // SYN in LISTEN: → SYN-RECEIVED, SYN,ACK sent (§3.10.7.2)
	RcvRstInListen     // RST in LISTEN: ignored (§3.10.7.2)
	RcvAckInListen     // ACK in LISTEN: answered with RST (§3.10.7.2)
	RcvSynAck          // SYN,ACK in SYN-SENT: → ESTABLISHED, ACK sent (§3.10.7.3)
	RcvSynSimultaneous // SYN in SYN-SENT: simultaneous open → SYN-RECEIVED (§3.10.7.3)
	RcvRstRefused      // acceptable RST in SYN-SENT: connection refused (§3.10.7.3)
	RcvBadAckSynSent   // unacceptable ACK in SYN-SENT: answered with RST (§3.10.7.3)
	RcvUnacceptable    // segment outside the window: dropped, ACK sent (§3.10.7.4 first check)
	RcvRst             // acceptable RST: connection reset, → CLOSED (§3.10.7.4 second check)
	RcvRstToListen     // RST in SYN-RECEIVED from a passive OPEN: → LISTEN (§3.10.7.4)
	RcvRstChallenge    // RST in window but not exact: challenge ACK (RFC 5961 §3.2)
	RcvSynChallenge    // SYN in a synchronized state: challenge ACK (RFC 5961 §4)
	RcvAckOfSyn        // ACK of our SYN in SYN-RECEIVED: → ESTABLISHED (§3.10.7.4 fifth check)
	RcvBadAckSynRcvd   // unacceptable ACK in SYN-RECEIVED: answered with RST
	RcvAck             // ACK advancing SND.UNA, no state change
	RcvDupAck          // ACK that acknowledges nothing new
	RcvAckFuture       // ACK of something not yet sent: dropped, ACK sent
	RcvData            // in-order data accepted, RCV.NXT advances, ACK sent
	RcvDuplicate       // data or FIN already received (a retransmission): ACK sent
	RcvAckOfFin        // ACK of our FIN: FIN-WAIT-1 → FIN-WAIT-2, CLOSING → TIME-WAIT, LAST-ACK → CLOSED
	RcvFin             // FIN: ESTABLISHED → CLOSE-WAIT, FIN-WAIT-1 → CLOSING, FIN-WAIT-2 → TIME-WAIT
	RcvFinAckOfFin     // FIN that also acknowledges our FIN in FIN-WAIT-1: → TIME-WAIT
	RcvFinInTimeWait   // retransmitted FIN in TIME-WAIT: ACK again, restart 2·MSL

	// Timers (§3.10.8).
	TimerRetransmit // retransmission timeout: the oldest unacknowledged segment is sent again, RTO doubles
	TimerGiveUp     // too many retransmissions: the connection is dropped, → CLOSED
	TimerTimeWait   // 2·MSL elapsed in TIME-WAIT: → CLOSED
	TimerFinWait2   // FIN-WAIT-2 timeout (Linux tcp_fin_timeout): → CLOSED

	// The simulated link.
	LinkDrop      // the link lost the segment
	LinkDuplicate // the link delivered the segment twice
	LinkDelay     // the link held the segment back

	// Added after the first set; kept at the end so earlier values do not move.
	RcvRstIgnored     // RST that fails the checks (out of window, or unacceptable in SYN-SENT/CLOSED): dropped silently
	RcvIgnored        // segment this state has no use for (no SYN in LISTEN, no ACK bit, …): dropped
	RcvSynToListen    // in-window SYN in SYN-RECEIVED from a passive OPEN: back to LISTEN (§3.10.7.4 fourth check)
	RcvOutOfOrder     // acceptable segment beyond RCV.NXT: not queued, duplicate ACK sent (§3.10.7.4 seventh check)
	RcvWindowUpdate   // ACK that opens the peer's window without acknowledging anything new
	RcvDataAfterClose // data for a socket the application closed: Linux answers with RST
	TimerPersist      // zero-window probe: the peer's window is shut and data waits (§3.8.6.1)

	endpointReasonsEnd
)

// ObserverReasons is the first value of the passive observer's reasons.
const ObserverReasons Reason = 100

// NumEndpointReasons is one more than the last endpoint/simulator reason, for
// tables indexed by Reason.
const NumEndpointReasons = int(endpointReasonsEnd)

var reasonNames = [...]string{
	ReasonNone: "none", AppPassiveOpen: "app-passive-open", AppActiveOpen: "app-active-open",
	AppSend: "app-send", AppReceive: "app-receive", AppClose: "app-close",
	AppCloseUnread: "app-close-unread", AppShutdown: "app-shutdown", AppAbort: "app-abort",
	AppRestart: "app-restart", AppAccept: "app-accept",
	RcvInClosed: "rcv-in-closed", RcvSynInListen: "rcv-syn-in-listen", RcvRstInListen: "rcv-rst-in-listen",
	RcvAckInListen: "rcv-ack-in-listen", RcvSynAck: "rcv-syn-ack", RcvSynSimultaneous: "rcv-syn-simultaneous",
	RcvRstRefused: "rcv-rst-refused", RcvBadAckSynSent: "rcv-bad-ack-syn-sent", RcvUnacceptable: "rcv-unacceptable",
	RcvRst: "rcv-rst", RcvRstToListen: "rcv-rst-to-listen", RcvRstChallenge: "rcv-rst-challenge",
	RcvSynChallenge: "rcv-syn-challenge", RcvAckOfSyn: "rcv-ack-of-syn", RcvBadAckSynRcvd: "rcv-bad-ack-syn-rcvd",
	RcvAck: "rcv-ack", RcvDupAck: "rcv-dup-ack", RcvAckFuture: "rcv-ack-future", RcvData: "rcv-data",
	RcvDuplicate: "rcv-duplicate", RcvAckOfFin: "rcv-ack-of-fin", RcvFin: "rcv-fin",
	RcvFinAckOfFin: "rcv-fin-ack-of-fin", RcvFinInTimeWait: "rcv-fin-in-time-wait",
	TimerRetransmit: "timer-retransmit", TimerGiveUp: "timer-give-up", TimerTimeWait: "timer-time-wait",
	TimerFinWait2: "timer-fin-wait-2", LinkDrop: "link-drop", LinkDuplicate: "link-duplicate",
	LinkDelay: "link-delay", RcvRstIgnored: "rcv-rst-ignored", RcvIgnored: "rcv-ignored",
	RcvSynToListen: "rcv-syn-to-listen", RcvOutOfOrder: "rcv-out-of-order", RcvWindowUpdate: "rcv-window-update",
	RcvDataAfterClose: "rcv-data-after-close", TimerPersist: "timer-persist",
}

// String returns a short kebab-case name of the reason, for tests and logs.
func (r Reason) String() string {
	if int(r) < len(reasonNames) && reasonNames[r] != "" {
		return reasonNames[r]
	}
	if i := int(r) - int(ObserverReasons); i >= 0 && i < len(observerReasonNames) && observerReasonNames[i] != "" {
		return observerReasonNames[i]
	}
	return fmt.Sprintf("Reason(%d)", uint16(r))
}
