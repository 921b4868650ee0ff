package fsm

import "fmt"

// State is a connection state of RFC 9293 §3.3.2 (Figure 5).
type State uint8

// The eleven states of RFC 9293, in the order Figure 5 introduces them.
const (
	Closed State = iota
	Listen
	SynSent
	SynReceived
	Established
	FinWait1
	FinWait2
	CloseWait
	Closing
	LastAck
	TimeWait
)

// NumStates is the number of states, for tables indexed by State.
const NumStates = int(TimeWait) + 1

var stateNames = [NumStates]string{
	Closed:      "CLOSED",
	Listen:      "LISTEN",
	SynSent:     "SYN-SENT",
	SynReceived: "SYN-RECEIVED",
	Established: "ESTABLISHED",
	FinWait1:    "FIN-WAIT-1",
	FinWait2:    "FIN-WAIT-2",
	CloseWait:   "CLOSE-WAIT",
	Closing:     "CLOSING",
	LastAck:     "LAST-ACK",
	TimeWait:    "TIME-WAIT",
}

// String returns the state spelled as RFC 9293 does, e.g. "SYN-RECEIVED".
func (s State) String() string {
	if int(s) < NumStates {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// MarshalText lets encoding/json write a State as its RFC name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses an RFC state name.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseState returns the State named as RFC 9293 spells it.
func ParseState(name string) (State, error) {
	for i, n := range stateNames {
		if n == name {
			return State(i), nil
		}
	}
	return Closed, fmt.Errorf("unknown TCP state %q", name)
}

// Valid reports whether s is one of the eleven states.
func (s State) Valid() bool { return int(s) < NumStates }

// Synchronized reports whether the state is one of the synchronized states of
// RFC 9293 §3.5.2 (ESTABLISHED and every state after it), where both sides
// have each other's initial sequence number.
func (s State) Synchronized() bool { return s >= Established && s <= TimeWait }

// CanSend reports whether the user may still SEND in this state (§3.10.2):
// the write side is open.
func (s State) CanSend() bool { return s == Established || s == CloseWait }

// CanReceive reports whether data from the peer may still arrive (§3.10.7.4,
// sixth check): the peer has not sent its FIN.
func (s State) CanReceive() bool {
	return s == Established || s == FinWait1 || s == FinWait2
}
