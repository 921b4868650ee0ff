package fsm

// Reasons of the passive observer (package observe), which infers states
// from segments seen on the wire rather than living them.
const (
	ObsNone Reason = ObserverReasons + iota
)
