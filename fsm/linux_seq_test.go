package fsm

import "testing"

// TestLinuxSeqChecks covers the three places where Linux's sequence checks
// are wider than §3.10.7.4's (Config.LinuxSeqChecks), each against the
// RFC's letter (RFCConfig). The passive observer, cross-checked against
// real Linux captures, found them; both apply them through CheckRst and
// SeqAcceptable.
func TestLinuxSeqChecks(t *testing.T) {
	cases := []struct {
		name     string
		from     string
		in       string
		linux    State
		linuxWhy Reason
		rfc      State
		rfcWhy   Reason
	}{{
		// Simultaneous close: the peer resends its FIN, now acknowledging
		// ours. The FIN is old (it ends at RCV.NXT), but Linux still takes
		// its ACK (tcp_sequence compares the end with rcv_wup), so CLOSING
		// ends a round trip sooner.
		name: "resent FIN acknowledging our FIN, in CLOSING",
		from: "CLOSING", in: "in:<SEQ=301><ACK=102><CTL=FIN,ACK>",
		linux: TimeWait, linuxWhy: RcvAckOfFin,
		rfc: Closing, rfcWhy: RcvDuplicate,
	}, {
		// tcp_reset_check: after the peer's FIN a RST at RCV.NXT-1 (from a
		// peer that does not count its FIN) resets.
		name: "RST at RCV.NXT-1 after the peer's FIN, in CLOSE-WAIT",
		from: "CLOSE-WAIT", in: "in:<SEQ=301><CTL=RST>",
		linux: Closed, linuxWhy: RcvRst,
		rfc: CloseWait, rfcWhy: RcvRstIgnored,
	}, {
		name: "RST at RCV.NXT-1 after the peer's FIN, in LAST-ACK",
		from: "LAST-ACK", in: "in:<SEQ=301><CTL=RST>",
		linux: Closed, linuxWhy: RcvRst,
		rfc: LastAck, rfcWhy: RcvRstIgnored,
	}, {
		// tcp_timewait_state_process: in TIME-WAIT only a RST at exactly
		// RCV.NXT is acted on; one elsewhere in the window gets no
		// challenge ACK (RFC 5961 §3.2 would send one).
		name: "RST in the window, not at RCV.NXT, in TIME-WAIT",
		from: "TIME-WAIT", in: "in:<SEQ=400><CTL=RST>",
		linux: TimeWait, linuxWhy: RcvRstIgnored,
		rfc: TimeWait, rfcWhy: RcvRstChallenge,
	}}
	for _, c := range cases {
		for _, linux := range []bool{true, false} {
			name := c.name + " (RFC letter)"
			want, why := c.rfc, c.rfcWhy
			if linux {
				name, want, why = c.name+" (Linux)", c.linux, c.linuxWhy
			}
			t.Run(name, func(t *testing.T) {
				x := setupEndpoint(t, c.from)
				x.e.cfg.LinuxSeqChecks = linux
				rs, _, err := x.do(c.in)
				if err != nil {
					t.Fatal(err)
				}
				r := rs[len(rs)-1]
				if x.e.State() != want || r.Reason != why {
					t.Errorf("got %s (%s), want %s (%s)", x.e.State(), r.Reason, want, why)
				}
			})
		}
	}
}
