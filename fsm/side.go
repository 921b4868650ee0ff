package fsm

// Side names one of the two endpoints of a connection. Arrays of per-endpoint
// values are indexed by Side.
type Side uint8

// The two endpoints. The client is the endpoint that sent the first SYN.
const (
	Client Side = iota
	Server
)

// Peer returns the other side.
func (s Side) Peer() Side { return 1 - s }

// String returns "client" or "server".
func (s Side) String() string {
	if s == Client {
		return "client"
	}
	return "server"
}

// Dir is the direction a segment travels.
type Dir uint8

// The two directions.
const (
	C2S Dir = iota // client to server
	S2C            // server to client
)

// From returns the side that sends in this direction.
func (d Dir) From() Side { return Side(d) }

// To returns the side that receives in this direction.
func (d Dir) To() Side { return Side(d).Peer() }

// DirFrom returns the direction of segments sent by side s.
func DirFrom(s Side) Dir { return Dir(s) }

// String returns "c2s" or "s2c", as the timeline spec spells them.
func (d Dir) String() string {
	if d == C2S {
		return "c2s"
	}
	return "s2c"
}
