package track

import (
	"time"

	"github.com/tcpviz/tcpviz/fsm"
)

// For a source that drives the connections it captures (the echo session):
// it makes the sockets' calls, so it knows when its timeline begins, whether
// the server listens, and that its clock runs between packets.

// StartAt makes capture time 0 the time ts (nanoseconds since the Unix
// epoch) rather than the first packet's, so that steps line up with the
// source's own steps before the first segment. Call it before the first Add.
func (t *Tracker) StartAt(ts int64) { t.origin, t.started = ts, true }

// SetListening tells the observers, of the connections seen and of those
// to come, whether the server is known to be listening
// (observe.Config.Listening): the source called listen() itself, or closed
// the listener.
func (t *Tracker) SetListening(known bool) {
	t.opts.Observe.Listening = known
	for i := range t.n {
		t.conn(i).obs.SetListening(known)
	}
}

// AdvanceTo moves capture time to ts (nanoseconds since the Unix epoch)
// with no packet: the TIME-WAIT expiries it passes fire, each a Timer step
// at its deadline, as when a packet's time passes them.
func (t *Tracker) AdvanceTo(ts int64) {
	if !t.started {
		return
	}
	t.now = max(t.now, time.Duration(ts-t.origin))
	t.expireDue(t.now)
}

// TCB returns both sides' variables as the observer has inferred them.
func (c *Conn) TCB() [2]fsm.TCB { return c.obs.TCB() }
