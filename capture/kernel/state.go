package kernel

import (
	"fmt"

	"github.com/tcpviz/tcpviz/fsm"
)

// LinuxState is a TCP state as the Linux kernel numbers it
// (include/net/tcp_states.h).
type LinuxState uint8

// The Linux TCP states.
const (
	TCPEstablished   LinuxState = 1
	TCPSynSent       LinuxState = 2
	TCPSynRecv       LinuxState = 3
	TCPFinWait1      LinuxState = 4
	TCPFinWait2      LinuxState = 5
	TCPTimeWait      LinuxState = 6
	TCPClose         LinuxState = 7
	TCPCloseWait     LinuxState = 8
	TCPLastAck       LinuxState = 9
	TCPListen        LinuxState = 10
	TCPClosing       LinuxState = 11
	TCPNewSynRecv    LinuxState = 12 // a listener's request socket: the SYN,ACK is sent, the ACK not yet in
	TCPBoundInactive LinuxState = 13 // bound, neither listening nor connecting (Linux ≥ 6.5)
)

var linuxNames = [...]string{
	TCPEstablished: "ESTABLISHED", TCPSynSent: "SYN_SENT", TCPSynRecv: "SYN_RECV",
	TCPFinWait1: "FIN_WAIT1", TCPFinWait2: "FIN_WAIT2", TCPTimeWait: "TIME_WAIT",
	TCPClose: "CLOSE", TCPCloseWait: "CLOSE_WAIT", TCPLastAck: "LAST_ACK",
	TCPListen: "LISTEN", TCPClosing: "CLOSING", TCPNewSynRecv: "NEW_SYN_RECV",
	TCPBoundInactive: "BOUND_INACTIVE",
}

// String returns the kernel's own name, e.g. "FIN_WAIT2".
func (s LinuxState) String() string {
	if int(s) < len(linuxNames) && linuxNames[s] != "" {
		return linuxNames[s]
	}
	return fmt.Sprintf("LinuxState(%d)", uint8(s))
}

// State maps the kernel's state onto RFC 9293's. ok is false for a number
// the kernel does not define (the state is then CLOSED).
//
// TCP_NEW_SYN_RECV is how Linux keeps a connection a listener has answered
// with SYN,ACK (a request socket, not yet a full socket): RFC 9293's
// SYN-RECEIVED. TCP_BOUND_INACTIVE and TCP_CLOSE have no connection: CLOSED.
func (s LinuxState) State() (st fsm.State, ok bool) {
	switch s {
	case TCPEstablished:
		return fsm.Established, true
	case TCPSynSent:
		return fsm.SynSent, true
	case TCPSynRecv, TCPNewSynRecv:
		return fsm.SynReceived, true
	case TCPFinWait1:
		return fsm.FinWait1, true
	case TCPFinWait2:
		return fsm.FinWait2, true
	case TCPTimeWait:
		return fsm.TimeWait, true
	case TCPClose, TCPBoundInactive:
		return fsm.Closed, true
	case TCPCloseWait:
		return fsm.CloseWait, true
	case TCPLastAck:
		return fsm.LastAck, true
	case TCPListen:
		return fsm.Listen, true
	case TCPClosing:
		return fsm.Closing, true
	}
	return fsm.Closed, false
}

// Timer is the timer the kernel reports running on a socket (the "timer:"
// column of ss -o).
type Timer uint8

// The timers of inet_diag_msg.idiag_timer.
const (
	TimerNone      Timer = 0
	TimerRetrans   Timer = 1 // retransmission (also SYN,ACK retransmission)
	TimerKeepalive Timer = 2 // keepalive, or the FIN-WAIT-2 timeout of an orphan
	TimerTimeWait  Timer = 3 // TIME-WAIT: the socket goes when it expires
	TimerProbe     Timer = 4 // zero window probe
)

// String names the timer as ss does.
func (t Timer) String() string {
	switch t {
	case TimerNone:
		return "none"
	case TimerRetrans:
		return "on"
	case TimerKeepalive:
		return "keepalive"
	case TimerTimeWait:
		return "timewait"
	case TimerProbe:
		return "persist"
	}
	return fmt.Sprintf("Timer(%d)", uint8(t))
}
