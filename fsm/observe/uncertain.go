package observe

import (
	"strings"

	"github.com/tcpviz/tcpviz/fsm"
)

// stateDoubt says, per state, what a capture that ends with a side in that
// state leaves unknown. CLOSED and TIME-WAIT are certain: nothing follows
// CLOSED, and TIME-WAIT ends by a timer the observer runs on the capture's
// clock.
var stateDoubt = [fsm.NumStates]string{
	fsm.Listen:      "LISTEN is assumed: the server never answered the SYN, so whether anything was listening is unknown",
	fsm.SynSent:     "SYN-SENT: no acceptable answer to its SYN was seen; it retries the SYN and gives up after tcp_syn_retries (about 2 minutes on Linux)",
	fsm.SynReceived: "SYN-RECEIVED: the ACK completing the handshake was not seen",
	fsm.Established: "ESTABLISHED at the last segment seen: what its application did after the capture ended is unknown",
	fsm.FinWait1:    "FIN-WAIT-1: no ACK of its FIN was seen",
	fsm.FinWait2:    "FIN-WAIT-2: the peer's FIN was never seen; Linux drops an orphaned FIN-WAIT-2 socket after tcp_fin_timeout (60 s)",
	fsm.CloseWait:   "CLOSE-WAIT: its application had not closed the socket when the capture ended (no FIN from it was seen)",
	fsm.Closing:     "CLOSING: the ACK of its FIN was not seen",
	fsm.LastAck:     "LAST-ACK: the final ACK of its FIN was not seen; it retransmits the FIN until it is acknowledged",
}

// evidenceDoubt says what a bit of side.bits leaves unknown.
var evidenceDoubt = [...]struct {
	bit  uint16
	text string
}{
	{bitLoss, "a repeated SYN, SYN,ACK or FIN shows a segment was lost past the capture point, so this side may be a step behind the state shown"},
	{bitRstIgnored, "a RST outside the window was ignored"},
	{bitUnverified, "a RST was accepted without the capture showing the sequence number it had to carry"},
	{bitAfterClosed, "it sent segments after it was inferred CLOSED"},
	{bitFinUnseen, "its first FIN was not captured, so whether it was sent before or after the peer's FIN arrived (CLOSING or LAST-ACK) is not known"},
	{bitSynIgnored, "a SYN with a new initial sequence number arrived while the connection was synchronized (did the peer restart?)"},
}

// Uncertain says, per side, why its state at the end of what was observed
// cannot be known for sure; "" where it can. The observer assumes a
// segment seen is a segment delivered; these are the places where the
// capture shows that assumption failed, or where the capture ended before
// the side reached a state that nothing but a timer leaves.
func (o *Observer) Uncertain() [2]string {
	var out [2]string
	for i := range o.s {
		s, peer := &o.s[i], &o.s[1-i]
		var parts []string
		if (o.seen || s.state != fsm.Listen) && s.state.Valid() && stateDoubt[s.state] != "" {
			parts = append(parts, stateDoubt[s.state])
		}
		for _, e := range evidenceDoubt {
			if s.has(e.bit) {
				parts = append(parts, e.text)
			}
		}
		if peer.has(bitFinHeld) {
			parts = append(parts, "the peer's FIN followed data the capture never saw arrive, so it is taken as not yet processed")
		} else if peer.has(bitGap) {
			parts = append(parts, "segments sent to it were not captured (a gap in the peer's sequence space)")
		}
		if o.mid {
			parts = append(parts, "joined mid-stream: the states before the first segment are assumed ESTABLISHED")
		}
		out[i] = strings.Join(parts, "; ")
	}
	return out
}
