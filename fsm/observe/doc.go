// Package observe is the passive observer: it watches the segments of one
// connection as a capture sees them and infers both endpoints' RFC 9293
// states, without being either endpoint. It is pure: no I/O, no clock (time
// is the capture's, passed in), no goroutines, and Observe allocates
// nothing, so a tracker can keep one Observer value per connection.
//
// # What a segment proves
//
// A side's state follows from what it sent and what its acknowledgments
// prove it has received: a bare SYN is an active open (SYN-SENT); a SYN,ACK
// answers a SYN received in LISTEN (SYN-RECEIVED); a FIN is a CLOSE
// (FIN-WAIT-1, or LAST-ACK when it also acknowledges the peer's FIN); a RST
// leaves its sender CLOSED. The receiver then processes the segment as RFC
// 9293 §3.10.7 says, with the state the observer has inferred for it: the
// ACK field first, the FIN last, a RST only if acceptable (exactly RCV.NXT,
// RFC 5961 §3.2; in SYN-SENT only if it acknowledges the SYN). The receive
// rules are the endpoint machine's own (package fsm's rules.go: CheckRst,
// AckAcceptable, AfterAckOfFin, AfterFin), and so are their reasons, so a
// capture names and narrates a transition as the simulator does.
//
// # Seen means delivered
//
// The observer assumes a segment seen is a segment delivered, at the
// moment it is seen: the capture point is on the path and close to the
// receiver, as on loopback, where Linux processes a segment right after
// tcpdump sees it. So a FIN moves its receiver to CLOSE-WAIT when the FIN is
// seen, not later when the receiver's ACK of it proves receipt: on loopback
// the kernel reports CLOSE-WAIT (ss, sock_diag) while its delayed ACK is
// still pending, and often the ACK never comes alone but rides on the
// receiver's own FIN. The ACK, when seen, confirms it.
//
// Three things are not taken on trust:
//   - A SYN's receiver stays LISTEN until it answers: whether anything
//     listens shows only in the answer (SYN,ACK, or a RST: refused, and the
//     side was CLOSED all along).
//   - SYNs that cross (simultaneous open, Figure 7): a bare SYN from a side
//     whose peer is in SYN-SENT was sent before the peer's SYN arrived;
//     both sides are SYN-RECEIVED when the second SYN is seen.
//   - FINs that cross (simultaneous close, Figure 13): every segment of a
//     synchronized TCP acknowledges all it has received, so a FIN that does
//     not acknowledge the peer's FIN, seen earlier, was sent before that FIN
//     arrived: the side was in FIN-WAIT-1, not CLOSE-WAIT as assumed, and
//     both sides are CLOSING. The ACK numbers tell CLOSING from LAST-ACK.
//
// Where the capture later shows the assumption failed (a SYN, SYN,ACK or
// FIN sent again after the state moved on), states do not go back; the
// side is marked uncertain (Uncertain) instead.
//
// # Gaps and old segments
//
// What the capture never saw was not delivered. A segment that starts
// beyond everything its sender was seen to send leaves a gap; the
// receiver's RCV.NXT stops at the gap, and a FIN after it is held, as the
// receiver queues it out of order, until a retransmission fills the gap
// or the receiver's ACK shows it had the data all along (the capture, not
// the link, missed it). A segment that ends before the receiver's RCV.NXT
// is old: Linux drops it unread (its ACK field too) and so does RFC 9293's
// first check. A RST is acceptable exactly at RCV.NXT (and, as Linux's
// tcp_reset_check, at the FIN's number after the FIN arrived); one inside
// the window draws a challenge ACK (RFC 5961 §3.2), except in TIME-WAIT,
// where Linux drops it silently; one behind RCV.NXT by
// less than a window crossed the sender's own data: the receiver drops it,
// but the sender has closed (a stack answering with RST takes its sequence
// number from the ACK field it answers); one further away proves nothing.
//
// # Analysis
//
// Each segment is also flagged as Wireshark's tcp.analysis would:
// retransmission, out-of-order, previous segment not captured, duplicate
// ACK, zero window, and duplicate (an exact copy within a few milliseconds).
package observe
