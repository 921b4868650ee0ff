package timeline

import (
	"net/netip"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
)

// Truth is what a source that drives real sockets knows of a step beyond
// the packets: the echo session fills it, and the kernel lab will. It is
// nil on the steps of every other source (simulation, captures).
type Truth struct {
	HasKernel bool         // the kernel was asked after this step
	Kernel    [2]fsm.State // as the Linux kernel reports each socket (one it no longer has is CLOSED)
	Predicted [2]fsm.State // as the simulator predicts for the same calls and wire decisions
}

// Agree reports whether the kernel's, the observed and the predicted states
// all agree.
func (t *Truth) Agree(observed [2]fsm.State) bool {
	return t != nil && t.HasKernel && t.Kernel == observed && t.Predicted == observed
}

// Fact is one thing a source knows of a step beyond its segment, states
// and reasons, as data: what a socket call returned, why the kernel, the
// packets and the simulator disagree. Never prose: fsm/narrate words each
// kind in every language, as it words fsm.Reason. Which fields a kind uses
// is said at the kind.
type Fact struct {
	Kind     FactKind
	Side     fsm.Side       // the endpoint it is about
	Dir      fsm.Dir        // a segment's direction
	Flags    fsm.Flags      // a segment's flags
	Len      uint32         // a segment's payload length
	From, To fsm.State      // a state change
	Local    netip.AddrPort // a socket's or server's address
	Remote   netip.AddrPort // a socket's peer
	Dur      time.Duration  // how long
	N, M     int64          // counts
	Text     string         // data only: bytes read, an errno's name, a library's error
}

// FactKind is what a Fact says.
type FactKind uint8

// The facts, by the source that records them. Fields used are in brackets.
const (
	FactNone FactKind = iota

	// The simulator (and the echo session for FactCallFailed, FactRecvEOF).
	FactSetup      // calls made before the first step [Text: the calls, e.g. "server.listen()"]
	FactCallFailed // the step's call failed [Text: the error, e.g. "EPIPE (broken pipe)"]
	FactRecvEOF    // recv() returns 0 [Side: the receiver]
	FactRecvShutRD // recv() returns 0 on a socket shut down for reading [Side]
	FactShutRD     // shutdown(SHUT_RD): nothing sent, no state changed [Side]
	FactLinger0    // SO_LINGER on with a timeout of 0: close() will abort [Side]

	// The echo session.

	// The session.
	FactCaptureOff     // packet capture is off [Text: why; "" for --no-capture]
	FactNewConnection  // a new client socket with a new port
	FactKernelUnasked  // the kernel could not be asked [Text: the error]
	FactKernelOwn      // the kernel changed a socket's state with no call or segment [Side, From, To]
	FactTCPInfo        // the kernel's tcp_info of a socket [Side, Dur: srtt, N: cwnd, M: retransmitted]
	FactDelayedACK     // Linux held a pure ACK back; the simulator ACKs at once [Dur: how long]
	FactUnpredicted    // a captured segment the simulator did not predict [Flags]
	FactUnseen         // a predicted segment the capture did not see [Dir, Flags, Len]
	FactListenAssumed  // the observer assumes a listener; the simulator knows none
	FactDataAfterClose // data reached a side whose application closed: RST follows [Side]
	FactSegDisagree    // the packets' states differ from the prediction (the step's States, Predicted)
	FactDisagree       // the kernel, the packets and the prediction differ on a side [Side]
	FactDisagreeNoCap  // the kernel and the prediction differ on a side, without capture [Side]

	// Why a FactDisagree or FactDisagreeNoCap, right before, happened.
	FactCauseRefusedOrClosed // a closed port and a refusing listener look the same
	FactCauseKernelTWFirst   // the kernel's TIME-WAIT ended before the simulator's
	FactCauseSimTWFirst      // the simulator's TIME-WAIT ended before the kernel's
	FactCauseSegmentPending  // a segment (often a delayed ACK) has not gone out yet
	FactCauseKernelBehind    // the kernel has not processed the last segment, or the capture missed one

	// Socket calls.
	FactAccepted       // accept() changes no state
	FactNewListener    // a new listener leaves the connection's sockets alone
	FactAddrInUse      // bind() failed with EADDRINUSE [N: 1 if SO_REUSEADDR was set]
	FactPortHeld       // a socket holds the port [N: the port, Local, Remote, From: its state, Dur: TIME-WAIT left]
	FactPortHeldUnseen // the kernel lists no socket on the port [N: the port]
	FactPortUnasked    // the kernel could not be asked which socket holds the port
	FactReuseAddr      // SO_REUSEADDR let bind() share the port with TIME-WAIT
	FactConnRefused    // connect() failed with ECONNREFUSED [Local: the server]
	FactRecvData       // recv() returned data [Text: the bytes, N: their count]
	FactListenerClosed // the listener is closed: new SYNs get RST [N: 1 if it aborted a queued connection]
	FactAborted        // SO_LINGER 0: close() sends RST
	FactSimRefuses     // the simulator refuses a call the kernel accepted [Text: its error]
	FactSimRecvReset   // the simulator says the connection was reset; Linux still reads

	// FactKinds is the number of kinds, for tests that cover every one.
	FactKinds = iota
)
