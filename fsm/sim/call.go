package sim

import (
	"bytes"
	"strconv"

	"github.com/tcpviz/tcpviz/fsm"
)

// Op is a socket call an application makes.
type Op uint8

// The calls. Each maps onto one user call of RFC 9293 §3.10 (or, for
// Accept and Restart, onto what the application or host does around it).
const (
	OpListen       Op = iota // listen(): OPEN passive (§3.10.1)
	OpConnect                // connect(): OPEN active (§3.10.1)
	OpAccept                 // accept(): the application takes the established connection; the endpoint is unchanged
	OpSend                   // send(data): SEND (§3.10.2)
	OpEcho                   // send(upper-cased copy of the data last received): the echo server's reply
	OpRecv                   // recv(): RECEIVE (§3.10.3)
	OpShutdown               // shutdown(SHUT_WR): FIN, keep reading
	OpClose                  // close(): CLOSE (§3.10.4)
	OpAbort                  // close() with SO_LINGER 0: ABORT (§3.10.5)
	OpRestart                // the host crashes and comes back: all state lost (§3.5.1 half-open)
	OpShutdownRead           // shutdown(SHUT_RD): nothing is sent; recv() returns what is queued, then 0
	OpLinger0                // setsockopt(SO_LINGER, {on, 0}): a later close() aborts
)

var opNames = [...]string{"listen", "connect", "accept", "send", "send", "recv", "shutdown", "close", "abort", "restart", "shutdown", "setsockopt"}

// String returns the call's name, e.g. "connect".
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Call is one socket call with its argument.
type Call struct {
	Op    Op
	Data  []byte // OpSend: the bytes to send
	Max   int    // OpRecv: at most this many bytes; 0 = everything queued
	sized bool   // OpSend of SendN: the label gives the size, not the bytes
}

// Listen returns listen().
func Listen() Call { return Call{Op: OpListen} }

// Connect returns connect().
func Connect() Call { return Call{Op: OpConnect} }

// Accept returns accept().
func Accept() Call { return Call{Op: OpAccept} }

// Send returns send(data).
func Send(data string) Call { return Call{Op: OpSend, Data: []byte(data)} }

// SendN returns send() of n bytes of filler ("abc…z" repeated), written
// send(n bytes) in the timeline.
func SendN(n int) Call {
	data := make([]byte, n)
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	return Call{Op: OpSend, Data: data, sized: true}
}

// RecvN returns recv() of at most n bytes.
func RecvN(n int) Call { return Call{Op: OpRecv, Max: n} }

// ShutdownRead returns shutdown(SHUT_RD).
func ShutdownRead() Call { return Call{Op: OpShutdownRead} }

// Linger0 returns setsockopt(SO_LINGER) with linger on and a timeout of 0,
// which makes the next close() an abort.
func Linger0() Call { return Call{Op: OpLinger0} }

// Echo returns send() of the data this side last received, upper-cased.
func Echo() Call { return Call{Op: OpEcho} }

// Recv returns recv().
func Recv() Call { return Call{Op: OpRecv} }

// Shutdown returns shutdown(SHUT_WR).
func Shutdown() Call { return Call{Op: OpShutdown} }

// Close returns close().
func Close() Call { return Call{Op: OpClose} }

// Abort returns an abortive close (SO_LINGER 0).
func Abort() Call { return Call{Op: OpAbort} }

// Restart returns the host's crash and reboot.
func Restart() Call { return Call{Op: OpRestart} }

// Label returns the call as the timeline spec writes it, made by side,
// e.g. `client.send("hello")` or `client.shutdown(SHUT_WR)`. data is what
// OpEcho sends (ignored for other calls).
func (c Call) Label(side fsm.Side, data []byte) string {
	if c.Op == OpEcho {
		return side.String() + ".send(" + strconv.Quote(string(data)) + ")"
	}
	return side.String() + "." + c.String()
}

// String returns the call without its side, e.g. `send("hello")`;
// `send(upper)` for an echo.
func (c Call) String() string {
	var arg string
	switch c.Op {
	case OpSend:
		arg = strconv.Quote(string(c.Data))
		if c.sized {
			arg = strconv.Itoa(len(c.Data)) + " bytes"
		}
	case OpEcho:
		arg = "upper"
	case OpRecv:
		if c.Max > 0 {
			arg = strconv.Itoa(c.Max)
		}
	case OpShutdown:
		arg = "SHUT_WR"
	case OpShutdownRead:
		arg = "SHUT_RD"
	case OpLinger0:
		arg = "SO_LINGER, 0"
	}
	return c.Op.String() + "(" + arg + ")"
}

// upper returns an upper-cased copy of ASCII data, as the echo server does.
func upper(b []byte) []byte { return bytes.ToUpper(b) }
