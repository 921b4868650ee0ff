package fsm

import "time"

// This file holds the timers of §3.10.8 and what follows when they fire:
// retransmission (with its give-up), the persist probe, TIME-WAIT and the
// FIN-WAIT-2 orphan timeout.

// NextDeadline returns when the earliest armed timer fires; ok is false
// when no timer is armed.
func (e *Endpoint) NextDeadline() (at time.Duration, ok bool) {
	for _, t := range [...]*timer{&e.rtx, &e.tw, &e.fw2} {
		if t.armed && (!ok || t.at < at) {
			at, ok = t.at, true
		}
	}
	return at, ok
}

// Tick fires every timer due at or before now, earliest first, and returns
// what each did. A timer fires at the time it was due, not at now, so that
// backoff stays exact when the caller ticks late.
func (e *Endpoint) Tick(now time.Duration) []Result {
	var out []Result
	for i := 0; i < 1000; i++ { // a bound: each firing moves its deadline on or stops it
		at, ok := e.NextDeadline()
		if !ok || at > now {
			break
		}
		out = append(out, e.fire(at))
	}
	return out
}

// fire runs the timer due at time at.
func (e *Endpoint) fire(at time.Duration) Result {
	r := e.result()
	switch {
	case e.tw.armed && e.tw.at == at:
		// §3.10.8: "If the time-wait timeout expires on a connection, delete
		// the TCB, enter the CLOSED state, and return."
		e.toClosed()
		r.To, r.Reason = Closed, TimerTimeWait
	case e.fw2.armed && e.fw2.at == at:
		// Linux tcp_fin_timeout: an orphaned connection does not wait in
		// FIN-WAIT-2 for a FIN that may never come. It goes quietly.
		e.toClosed()
		r.To, r.Reason = Closed, TimerFinWait2
	default:
		e.fireRtx(at, &r)
	}
	return r
}

// fireRtx handles the retransmission timer (§3.10.8, RFC 6298 §5.4–5.6):
// resend the oldest unacknowledged segment, double the RTO and restart the
// timer; after cfg.MaxRetries retransmissions, give up and drop the
// connection (a passive connection's half-open SYN-RECEIVED goes back to
// LISTEN, as Linux drops the request and keeps listening).
func (e *Endpoint) fireRtx(at time.Duration, r *Result) {
	if e.probing {
		// §3.8.6.1 zero-window probe, in Linux's form: a segment with an
		// old sequence number (SND.UNA-1) and no data, which the peer must
		// answer with an ACK carrying its current window.
		r.Reason = TimerPersist
		r.Out = append(r.Out, e.seg(ACK, e.tcb.SndUna.Add(^uint32(0)), nil))
		e.backoff()
		e.rtx.set(at + e.rto)
		return
	}
	if len(e.rtxq) == 0 {
		e.rtx.stop()
		return
	}
	if e.retries >= e.cfg.MaxRetries {
		r.Reason = TimerGiveUp
		if e.state == SynReceived && e.passive {
			e.toListen()
		} else {
			e.toClosed()
		}
		r.To = e.state
		return
	}
	e.retries++
	r.Reason = TimerRetransmit
	r.Out = append(r.Out, e.retransmit())
	e.backoff()
	e.rtx.set(at + e.rto)
}

// armRtx keeps the retransmission timer in step with the queue (RFC 6298
// §5): running while anything is unacknowledged, stopped when all is. With
// restart (new data acknowledged) it restarts at the initial RTO: with no
// RTT measurement here, the backoff ends when the path is shown to work.
// With nothing in flight, data waiting and the peer's window shut, the same
// timer becomes the persist timer (§3.8.6.1).
func (e *Endpoint) armRtx(now time.Duration, restart bool) {
	if restart {
		e.rto, e.retries = e.cfg.RTO, 0
	}
	switch {
	case len(e.rtxq) > 0:
		if !e.rtx.armed || restart || e.probing {
			e.rtx.set(now + e.rto)
		}
		e.probing = false
	case len(e.sendBuf) > 0 && e.tcb.SndWnd == 0 && e.state.Synchronized():
		if !e.rtx.armed || !e.probing {
			e.rto, e.retries = e.cfg.RTO, 0
			e.rtx.set(now + e.rto)
		}
		e.probing = true
	default:
		e.rtx.stop()
		e.probing = false
		e.rto, e.retries = e.cfg.RTO, 0
	}
}

// backoff doubles the RTO (RFC 6298 §5.5), up to 120 s as Linux caps it.
func (e *Endpoint) backoff() {
	e.rto *= 2
	if e.rto > maxRTO {
		e.rto = max(maxRTO, e.cfg.RTO)
	}
}
