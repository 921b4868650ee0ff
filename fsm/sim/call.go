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
	OpListen   Op = iota // listen(): OPEN passive (§3.10.1)
	OpConnect            // connect(): OPEN active (§3.10.1)
	OpAccept             // accept(): the application takes the established connection; the endpoint is unchanged
	OpSend               // send(data): SEND (§3.10.2)
	OpEcho               // send(upper-cased copy of the data last received): the echo server's reply
	OpRecv               // recv(): RECEIVE (§3.10.3)
	OpShutdown           // shutdown(SHUT_WR): FIN, keep reading
	OpClose              // close(): CLOSE (§3.10.4)
	OpAbort              // close() with SO_LINGER 0: ABORT (§3.10.5)
	OpRestart            // the host crashes and comes back: all state lost (§3.5.1 half-open)
)

var opNames = [...]string{"listen", "connect", "accept", "send", "send", "recv", "shutdown", "close", "abort", "restart"}

// String returns the call's name, e.g. "connect".
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Call is one socket call with its argument.
type Call struct {
	Op   Op
	Data []byte // OpSend: the bytes to send
}

// Listen returns listen().
func Listen() Call { return Call{Op: OpListen} }

// Connect returns connect().
func Connect() Call { return Call{Op: OpConnect} }

// Accept returns accept().
func Accept() Call { return Call{Op: OpAccept} }

// Send returns send(data).
func Send(data string) Call { return Call{Op: OpSend, Data: []byte(data)} }

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
	var arg string
	switch c.Op {
	case OpSend:
		arg = strconv.Quote(string(c.Data))
	case OpEcho:
		arg = strconv.Quote(string(data))
	case OpShutdown:
		arg = "SHUT_WR"
	}
	return side.String() + "." + c.Op.String() + "(" + arg + ")"
}

// String returns the call without its side, e.g. `send("hello")`;
// `send(upper)` for an echo.
func (c Call) String() string {
	switch c.Op {
	case OpSend:
		return "send(" + strconv.Quote(string(c.Data)) + ")"
	case OpEcho:
		return "send(upper)"
	case OpShutdown:
		return "shutdown(SHUT_WR)"
	}
	return c.Op.String() + "()"
}

// upper returns an upper-cased copy of ASCII data, as the echo server does.
func upper(b []byte) []byte { return bytes.ToUpper(b) }
