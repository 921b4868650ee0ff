package fsm

// Reasons of the passive observer (package observe), which infers states
// from segments seen on the wire rather than living them. Each names what the
// observer saw and what that proves about one side; the side is the one in
// whose Why slot the reason stands (its peer is the other side).
const (
	ObsNone Reason = ObserverReasons + iota

	// Opening (RFC 9293 §3.5, Figures 6 and 8).
	ObsMidStream        // the capture joined after the handshake: both sides taken to be ESTABLISHED
	ObsSynSent          // the side sent a SYN: CLOSED → SYN-SENT (the peer is assumed LISTEN until it answers)
	ObsSynAckSent       // the side answered a SYN with SYN,ACK: it received the SYN in LISTEN → SYN-RECEIVED
	ObsSynAckReceived   // the side received a SYN,ACK acknowledging its SYN: → ESTABLISHED
	ObsHandshakeAck     // the side received the ACK of its SYN: SYN-RECEIVED → ESTABLISHED
	ObsSimultaneousOpen // SYNs crossed: each side received the other's SYN in SYN-SENT → SYN-RECEIVED (Figure 8)
	ObsAckProvesSyn     // the side acknowledges the peer's SYN (or sends data), which proves it is ESTABLISHED though a segment was not captured
	ObsBadAck           // the side received an ACK that does not acknowledge its SYN: it answers with RST and stays (§3.10.7.3)
	ObsSynIgnored       // a SYN with a new ISN in a synchronized state: the receiver answers with a challenge ACK (RFC 5961 §4)

	// Closing (RFC 9293 §3.6, Figures 12 and 13).
	ObsFinSent             // the side sent a FIN in ESTABLISHED: → FIN-WAIT-1
	ObsFinSentLastAck      // the side sent a FIN acknowledging the peer's FIN: CLOSE-WAIT → LAST-ACK
	ObsFinReceived         // the side received the peer's FIN in ESTABLISHED: → CLOSE-WAIT
	ObsFinAcked            // the side's FIN was acknowledged: FIN-WAIT-1 → FIN-WAIT-2
	ObsFinReceivedTimeWait // the side received the peer's FIN in FIN-WAIT-2: → TIME-WAIT
	ObsFinAckPiggyback     // the side received a FIN that also acknowledges its own FIN: FIN-WAIT-1 → TIME-WAIT
	ObsSimultaneousClose   // the side received a FIN that does not acknowledge its own: FIN-WAIT-1 → CLOSING
	ObsFinsCrossed         // the side's FIN does not acknowledge the peer's FIN, so the FINs crossed: it was FIN-WAIT-1, not CLOSE-WAIT, and is now CLOSING
	ObsClosingAcked        // the side's FIN was acknowledged in CLOSING: → TIME-WAIT
	ObsLastAckAcked        // the side's FIN was acknowledged in LAST-ACK: → CLOSED
	ObsTimeWaitRestart     // a retransmitted FIN reached the side in TIME-WAIT: it ACKs again and restarts 2·MSL
	ObsTimeWaitExpired     // 2·MSL passed on the capture's clock since the side entered TIME-WAIT: → CLOSED

	// Resets (RFC 9293 §3.10.7, RFC 5961 §3).
	ObsRstSent       // the side sent a RST: it aborted (or has no connection): → CLOSED
	ObsRstReceived   // the side received an acceptable RST (exactly RCV.NXT): → CLOSED
	ObsRstToListen   // the side, SYN-RECEIVED from a passive open, received an acceptable RST: → LISTEN
	ObsRefused       // the side answered the SYN with RST: nothing was LISTENing, it was CLOSED all along
	ObsRstRefused    // the side in SYN-SENT received a RST acknowledging its SYN: connection refused → CLOSED
	ObsRstChallenge  // the side received a RST inside its window but not at RCV.NXT: it sends a challenge ACK and stays (RFC 5961 §3.2)
	ObsRstIgnored    // the side received a RST it must ignore (outside the window, or in SYN-SENT without an ACK of its SYN)
	ObsRstInTimeWait // the side received an acceptable RST in TIME-WAIT: → CLOSED (Linux with tcp_rfc1337 = 0)

	// Repeats.
	ObsRetransmitted // the side sent its SYN, SYN,ACK or FIN again after the state had moved on: no state goes back

	ObsSynDelivered // a SYN reached a server known to LISTEN: LISTEN → SYN-RECEIVED (Config.Listening)

	ObsTimeWaitReused // a new connection's SYN on the same addresses and ports ends the side's TIME-WAIT early: → CLOSED (RFC 9293 §3.6, MAY-2)

	observerReasonsEnd
)

// NumObserverReasons is the number of observer reasons, ObsNone included;
// they are ObserverReasons … ObserverReasons+NumObserverReasons-1.
const NumObserverReasons = int(observerReasonsEnd - ObserverReasons)
