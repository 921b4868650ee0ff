// Package fsm is the TCP state machine of RFC 9293, with nothing else in it:
// the states, segments, flags and sequence arithmetic, one endpoint's
// event processing (§3.10), and the vocabulary (sides, directions, reasons)
// that the simulator, the passive observer and every view share.
//
// It is pure: no goroutines, no I/O and no clock. Time is passed in by the
// caller as a duration since an arbitrary origin (virtual time in the
// simulator, capture time for an observer).
package fsm
