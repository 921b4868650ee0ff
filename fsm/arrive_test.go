package fsm

import "testing"

// TestSegmentArrives covers SEGMENT ARRIVES (§3.10.7) beyond Figure 5's
// edges: the replies to segments a state does not expect, in the RFC's
// order of checks.
func TestSegmentArrives(t *testing.T) {
	runEdges(t, []edge{
		// §3.10.7.1 CLOSED.
		{"§3.10.7.1", "CLOSED: ACK answered with <SEQ=SEG.ACK><CTL=RST>", "CLOSED", []string{"in:<SEQ=301><ACK=101><CTL=ACK>"}, Closed, RcvInClosed,
			"<SEQ=101><CTL=RST>", nil},
		{"§3.10.7.1", "CLOSED: SYN answered with <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>", "CLOSED", []string{"in:<SEQ=300><CTL=SYN>"}, Closed, RcvInClosed,
			"<SEQ=0><ACK=301><CTL=RST,ACK>", nil},
		{"§3.10.7.1", "CLOSED: RST dropped", "CLOSED", []string{"in:<SEQ=300><CTL=RST>"}, Closed, RcvRstIgnored, "", nil},

		// §3.10.7.2 LISTEN.
		{"§3.10.7.2", "LISTEN: RST ignored", "LISTEN", []string{"in:<SEQ=300><CTL=RST>"}, Listen, RcvRstInListen, "", nil},
		{"§3.10.7.2", "LISTEN: ACK answered with <SEQ=SEG.ACK><CTL=RST>", "LISTEN", []string{"in:<SEQ=300><ACK=555><CTL=ACK>"}, Listen, RcvAckInListen,
			"<SEQ=555><CTL=RST>", nil},
		{"§3.10.7.2", "LISTEN: no SYN, dropped", "LISTEN", []string{"in:<SEQ=300><CTL=FIN>"}, Listen, RcvIgnored, "", nil},

		// §3.10.7.3 SYN-SENT.
		{"§3.10.7.3", "SYN-SENT: RST acknowledging the SYN: refused", "SYN-SENT", []string{"in:<SEQ=0><ACK=101><CTL=RST,ACK>"}, Closed, RcvRstRefused, "", nil},
		{"RFC 5961 §3.2", "SYN-SENT: RST without ACK dropped", "SYN-SENT", []string{"in:<SEQ=300><CTL=RST>"}, SynSent, RcvRstIgnored, "", nil},
		{"§3.10.7.3", "SYN-SENT: ACK not of our SYN: RST", "SYN-SENT", []string{"in:<SEQ=300><ACK=500><CTL=SYN,ACK>"}, SynSent, RcvBadAckSynSent,
			"<SEQ=500><CTL=RST>", nil},
		{"§3.10.7.3", "SYN-SENT: ACK =< ISS: RST", "SYN-SENT", []string{"in:<SEQ=300><ACK=100><CTL=ACK>"}, SynSent, RcvBadAckSynSent,
			"<SEQ=100><CTL=RST>", nil},
		{"§3.10.7.3", "SYN-SENT: bad ACK on a RST: dropped", "SYN-SENT", []string{"in:<SEQ=300><ACK=500><CTL=RST,ACK>"}, SynSent, RcvRstIgnored, "", nil},
		{"§3.10.7.3", "SYN-SENT: neither SYN nor RST: dropped", "SYN-SENT", []string{"in:<SEQ=300><ACK=101><CTL=ACK>"}, SynSent, RcvIgnored, "", nil},
		{"§3.10.7.3", "SYN-SENT: data on the SYN,ACK is taken", "SYN-SENT", []string{"in:<SEQ=300><ACK=101><CTL=SYN,ACK><DATA=hi>"}, Established, RcvSynAck,
			"<SEQ=101><ACK=303><CTL=ACK><WND=998>", nil},

		// SYN-RECEIVED.
		{"§3.10.7.4", "SYN-RECEIVED: ACK not of our SYN: RST", "SYN-RECEIVED", []string{"in:<SEQ=301><ACK=200><CTL=ACK>"}, SynReceived, RcvBadAckSynRcvd,
			"<SEQ=200><CTL=RST>", nil},
		{"Linux tcp_check_req", "SYN-RECEIVED: the peer's SYN again: SYN,ACK again", "SYN-RECEIVED", []string{"in:<SEQ=300><CTL=SYN>"}, SynReceived, RcvDuplicate,
			"<SEQ=100><ACK=301><CTL=SYN,ACK>", nil},
		{"§3.10.7.4", "SYN-RECEIVED (passive): in-window SYN: back to LISTEN", "SYN-RECEIVED", []string{"in:<SEQ=305><CTL=SYN>"}, Listen, RcvSynToListen, "", nil},
		{"§3.10.7.4", "SYN-RECEIVED (active): RST: refused", "SYN-RECEIVED/active", []string{"in:<SEQ=301><CTL=RST>"}, Closed, RcvRstRefused, "", nil},
		{"Figure 7", "SYN-RECEIVED (active): the peer's SYN,ACK: ESTABLISHED, nothing sent", "SYN-RECEIVED/active", []string{"in:<SEQ=300><ACK=101><CTL=SYN,ACK>"}, Established, RcvAckOfSyn, "", nil},
		{"RFC 5961 §4", "SYN-RECEIVED (active): in-window SYN: challenge ACK", "SYN-RECEIVED/active", []string{"in:<SEQ=305><CTL=SYN>"}, SynReceived, RcvSynChallenge,
			"<SEQ=101><ACK=301><CTL=ACK>", nil},
		{"§3.10.7.4", "SYN-RECEIVED: data with the ACK of the SYN", "SYN-RECEIVED", []string{"in:<SEQ=301><ACK=101><CTL=ACK><DATA=hello>"}, Established, RcvAckOfSyn,
			"<SEQ=101><ACK=306><CTL=ACK><WND=995>", nil},
		{"§3.10.7.4", "SYN-RECEIVED: FIN with the ACK of the SYN → CLOSE-WAIT", "SYN-RECEIVED", []string{"in:<SEQ=301><ACK=101><CTL=FIN,ACK>"}, CloseWait, RcvFin,
			"<SEQ=101><ACK=302><CTL=ACK>", nil},
		{"§3.10.7.4", "SYN-RECEIVED: no ACK bit: dropped", "SYN-RECEIVED", []string{"in:<SEQ=301><CTL=FIN>"}, SynReceived, RcvIgnored, "", nil},

		// First check: sequence number.
		{"§3.10.7.4 first", "segment beyond the window: ACK and drop", "ESTABLISHED", []string{"in:<SEQ=5000><ACK=101><CTL=ACK><DATA=x>"}, Established, RcvUnacceptable,
			"<SEQ=101><ACK=301><CTL=ACK>", nil},
		{"§3.10.7.4 first", "empty segment beyond the window: ACK and drop", "ESTABLISHED", []string{"in:<SEQ=1301><ACK=101><CTL=ACK>"}, Established, RcvUnacceptable,
			"<SEQ=101><ACK=301><CTL=ACK>", nil},
		{"§3.10.7.4 first", "empty segment at the window's last octet: accepted", "ESTABLISHED", []string{"in:<SEQ=1300><ACK=101><CTL=ACK>"}, Established, RcvDupAck, "", nil},
		{"§3.10.7.4 first", "retransmitted data: ACK again", "ESTABLISHED", []string{"in:<SEQ=301><ACK=101><CTL=ACK><DATA=hello>", "in:<SEQ=301><ACK=101><CTL=ACK><DATA=hello>"}, Established, RcvDuplicate,
			"<SEQ=101><ACK=306><CTL=ACK><WND=995>", nil},
		{"§3.10.7.4 first", "retransmitted SYN,ACK in ESTABLISHED: ACK again", "ESTABLISHED", []string{"in:<SEQ=300><ACK=101><CTL=SYN,ACK>"}, Established, RcvDuplicate,
			"<SEQ=101><ACK=301><CTL=ACK>", nil},
		{"§3.10.7.4 first", "retransmitted FIN in CLOSE-WAIT: ACK again", "CLOSE-WAIT", []string{"in:<SEQ=301><ACK=101><CTL=FIN,ACK>"}, CloseWait, RcvDuplicate,
			"<SEQ=101><ACK=302><CTL=ACK>", nil},
		{"§3.10.7.4 first", "overlapping data: only the new part is taken", "ESTABLISHED", []string{"in:<SEQ=301><ACK=101><CTL=ACK><DATA=hello>", "in:<SEQ=303><ACK=101><CTL=ACK><DATA=llo w>"}, Established, RcvData,
			"<SEQ=101><ACK=308><CTL=ACK><WND=993>", nil},
		{"§3.10.7.4 first", "data past the window is cut off", "ESTABLISHED", append(fill(998), "in:<SEQ=1299><ACK=101><CTL=FIN,ACK><DATA=12345>"), Established, RcvData,
			"<SEQ=101><ACK=1301><CTL=ACK><WND=0>", nil},
		{"§3.10.7.4 first", "zero window: data at RCV.NXT is refused but its ACK is taken", "ESTABLISHED", append(fill(1000), "in:<SEQ=1301><ACK=101><CTL=ACK><DATA=z>"), Established, RcvDupAck,
			"<SEQ=101><ACK=1301><CTL=ACK><WND=0>", nil},

		// Second check: RST (RFC 5961 §3).
		{"§3.10.7.4 second", "RST at RCV.NXT: reset", "ESTABLISHED", []string{"in:<SEQ=301><CTL=RST>"}, Closed, RcvRst, "", nil},
		{"RFC 5961 §3.2", "RST in the window, not at RCV.NXT: challenge ACK", "ESTABLISHED", []string{"in:<SEQ=400><CTL=RST>"}, Established, RcvRstChallenge,
			"<SEQ=101><ACK=301><CTL=ACK>", nil},
		{"RFC 5961 §3.2", "RST outside the window: dropped", "ESTABLISHED", []string{"in:<SEQ=5000><CTL=RST>"}, Established, RcvRstIgnored, "", nil},
		{"§3.10.7.4 second", "RST in FIN-WAIT-2: reset", "FIN-WAIT-2", []string{"in:<SEQ=301><CTL=RST>"}, Closed, RcvRst, "", nil},
		{"§3.10.7.4 second", "RST in CLOSE-WAIT: reset", "CLOSE-WAIT", []string{"in:<SEQ=302><CTL=RST>"}, Closed, RcvRst, "", nil},
		{"§3.10.7.4 second", "RST in LAST-ACK: closed", "LAST-ACK", []string{"in:<SEQ=302><CTL=RST>"}, Closed, RcvRst, "", nil},
		{"§3.10.7.4 second", "RST in TIME-WAIT: closed", "TIME-WAIT", []string{"in:<SEQ=302><CTL=RST>"}, Closed, RcvRst, "", nil},

		// Fourth check: SYN (RFC 5961 §4).
		{"RFC 5961 §4", "SYN in ESTABLISHED: challenge ACK", "ESTABLISHED", []string{"in:<SEQ=400><CTL=SYN>"}, Established, RcvSynChallenge,
			"<SEQ=101><ACK=301><CTL=ACK>", nil},
		{"RFC 5961 §4", "SYN in CLOSE-WAIT: challenge ACK", "CLOSE-WAIT", []string{"in:<SEQ=302><CTL=SYN>"}, CloseWait, RcvSynChallenge,
			"<SEQ=101><ACK=302><CTL=ACK>", nil},

		// Fifth check: ACK.
		{"§3.10.7.4 fifth", "no ACK bit: dropped", "ESTABLISHED", []string{"in:<SEQ=301><DATA=x>"}, Established, RcvIgnored, "", nil},
		{"§3.10.7.4 fifth", "ACK of new data advances SND.UNA", "ESTABLISHED", []string{"send:hello", "in:<SEQ=301><ACK=106><CTL=ACK>"}, Established, RcvAck, "", nil},
		{"§3.10.7.4 fifth", "ACK of part of the data", "ESTABLISHED", []string{"send:hello", "in:<SEQ=301><ACK=103><CTL=ACK>", "tick:1s"}, Established, TimerRetransmit,
			"<SEQ=103><ACK=301><CTL=ACK,PSH><DATA=llo>", nil},
		{"§3.10.7.4 fifth", "duplicate ACK: ignored", "ESTABLISHED", []string{"send:hello", "in:<SEQ=301><ACK=101><CTL=ACK>"}, Established, RcvDupAck, "", nil},
		{"§3.10.7.4 fifth", "ACK of something not yet sent: ACK and drop", "ESTABLISHED", []string{"in:<SEQ=301><ACK=500><CTL=ACK><DATA=x>"}, Established, RcvAckFuture,
			"<SEQ=101><ACK=301><CTL=ACK>", nil},
		{"§3.10.7.4 fifth", "window update", "ESTABLISHED", []string{"in:<SEQ=301><ACK=101><CTL=ACK><WND=2000>"}, Established, RcvWindowUpdate, "", nil},
		{"§3.10.7.4 fifth", "window opens: queued data goes out", "ESTABLISHED/peer-wnd0", []string{"send:abc", "in:<SEQ=301><ACK=101><CTL=ACK><WND=2>"}, Established, RcvWindowUpdate,
			"<SEQ=101><ACK=301><CTL=ACK><DATA=ab>", nil},
		{"§3.10.7.4 fifth", "FIN-WAIT-1: ACK short of the FIN", "FIN-WAIT-1", []string{"in:<SEQ=301><ACK=101><CTL=ACK>"}, FinWait1, RcvDupAck, "", nil},
		{"§3.10.7.4 fifth", "CLOSING: ACK short of the FIN: ignored", "CLOSING", []string{"in:<SEQ=302><ACK=101><CTL=ACK>"}, Closing, RcvDupAck, "", nil},
		{"§3.10.7.4 fifth", "LAST-ACK: ACK short of the FIN", "LAST-ACK", []string{"in:<SEQ=302><ACK=101><CTL=ACK>"}, LastAck, RcvDupAck, "", nil},

		// Sixth check: URG, ignored.
		{"§3.10.7.4 sixth", "URG: the data is taken as ordinary data", "ESTABLISHED", []string{"in:<SEQ=301><ACK=101><CTL=ACK,URG><DATA=!>"}, Established, RcvData,
			"<SEQ=101><ACK=302><CTL=ACK><WND=999>", nil},

		// Seventh check: text.
		{"§3.10.7.4 seventh", "in-order data: ACK at once", "ESTABLISHED", []string{"in:<SEQ=301><ACK=101><CTL=ACK,PSH><DATA=hello>"}, Established, RcvData,
			"<SEQ=101><ACK=306><CTL=ACK><WND=995>", nil},
		{"§3.10.7.4 seventh", "out-of-order data: duplicate ACK", "ESTABLISHED", []string{"in:<SEQ=306><ACK=101><CTL=ACK><DATA=world>"}, Established, RcvOutOfOrder,
			"<SEQ=101><ACK=301><CTL=ACK>", nil},
		{"§3.10.7.4 seventh", "out-of-order data is held: the gap filled, one ACK covers both", "ESTABLISHED",
			[]string{"in:<SEQ=306><ACK=101><CTL=ACK><DATA=world>", "in:<SEQ=301><ACK=101><CTL=ACK><DATA=hello>"}, Established, RcvData,
			"<SEQ=101><ACK=311><CTL=ACK><WND=990>", nil},
		{"§3.10.7.4 eighth", "a FIN held beyond a gap is processed when the gap fills", "ESTABLISHED",
			[]string{"in:<SEQ=306><ACK=101><CTL=FIN,ACK><DATA=world>", "in:<SEQ=301><ACK=101><CTL=ACK><DATA=hello>"}, CloseWait, RcvFin,
			"<SEQ=101><ACK=312><CTL=ACK><WND=990>", nil},
		{"§3.10.7.4 seventh", "held segments overlapping what arrived are trimmed", "ESTABLISHED",
			[]string{"in:<SEQ=304><ACK=101><CTL=ACK><DATA=lo wo>", "in:<SEQ=309><ACK=101><CTL=ACK><DATA=rld>", "in:<SEQ=301><ACK=101><CTL=ACK><DATA=hello>", "recv"}, Established, AppReceive,
			"", nil},
		{"§3.10.7.4 seventh", "data in FIN-WAIT-2 after shutdown: taken", "FIN-WAIT-2/shutdown", []string{"in:<SEQ=301><ACK=102><CTL=ACK><DATA=more>"}, FinWait2, RcvData,
			"<SEQ=102><ACK=305><CTL=ACK><WND=996>", nil},
		{"§3.10.7.4 seventh", "data in FIN-WAIT-1 after shutdown: taken", "FIN-WAIT-1/shutdown", []string{"in:<SEQ=301><ACK=101><CTL=ACK><DATA=more>"}, FinWait1, RcvData,
			"<SEQ=102><ACK=305><CTL=ACK><WND=996>", nil},
		{"RFC 1122 §4.2.2.13", "data after close(): RST (Linux)", "FIN-WAIT-2", []string{"in:<SEQ=301><ACK=102><CTL=ACK><DATA=more>"}, Closed, RcvDataAfterClose,
			"<SEQ=102><CTL=RST>", nil},
		{"§3.10.7.4 seventh", "data after the peer's FIN: ignored", "CLOSE-WAIT", []string{"in:<SEQ=302><ACK=101><CTL=ACK><DATA=late>"}, CloseWait, RcvIgnored, "", nil},

		// Eighth check: FIN.
		{"§3.10.7.4 eighth", "data and FIN in one segment", "ESTABLISHED", []string{"in:<SEQ=301><ACK=101><CTL=FIN,ACK><DATA=bye>"}, CloseWait, RcvFin,
			"<SEQ=101><ACK=305><CTL=ACK><WND=997>", nil},
		{"§3.10.7.4 eighth", "FIN beyond a gap waits", "ESTABLISHED", []string{"in:<SEQ=305><ACK=101><CTL=FIN,ACK>"}, Established, RcvOutOfOrder,
			"<SEQ=101><ACK=301><CTL=ACK>", nil},
		{"§3.10.7.4 eighth", "TIME-WAIT: retransmitted FIN: ACK, 2·MSL again", "TIME-WAIT", []string{"tick:30s", "in:<SEQ=301><ACK=102><CTL=FIN,ACK>"}, TimeWait, RcvFinInTimeWait,
			"<SEQ=102><ACK=302><CTL=ACK>", nil},
		{"§3.10.7.4 eighth", "TIME-WAIT restarted: still there after the first 2·MSL", "TIME-WAIT", []string{"tick:30s", "in:<SEQ=301><ACK=102><CTL=FIN,ACK>", "tick:59s"}, TimeWait, ReasonNone, "", nil},
		{"§3.10.7.4 eighth", "TIME-WAIT restarted: expires 2·MSL after the FIN", "TIME-WAIT", []string{"tick:30s", "in:<SEQ=301><ACK=102><CTL=FIN,ACK>", "tick:60s"}, Closed, TimerTimeWait, "", nil},
	})
}

// fill returns steps that fill A's 1000-octet buffer from ESTABLISHED
// (RCV.NXT 301), leaving RCV.NXT at 1301 and the window at zero.
func fill(n int) []string {
	data := make([]byte, n)
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	var steps []string
	seq := 301
	for len(data) > 0 {
		k := min(len(data), 500)
		steps = append(steps, "in:<SEQ="+itoa(seq)+"><ACK=101><CTL=ACK><DATA="+string(data[:k])+">")
		seq += k
		data = data[k:]
	}
	return steps
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}
