package fsm

import "time"

// This file holds the user calls of RFC 9293 §3.10.1–3.10.6, plus
// shutdown(SHUT_WR) and a host restart. Each returns what it did as a
// Result; calls the state does not allow return the RFC's error and change
// nothing.

// Listen is OPEN with the passive flag (§3.10.1): CLOSED → LISTEN.
func (e *Endpoint) Listen(now time.Duration) (Result, error) {
	r := e.result()
	if e.state != Closed {
		return r, ErrConnectionExists
	}
	e.reset()
	e.state = Listen
	e.passive = true
	r.To, r.Reason = Listen, AppPassiveOpen
	return r, nil
}

// Connect is OPEN with the active flag (§3.10.1): CLOSED → SYN-SENT, and
// the SYN <SEQ=ISS><CTL=SYN> goes out. A SYN carries no ACK flag and an
// acknowledgment field of zero.
func (e *Endpoint) Connect(now time.Duration) (Result, error) {
	r := e.result()
	if e.state != Closed {
		return r, ErrConnectionExists
	}
	e.reset()
	e.activeOpen(now, &r)
	r.Reason = AppActiveOpen
	return r, nil
}

// activeOpen sends the SYN and enters SYN-SENT (from CLOSED, or from
// LISTEN on SEND).
func (e *Endpoint) activeOpen(now time.Duration, r *Result) {
	e.passive = false
	iss := e.cfg.ISS
	e.tcb.ISS, e.tcb.SndUna, e.tcb.SndNxt = iss, iss, iss.Add(1)
	syn := e.seg(SYN, iss, nil)
	e.rtxq = append(e.rtxq, syn)
	e.state = SynSent
	r.To = SynSent
	r.Out = append(r.Out, syn)
	e.armRtx(now, false)
}

// Send is SEND (§3.10.2). The data is queued; in ESTABLISHED and CLOSE-WAIT
// as much as the peer's window allows goes out at once in segments of up to
// MSS octets, PSH set on the one that empties the queue. In SYN-SENT and
// SYN-RECEIVED it waits for ESTABLISHED. In LISTEN it turns the connection
// active (Figure 5's LISTEN → SYN-SENT edge).
func (e *Endpoint) Send(now time.Duration, data []byte) (Result, error) {
	r := e.result()
	switch e.state {
	case Closed:
		return r, ErrConnectionDoesNotExist
	case FinWait1, FinWait2, Closing, LastAck, TimeWait:
		return r, ErrConnectionClosing
	}
	if e.finQueued { // shutdown(SHUT_WR) before the connection was established
		return r, ErrConnectionClosing
	}
	if len(data) == 0 && e.state != Listen {
		return r, nil
	}
	r.Reason = AppSend
	if e.state == Listen {
		// §3.10.2 LISTEN: "If the foreign socket is specified, then change
		// the connection from passive to active, select an ISS. Send a SYN
		// segment, set SND.UNA to ISS, SND.NXT to ISS+1."
		e.activeOpen(now, &r)
	}
	// The caller may reuse data; the endpoint keeps its own copy.
	e.sendBuf = append(e.sendBuf, data...)
	if e.state.Synchronized() {
		e.output(now, &r)
	}
	return r, nil
}

// Receive is RECEIVE (§3.10.3): it returns up to max octets of the data
// received in order and not yet read (all of it when max <= 0). Reading
// reopens the receive window; when that makes a window worth announcing
// (it had fallen below min(MSS, buffer/2) and is now above), a window
// update ACK goes out, as Linux's receive-side silly window avoidance does.
//
// With nothing buffered it returns no data and no error while the peer may
// still send, and ErrConnectionClosing once the peer's FIN has arrived (a
// socket read returning 0, end-of-file).
func (e *Endpoint) Receive(now time.Duration, max int) ([]byte, Result, error) {
	r := e.result()
	switch e.state {
	case Closed:
		return nil, r, ErrConnectionDoesNotExist
	case Listen, SynSent, SynReceived:
		return nil, r, nil // queued until ESTABLISHED: nothing to read yet
	}
	if len(e.rcvBuf) == 0 {
		if e.peerFin || !e.state.CanReceive() {
			return nil, r, ErrConnectionClosing
		}
		return nil, r, nil
	}
	n := len(e.rcvBuf)
	if max > 0 && max < n {
		n = max
	}
	before := e.rcvWnd()
	data := append([]byte(nil), e.rcvBuf[:n]...)
	e.rcvBuf = e.rcvBuf[n:]
	if len(e.rcvBuf) == 0 {
		e.rcvBuf = nil
	}
	r.Reason = AppReceive
	threshold := min(e.cfg.MSS, e.cfg.Window/2)
	if e.state.CanReceive() && !e.peerFin && before < threshold && e.rcvWnd() >= threshold {
		r.Out = append(r.Out, e.ackSeg())
	}
	return data, r, nil
}

// Shutdown is shutdown(SHUT_WR), the half-close: a FIN follows whatever
// data is queued and the endpoint keeps reading. ESTABLISHED → FIN-WAIT-1,
// CLOSE-WAIT → LAST-ACK; SYN-RECEIVED → FIN-WAIT-1 as CLOSE does; SYN-SENT
// → CLOSED (Linux tcp_shutdown closes a connection not yet established).
// Unlike Close, the socket is not orphaned, so FIN-WAIT-2 never times out.
func (e *Endpoint) Shutdown(now time.Duration) (Result, error) {
	r := e.result()
	switch e.state {
	case Closed, Listen:
		return r, ErrConnectionDoesNotExist
	case SynSent:
		e.toClosed()
		r.To, r.Reason = Closed, AppShutdown
		return r, nil
	case SynReceived, Established:
		e.state = FinWait1
	case CloseWait:
		e.state = LastAck
	default:
		return r, ErrConnectionClosing
	}
	e.finQueued = true
	r.To, r.Reason = e.state, AppShutdown
	e.output(now, &r)
	return r, nil
}

// Close is CLOSE (§3.10.4): the application is done with the connection.
//
//   - LISTEN, SYN-SENT: → CLOSED, nothing sent.
//   - SYN-RECEIVED, ESTABLISHED: → FIN-WAIT-1; CLOSE-WAIT: → LAST-ACK. The
//     FIN follows the queued data in a segment of its own (with ACK set).
//   - With received data unread and cfg.RSTOnUnreadClose, RST instead and
//     → CLOSED (RFC 2525 §2.17, Linux tcp_close): the peer must learn its
//     data was never read.
//   - After shutdown(SHUT_WR) (FIN already queued or sent), close only
//     orphans the socket: FIN-WAIT-2 now times out.
func (e *Endpoint) Close(now time.Duration) (Result, error) {
	r := e.result()
	switch e.state {
	case Closed:
		return r, ErrConnectionDoesNotExist
	case Listen, SynSent:
		e.toClosed()
		r.To, r.Reason = Closed, AppClose
		return r, nil
	}
	if e.userClosed {
		return r, ErrConnectionClosing
	}
	if e.cfg.RSTOnUnreadClose && len(e.rcvBuf) > 0 && e.state != TimeWait {
		r.Out = append(r.Out, e.activeRst())
		e.toClosed()
		r.To, r.Reason = Closed, AppCloseUnread
		return r, nil
	}
	e.userClosed = true
	r.Reason = AppClose
	switch e.state {
	case SynReceived, Established:
		e.state = FinWait1
	case CloseWait:
		e.state = LastAck
	case FinWait2:
		e.armFinWait2(now)
	}
	// FIN-WAIT-1, CLOSING, LAST-ACK, TIME-WAIT after shutdown: the FIN is
	// already on its way; nothing more to do.
	e.finQueued = true
	r.To = e.state
	e.output(now, &r)
	return r, nil
}

// Abort is ABORT (§3.10.5): in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1,
// FIN-WAIT-2 and CLOSE-WAIT a RST <SEQ=SND.NXT> goes out (with ACK, as
// Linux sends it for close() with SO_LINGER 0); in every state but CLOSED
// the connection is deleted and the endpoint is CLOSED.
func (e *Endpoint) Abort(now time.Duration) (Result, error) {
	r := e.result()
	switch e.state {
	case Closed:
		return r, ErrConnectionDoesNotExist
	case SynReceived, Established, FinWait1, FinWait2, CloseWait:
		r.Out = append(r.Out, e.activeRst())
	}
	e.toClosed()
	r.To, r.Reason = Closed, AppAbort
	return r, nil
}

// Restart models the host losing all its state (a crash or reboot): the
// endpoint is CLOSED at once and sends nothing. The peer finds out when its
// next segment meets a RST (§3.5.1, half-open connections).
func (e *Endpoint) Restart() Result {
	r := e.result()
	e.reset()
	e.state = Closed
	r.To, r.Reason = Closed, AppRestart
	return r
}
