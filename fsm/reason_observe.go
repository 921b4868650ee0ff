package fsm

// Reasons of the passive observer (package observe), which infers states
// from segments seen on the wire rather than living them. Where the
// observer applies a receive rule of RFC 9293 §3.10.7 (rules.go) to the side
// a segment reaches, it gives that rule's reason, the one the endpoint
// machine gives (RcvFin, RcvAckOfFin, RcvRst, TimerTimeWait, …), so a
// transition reads the same whichever source produced it. The reasons below
// are the observer's own: what a segment proves about its sender, or what
// the capture shows that no receive rule explains. The side is the one in
// whose Why slot the reason stands (its peer is the other side).
const (
	ObsNone Reason = ObserverReasons + iota

	// Opening (RFC 9293 §3.5, Figures 6 and 8).
	ObsMidStream    // the capture joined after the handshake: both sides taken to be ESTABLISHED
	ObsSynSent      // the side sent a SYN: CLOSED → SYN-SENT (the peer is assumed LISTEN until it answers)
	ObsSynAckSent   // the side answered a SYN with SYN,ACK: it received the SYN in LISTEN → SYN-RECEIVED
	ObsAckProvesSyn // the side acknowledges the peer's SYN (or sends data), which proves it is ESTABLISHED though a segment was not captured

	// Closing (RFC 9293 §3.6, Figures 12 and 13).
	ObsFinSent        // the side sent a FIN in ESTABLISHED: → FIN-WAIT-1
	ObsFinSentLastAck // the side sent a FIN acknowledging the peer's FIN: CLOSE-WAIT → LAST-ACK
	ObsFinsCrossed    // the side's FIN does not acknowledge the peer's FIN, so the FINs crossed: it was FIN-WAIT-1, not CLOSE-WAIT, and is now CLOSING

	// Resets (RFC 9293 §3.10.7, RFC 5961 §3).
	ObsRstSent // the side sent a RST: it aborted (or has no connection): → CLOSED
	ObsRefused // the side answered the SYN with RST: nothing was LISTENing, it was CLOSED all along

	// Repeats.
	ObsRetransmitted // the side sent its SYN, SYN,ACK or FIN again after the state had moved on: no state goes back

	ObsTimeWaitReused // a new connection's SYN on the same addresses and ports ends the side's TIME-WAIT early: → CLOSED (RFC 9293 §3.6, MAY-2)

	observerReasonsEnd
)

// NumObserverReasons is the number of observer reasons, ObsNone included;
// they are ObserverReasons … ObserverReasons+NumObserverReasons-1.
const NumObserverReasons = int(observerReasonsEnd - ObserverReasons)

var observerReasonNames = [...]string{
	ObsNone - ObserverReasons: "obs-none", ObsMidStream - ObserverReasons: "obs-mid-stream",
	ObsSynSent - ObserverReasons: "obs-syn-sent", ObsSynAckSent - ObserverReasons: "obs-syn-ack-sent",
	ObsAckProvesSyn - ObserverReasons: "obs-ack-proves-syn", ObsFinSent - ObserverReasons: "obs-fin-sent",
	ObsFinSentLastAck - ObserverReasons: "obs-fin-sent-last-ack", ObsFinsCrossed - ObserverReasons: "obs-fins-crossed",
	ObsRstSent - ObserverReasons: "obs-rst-sent", ObsRefused - ObserverReasons: "obs-refused",
	ObsRetransmitted - ObserverReasons: "obs-retransmitted", ObsTimeWaitReused - ObserverReasons: "obs-time-wait-reused",
}
