package sim

import (
	"fmt"

	"github.com/tcpviz/tcpviz/fsm"
)

// history is what each side has called so far in a script, in the order
// the script runs: enough to tell a condition that can never hold or a
// call that can never succeed. It only ever says "never" when no run could
// get there, whatever the link does.
type history struct {
	opened  [2]bool // listen or connect
	listen  [2]bool
	connect [2]bool
	closing [2]bool // close or shutdown(SHUT_WR): its FIN may go out
	sent    [2]bool // send or echo
}

func (h *history) record(a Action) {
	s := a.Side
	switch a.Call.Op {
	case OpListen:
		h.opened[s], h.listen[s] = true, true
	case OpConnect:
		h.opened[s], h.connect[s] = true, true
	case OpClose, OpShutdown:
		h.closing[s] = true
	case OpSend, OpEcho:
		h.sent[s] = true
	}
}

// never returns why c can never hold after the calls recorded, or "".
func (h *history) never(c Cond) string {
	switch c := c.(type) {
	case allCond:
		var states [2]*fsm.State
		for _, x := range c {
			if why := h.never(x); why != "" {
				return why
			}
			if sc, ok := x.(stateCond); ok {
				if prev := states[sc.side]; prev != nil && *prev != sc.state {
					return fmt.Sprintf("the %s cannot be %s and %s at once", sc.side, *prev, sc.state)
				}
				states[sc.side] = &sc.state
			}
		}
	case stateCond:
		s, side := c.state, c.side
		var need bool
		var what string
		switch s {
		case fsm.Closed:
			need = true
		case fsm.Listen:
			need, what = h.listen[side], "listen"
		case fsm.SynSent:
			need, what = h.connect[side], "connect"
		case fsm.SynReceived, fsm.Established, fsm.CloseWait:
			need, what = h.opened[side], "listen or connect"
		default: // FIN-WAIT-1, FIN-WAIT-2, CLOSING, LAST-ACK, TIME-WAIT: this side's FIN
			need, what = h.closing[side], "close or shutdown SHUT_WR"
		}
		if !need {
			return fmt.Sprintf("the %s is never %s: no %s by the %s comes before", side, s, what, side)
		}
	case readableCond:
		if !h.sent[c.side.Peer()] {
			return fmt.Sprintf("the %s never has data: no send by the %s comes before", c.side, c.side.Peer())
		}
	case finishedCond:
		if !h.closing[c.side.Peer()] {
			return fmt.Sprintf("the %s never gets a FIN: no close or shutdown SHUT_WR by the %s comes before", c.side, c.side.Peer())
		}
	}
	return ""
}

// cannot returns why the call can never succeed after those recorded, or "".
func (h *history) cannot(a Action) string {
	switch a.Call.Op {
	case OpListen, OpConnect, OpRestart, OpLinger0:
		return ""
	}
	if !h.opened[a.Side] {
		return fmt.Sprintf("the %s has no connection: listen or connect comes first", a.Side)
	}
	return ""
}

// check finds, before anything runs, the lines that can never run.
func (p *parser) check() error {
	var h history
	for _, a := range p.sc.Setup {
		h.record(a)
	}
	for i, a := range p.sc.Script {
		at := p.src.script[i]
		if why := h.never(a.when()); why != "" {
			return p.src.errAt(at, "this call can never run: "+why)
		}
		if why := h.cannot(a); why != "" {
			return p.src.errAt(at, a.Side.String()+" "+a.Call.Op.String()+" can never succeed: "+why)
		}
		h.record(a)
	}
	return nil
}
