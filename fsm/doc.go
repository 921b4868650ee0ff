// Package fsm is the TCP state machine of RFC 9293, with nothing else in it:
// the states, segments, flags and sequence arithmetic, one endpoint's
// event processing (§3.10), and the vocabulary (sides, directions, reasons)
// that the simulator, the passive observer and every view share.
//
// Endpoint is one RFC 9293 endpoint: user calls (endpoint.go,
// user_calls.go), SEGMENT ARRIVES in every state in the RFC's order of
// checks (arrive.go for CLOSED, LISTEN and SYN-SENT, arrive_sync.go for the
// rest), the sending half with its retransmission queue (retransmit.go) and
// the timers (timers.go). The receive rules the passive observer applies
// too (RST validation, the acceptable ACK, the ACK of a FIN, the FIN) are
// pure functions in rules.go that both call. Every event returns a Result: the state before and
// after, the Reason (the rule that fired) and the segments to send. Where
// Linux differs from the RFC's letter, Config says which to follow.
//
// It is pure: no goroutines, no I/O and no clock. Time is passed in by the
// caller as a duration since an arbitrary origin (virtual time in the
// simulator, capture time for an observer).
package fsm
