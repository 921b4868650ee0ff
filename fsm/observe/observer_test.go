package observe

import (
	"strings"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

type scenario struct {
	name  string
	rfc   string // the section the expected states follow
	mid   bool
	steps []step
	done  bool                            // Done() after the last step
	check func(t *testing.T, o *Observer) // more checks after the last step
}

func runScenarios(t *testing.T, cases []scenario) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := New(DefaultConfig(), tc.mid)
			run(t, &o, tc.steps)
			if got := o.Done(); got != tc.done {
				t.Errorf("Done() = %v, want %v (%s)", got, tc.done, tc.rfc)
			}
			if tc.check != nil {
				tc.check(t, &o)
			}
		})
	}
}

func TestObserveOpenAndClose(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "client closes first, four segments",
		rfc:  "RFC 9293 §3.5 Figure 6, §3.6 Figure 12",
		steps: join(handshake(), []step{
			seg(C, PSH|ACK, 1001, 5001, 5).want(ES, ES),
			seg(S, ACK, 5001, 1006, 0).want(ES, ES),
			seg(S, PSH|ACK, 5001, 1006, 5).want(ES, ES),
			seg(C, ACK, 1006, 5006, 0).want(ES, ES),
			seg(C, FIN|ACK, 1006, 5006, 0).want(F1, CW).because(fsm.ObsFinSent, fsm.RcvFin),
			seg(S, ACK, 5006, 1007, 0).want(F2, CW).because(fsm.RcvAckOfFin, 0),
			seg(S, FIN|ACK, 5006, 1007, 0).want(TW, LA).because(fsm.RcvFin, fsm.ObsFinSentLastAck),
			seg(C, ACK, 1007, 5007, 0).want(TW, CL).because(0, fsm.RcvAckOfFin),
		}),
		done: true,
		check: func(t *testing.T, o *Observer) {
			isn, known := o.ISN()
			if isn != [2]fsm.Seq{1000, 5000} || known != [2]bool{true, true} {
				t.Errorf("ISN() = %v %v", isn, known)
			}
			if u := o.Uncertain(); u != [2]string{} {
				t.Errorf("Uncertain() = %q, want none", u)
			}
			tcb := o.TCB()
			if c := tcb[fsm.Client]; c.ISS != 1000 || c.IRS != 5000 || c.SndNxt != 1007 || c.SndUna != 1007 || c.RcvNxt != 5007 {
				t.Errorf("client TCB = %+v", c)
			}
		},
	}, {
		name: "server closes first, FIN,ACK piggybacked",
		rfc:  "RFC 9293 §3.6 Figure 12 (roles swapped), §3.10.7.4 eighth check FIN-WAIT-1",
		steps: join(handshake(), []step{
			seg(S, FIN|ACK, 5001, 1001, 0).want(CW, F1).because(fsm.RcvFin, fsm.ObsFinSent),
			seg(C, FIN|ACK, 1001, 5002, 0).want(LA, TW).because(fsm.ObsFinSentLastAck, fsm.RcvFinAckOfFin),
			seg(S, ACK, 5002, 1002, 0).want(CL, TW).because(fsm.RcvAckOfFin, 0),
		}),
		done: true,
	}, {
		name: "client closes first, three segments",
		rfc:  "RFC 9293 §3.10.7.4 eighth check: FIN-WAIT-1 receiving a FIN that acknowledges its FIN enters TIME-WAIT",
		steps: join(handshake(), []step{
			seg(C, FIN|ACK, 1001, 5001, 0).want(F1, CW),
			seg(S, FIN|ACK, 5001, 1002, 0).want(TW, LA).because(fsm.RcvFinAckOfFin, fsm.ObsFinSentLastAck),
			seg(C, ACK, 1002, 5002, 0).want(TW, CL),
		}),
		done: true,
	}, {
		name: "half-close with data from the CLOSE-WAIT side",
		rfc:  "RFC 9293 §3.6: a side in CLOSE-WAIT may still send; FIN-WAIT-2 still receives",
		steps: join(handshake(), []step{
			seg(C, FIN|ACK, 1001, 5001, 0).want(F1, CW),
			seg(S, ACK, 5001, 1002, 0).want(F2, CW),
			seg(S, PSH|ACK, 5001, 1002, 100).want(F2, CW),
			seg(C, ACK, 1002, 5101, 0).want(F2, CW),
			seg(S, PSH|ACK, 5101, 1002, 100).want(F2, CW),
			seg(C, ACK, 1002, 5201, 0).want(F2, CW),
			seg(S, FIN|ACK, 5201, 1002, 0).want(TW, LA),
			seg(C, ACK, 1002, 5202, 0).want(TW, CL),
		}),
		done: true,
	}, {
		name: "simultaneous open",
		rfc:  "RFC 9293 §3.5 Figure 7",
		steps: []step{
			seg(C, SYN, 100, 0, 0).want(SS, LI),
			seg(S, SYN, 300, 0, 0).want(SR, SR).because(fsm.RcvSynSimultaneous, fsm.RcvSynSimultaneous),
			seg(C, SYN|ACK, 100, 301, 0).want(SR, ES).flag(timeline.Retransmission).because(0, fsm.RcvAckOfSyn),
			seg(S, SYN|ACK, 300, 101, 0).want(ES, ES).flag(timeline.Retransmission).because(fsm.RcvAckOfSyn, 0),
			seg(C, FIN|ACK, 101, 301, 0).want(F1, CW),
		},
		check: func(t *testing.T, o *Observer) {
			if _, known := o.ISN(); known != [2]bool{true, true} {
				t.Errorf("ISNs not known after simultaneous open")
			}
		},
	}, {
		name: "simultaneous close",
		rfc:  "RFC 9293 §3.6 Figure 13",
		steps: join(handshake(), []step{
			seg(C, FIN|ACK, 1001, 5001, 0).want(F1, CW),
			seg(S, FIN|ACK, 5001, 1001, 0).want(CG, CG).because(fsm.RcvFin, fsm.ObsFinsCrossed),
			seg(C, ACK, 1002, 5002, 0).want(CG, TW).because(0, fsm.RcvAckOfFin),
			seg(S, ACK, 5002, 1002, 0).want(TW, TW).because(fsm.RcvAckOfFin, 0),
		}),
		done: true,
	}, {
		name: "SYN,ACK not captured: the client's ACK proves it",
		rfc:  "RFC 9293 §3.10.7.3: only a SYN-SENT side that received an acceptable SYN,ACK sends a plain ACK",
		steps: []step{
			seg(C, SYN, 1000, 0, 0).want(SS, LI),
			seg(C, ACK, 1001, 5001, 0).want(ES, ES).because(fsm.ObsAckProvesSyn, fsm.RcvAckOfSyn),
		},
	}, {
		name: "capture starts at the SYN,ACK",
		rfc:  "RFC 9293 §3.5: a SYN,ACK acknowledges the SYN it answers",
		steps: []step{
			seg(S, SYN|ACK, 5000, 1001, 0).want(ES, SR),
			seg(C, ACK, 1001, 5001, 0).want(ES, ES),
		},
		check: func(t *testing.T, o *Observer) {
			if isn, known := o.ISN(); isn[fsm.Client] != 1000 || !known[fsm.Client] {
				t.Errorf("client ISN = %d %v, want 1000 inferred", isn[fsm.Client], known[fsm.Client])
			}
		},
	}, {
		name: "handshake completed by data",
		rfc:  "RFC 9293 §3.10.7.4 fifth check: SYN-RECEIVED → ESTABLISHED on any acceptable ACK",
		steps: []step{
			seg(C, SYN, 1000, 0, 0).want(SS, LI),
			seg(S, SYN|ACK, 5000, 1001, 0).want(ES, SR),
			seg(C, PSH|ACK, 1001, 5001, 20).want(ES, ES).because(0, fsm.RcvAckOfSyn),
		},
	}, {
		name: "mid-stream join",
		rfc:  "issue 4: a connection picked up mid-stream starts ESTABLISHED on both sides",
		mid:  true,
		steps: []step{
			seg(C, PSH|ACK, 77777, 88888, 10).want(ES, ES),
			seg(S, ACK, 88888, 77787, 0).want(ES, ES),
			seg(S, FIN|ACK, 88888, 77787, 0).want(CW, F1),
			seg(C, ACK, 77787, 88889, 0).want(CW, F2),
			seg(C, FIN|ACK, 77787, 88889, 0).want(LA, TW),
			seg(S, ACK, 88889, 77788, 0).want(CL, TW),
		},
		done: true,
		check: func(t *testing.T, o *Observer) {
			if _, known := o.ISN(); known != [2]bool{} {
				t.Errorf("ISN known mid-stream: %v", known)
			}
			if u := o.Uncertain(); !strings.Contains(u[0], "mid-stream") {
				t.Errorf("Uncertain() = %q, want mid-stream noted", u)
			}
		},
	}, {
		name: "sequence numbers wrap around 2^32",
		rfc:  "RFC 9293 §3.4: sequence comparisons are modulo 2^32",
		steps: []step{
			seg(C, SYN, 0xFFFFFFF0, 0, 0).want(SS, LI),
			seg(S, SYN|ACK, 0xFFFFFFFF, 0xFFFFFFF1, 0).want(ES, SR),
			seg(C, ACK, 0xFFFFFFF1, 0, 0).want(ES, ES),
			seg(C, PSH|ACK, 0xFFFFFFF1, 0, 32).want(ES, ES),
			seg(S, ACK, 0, 0x11, 0).want(ES, ES),
			seg(C, PSH|ACK, 0xFFFFFFF1, 0, 32).atT(time.Second).want(ES, ES).flag(timeline.Retransmission),
			seg(C, PSH|ACK, 0x21, 0, 16).want(ES, ES).flag(timeline.LostSegment),
			seg(C, PSH|ACK, 0x11, 0, 16).want(ES, ES).flag(timeline.OutOfOrder),
			seg(C, FIN|ACK, 0x31, 0, 0).want(F1, CW),
			seg(S, FIN|ACK, 0, 0x32, 0).want(TW, LA),
			seg(C, ACK, 0x32, 1, 0).want(TW, CL),
		},
		done: true,
	}})
}

func TestObserveResets(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "refused: RST,ACK answers the SYN",
		rfc:  "RFC 9293 §3.10.7.1 (CLOSED answers with RST), §3.10.7.3 (acceptable RST in SYN-SENT)",
		steps: []step{
			seg(C, SYN, 1000, 0, 0).want(SS, LI),
			seg(S, RST|ACK, 0, 1001, 0).window(0).want(CL, CL).because(fsm.RcvRstRefused, fsm.ObsRefused),
		},
		done: true,
		check: func(t *testing.T, o *Observer) {
			if u := o.Uncertain(); u != [2]string{} {
				t.Errorf("Uncertain() = %q, want none", u)
			}
		},
	}, {
		name: "RST without ACK in SYN-SENT is ignored",
		rfc:  "RFC 9293 §3.10.7.3: in SYN-SENT a RST is acceptable only if its ACK acknowledges the SYN",
		steps: []step{
			seg(C, SYN, 1000, 0, 0).want(SS, LI),
			seg(S, RST, 0, 0, 0).window(0).want(SS, LI).because(fsm.RcvRstIgnored, 0),
		},
	}, {
		name: "RST with a wrong ACK in SYN-SENT is ignored",
		rfc:  "RFC 9293 §3.10.7.3",
		steps: []step{
			seg(C, SYN, 1000, 0, 0).want(SS, LI),
			seg(S, RST|ACK, 0, 1234, 0).window(0).want(SS, LI).because(fsm.RcvRstIgnored, 0),
			seg(C, SYN, 1000, 0, 0).atT(time.Second).want(SS, LI).flag(timeline.Retransmission).because(fsm.ObsRetransmitted, 0),
		},
	}, {
		name: "abort: RST at RCV.NXT closes both",
		rfc:  "RFC 9293 §3.10.7.4 second check; RFC 5961 §3.2 (exact match)",
		steps: join(handshake(), []step{
			seg(C, PSH|ACK, 1001, 5001, 10).want(ES, ES),
			seg(C, RST|ACK, 1011, 5001, 0).window(0).want(CL, CL).because(fsm.ObsRstSent, fsm.RcvRst),
		}),
		done: true,
	}, {
		name: "RST at the FIN's sequence number in CLOSE-WAIT",
		rfc:  "RFC 5961 §3.2 as Linux applies it (tcp_reset_check)",
		steps: join(handshake(), []step{
			seg(C, FIN|ACK, 1001, 5001, 0).want(F1, CW),
			seg(S, ACK, 5001, 1002, 0).want(F2, CW),
			seg(C, RST, 1001, 0, 0).window(0).want(CL, CL),
		}),
		done: true,
	}, {
		name: "RST outside the window is ignored",
		rfc:  "RFC 9293 §3.10.7.4 first check; RFC 5961 §3.2",
		steps: join(handshake(), []step{
			seg(S, RST, 5001+1<<20, 0, 0).window(0).want(ES, ES).because(fsm.RcvRstIgnored, 0),
			seg(C, PSH|ACK, 1001, 5001, 10).want(ES, ES),
		}),
		check: func(t *testing.T, o *Observer) {
			for i, u := range o.Uncertain() {
				if !strings.Contains(u, "outside the window") {
					t.Errorf("Uncertain()[%d] = %q, want the ignored RST noted", i, u)
				}
			}
		},
	}, {
		name: "RST in the window but not at RCV.NXT: challenge ACK, then exact RST",
		rfc:  "RFC 5961 §3.2",
		steps: join(handshake(), []step{
			seg(S, RST, 5101, 0, 0).window(0).want(ES, CL).because(fsm.RcvRstChallenge, fsm.ObsRstSent),
			seg(C, ACK, 1001, 5001, 0).want(ES, CL).flag(timeline.DupAck),
			seg(S, RST, 5001, 0, 0).window(0).want(CL, CL).because(fsm.RcvRst, 0),
		}),
		done: true,
	}, {
		name: "RST in SYN-RECEIVED from a passive open returns to LISTEN",
		rfc:  "RFC 9293 §3.10.7.4 second check, SYN-RECEIVED",
		steps: []step{
			seg(C, SYN, 1000, 0, 0).want(SS, LI),
			seg(S, SYN|ACK, 5000, 1001, 0).want(ES, SR),
			seg(C, RST, 1001, 0, 0).window(0).want(CL, LI).because(fsm.ObsRstSent, fsm.RcvRstToListen),
		},
		done: true,
	}, {
		name: "SYN,ACK with a bad ACK: the client's RST leaves it SYN-SENT",
		rfc:  "RFC 9293 §3.10.7.3 first check (unacceptable ACK: send RST, stay)",
		steps: []step{
			seg(C, SYN, 1000, 0, 0).want(SS, LI),
			seg(S, SYN|ACK, 5000, 777, 0).want(SS, SR).because(fsm.RcvBadAckSynSent, fsm.ObsSynAckSent),
			seg(C, RST, 777, 0, 0).window(0).want(SS, SR),
		},
	}, {
		name: "RST in TIME-WAIT",
		rfc:  "RFC 9293 §3.10.7.4 second check, TIME-WAIT; Linux tcp_rfc1337 = 0",
		steps: join(handshake(), []step{
			seg(C, FIN|ACK, 1001, 5001, 0).want(F1, CW),
			seg(S, FIN|ACK, 5001, 1001, 0).want(CG, CG),
			seg(C, ACK, 1002, 5002, 0).want(CG, TW),
			seg(S, ACK, 5002, 1002, 0).want(TW, TW),
			seg(C, RST, 1999, 0, 0).window(0).want(TW, TW).because(0, fsm.RcvRstIgnored),
			seg(C, RST, 1002, 0, 0).window(0).want(CL, CL).because(fsm.ObsRstSent, fsm.RcvRst),
		}),
		done: true,
	}})
}

func TestObserveRepeats(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "retransmitted SYN",
		rfc:  "RFC 9293 §3.8.1 (retransmission timeout); RFC 6298 initial RTO 1 s",
		steps: []step{
			seg(C, SYN, 1000, 0, 0).want(SS, LI),
			seg(C, SYN, 1000, 0, 0).atT(time.Second).want(SS, LI).flag(timeline.Retransmission).because(fsm.ObsRetransmitted, 0),
			seg(C, SYN, 1000, 0, 0).atT(3*time.Second).want(SS, LI).flag(timeline.Retransmission),
			seg(S, SYN|ACK, 5000, 1001, 0).want(ES, SR),
			seg(C, ACK, 1001, 5001, 0).want(ES, ES),
		},
	}, {
		name: "retransmitted SYN,ACK after the handshake",
		rfc:  "RFC 9293 §3.10.7.4 (a synchronized side re-ACKs an old SYN,ACK); no state goes back",
		steps: join(handshake(), []step{
			seg(S, SYN|ACK, 5000, 1001, 0).atT(time.Second).want(ES, ES).flag(timeline.Retransmission).because(0, fsm.ObsRetransmitted),
			seg(C, ACK, 1001, 5001, 0).want(ES, ES).flag(timeline.DupAck),
		}),
		check: func(t *testing.T, o *Observer) {
			if u := o.Uncertain(); !strings.Contains(u[fsm.Server], "lost") {
				t.Errorf("Uncertain()[server] = %q, want the loss noted", u[fsm.Server])
			}
		},
	}, {
		name: "retransmitted FIN after its ACK",
		rfc:  "RFC 9293 §3.10.7.4 eighth check; no state goes back",
		steps: join(handshake(), []step{
			seg(C, FIN|ACK, 1001, 5001, 0).want(F1, CW),
			seg(S, ACK, 5001, 1002, 0).want(F2, CW),
			seg(C, FIN|ACK, 1001, 5001, 0).atT(time.Second).want(F2, CW).flag(timeline.Retransmission).because(fsm.ObsRetransmitted, 0),
		}),
	}, {
		name: "retransmitted FIN restarts TIME-WAIT",
		rfc:  "RFC 9293 §3.10.7.4 eighth check, TIME-WAIT: restart the 2 MSL timeout",
		steps: join(handshake(), []step{
			seg(C, FIN|ACK, 1001, 5001, 0).want(F1, CW),
			seg(S, ACK, 5001, 1002, 0).want(F2, CW),
			seg(S, FIN|ACK, 5001, 1002, 0).atT(10*time.Second).want(TW, LA),
			seg(S, FIN|ACK, 5001, 1002, 0).atT(11*time.Second).want(TW, LA).flag(timeline.Retransmission).because(fsm.RcvFinInTimeWait, fsm.ObsRetransmitted),
			seg(C, ACK, 1002, 5002, 0).want(TW, CL),
		}),
		done: true,
		check: func(t *testing.T, o *Observer) {
			if at, ok := o.NextExpiry(); !ok || at != 71*time.Second {
				t.Errorf("NextExpiry() = %v %v, want 71s", at, ok)
			}
		},
	}, {
		name: "duplicated segment changes nothing",
		rfc:  "RFC 9293 §3.10.7.4 first check: a copy is old data, acknowledged again",
		steps: join(handshake(), []step{
			seg(C, PSH|ACK, 1001, 5001, 10).atT(time.Second).want(ES, ES),
			seg(C, PSH|ACK, 1001, 5001, 10).atT(time.Second+100*time.Microsecond).want(ES, ES).flag(timeline.Duplicate),
			seg(S, ACK, 5001, 1011, 0).want(ES, ES),
			seg(S, ACK, 5001, 1011, 0).want(ES, ES).flag(timeline.DupAck),
			seg(C, FIN|ACK, 1011, 5001, 0).want(F1, CW),
			seg(C, FIN|ACK, 1011, 5001, 0).want(F1, CW).flag(timeline.Duplicate).because(0, 0),
		}),
	}, {
		name: "duplicated SYN and SYN,ACK change nothing",
		rfc:  "RFC 9293 §3.10.7.2 and §3.10.7.3: a repeated SYN is answered again, never re-opened",
		steps: []step{
			seg(C, SYN, 1000, 0, 0).atT(time.Second).want(SS, LI),
			seg(C, SYN, 1000, 0, 0).atT(time.Second+50*time.Microsecond).want(SS, LI).flag(timeline.Duplicate).because(0, 0),
			seg(S, SYN|ACK, 5000, 1001, 0).atT(time.Second+time.Millisecond).want(ES, SR),
			seg(S, SYN|ACK, 5000, 1001, 0).atT(time.Second+time.Millisecond+50*time.Microsecond).want(ES, SR).flag(timeline.Duplicate).because(0, 0),
			seg(C, ACK, 1001, 5001, 0).want(ES, ES),
		},
	}, {
		name: "lost segment, out of order, retransmission, zero window",
		rfc:  "Wireshark tcp.analysis.lost_segment, out_of_order, retransmission, zero_window",
		steps: join(handshake(), []step{
			seg(C, PSH|ACK, 1001, 5001, 100).want(ES, ES),
			seg(C, PSH|ACK, 1201, 5001, 100).want(ES, ES).flag(timeline.LostSegment),
			seg(C, PSH|ACK, 1101, 5001, 100).want(ES, ES).flag(timeline.OutOfOrder),
			seg(S, ACK, 5001, 1301, 0).want(ES, ES),
			seg(S, ACK, 5001, 1301, 0).want(ES, ES).flag(timeline.DupAck),
			seg(C, PSH|ACK, 1101, 5001, 100).atT(time.Second).want(ES, ES).flag(timeline.Retransmission),
			seg(C, PSH|ACK, 1401, 5001, 100).want(ES, ES).flag(timeline.LostSegment),
			seg(C, PSH|ACK, 1301, 5001, 100).atT(time.Second+300*time.Millisecond).want(ES, ES).flag(timeline.Retransmission),
			seg(S, ACK, 5001, 1301, 0).window(0).want(ES, ES).flag(timeline.ZeroWindow),
			seg(C, ACK, 1500, 5001, 1).want(ES, ES),
			seg(S, ACK, 5001, 1301, 0).window(0).want(ES, ES).flag(timeline.ZeroWindow),
		}),
		check: func(t *testing.T, o *Observer) {
			if r := o.TCB()[fsm.Server].RcvNxt; r != 1501 {
				t.Errorf("server RCV.NXT = %d, want 1501", r)
			}
		},
	}})
}

func TestTimeWaitExpiresOnCaptureClock(t *testing.T) {
	// RFC 9293 §3.10.8: the time-wait timeout; both sides are in TIME-WAIT
	// after a simultaneous close (Figure 13), entered at different times.
	o := New(Config{TimeWait: 10 * time.Second}, false)
	last := run(t, &o, join(handshake(), []step{
		seg(C, FIN|ACK, 1001, 5001, 0).want(F1, CW),
		seg(S, FIN|ACK, 5001, 1001, 0).want(CG, CG),
		seg(C, ACK, 1002, 5002, 0).atT(time.Second).want(CG, TW),
		seg(S, ACK, 5002, 1002, 0).atT(2*time.Second).want(TW, TW),
	}))
	if last != 2*time.Second {
		t.Fatalf("last = %v", last)
	}
	if at, ok := o.NextExpiry(); !ok || at != 11*time.Second {
		t.Fatalf("NextExpiry() = %v %v, want 11s", at, ok)
	}
	if _, ok := o.Expire(11*time.Second - 1); ok {
		t.Fatal("Expire before the deadline reported a change")
	}
	u, ok := o.Expire(time.Minute)
	if !ok || u.States != [2]fsm.State{TW, CL} || u.Why != [2]fsm.Reason{0, fsm.TimerTimeWait} {
		t.Fatalf("first Expire = %+v %v, want the server CLOSED", u, ok)
	}
	if at, _ := o.NextExpiry(); at != 12*time.Second {
		t.Fatalf("NextExpiry() = %v, want 12s", at)
	}
	u, ok = o.Expire(time.Minute)
	if !ok || u.States != [2]fsm.State{CL, CL} || u.Why != [2]fsm.Reason{fsm.TimerTimeWait, 0} {
		t.Fatalf("second Expire = %+v %v, want the client CLOSED", u, ok)
	}
	if _, ok := o.Expire(time.Hour); ok {
		t.Fatal("Expire with nothing armed reported a change")
	}
	if !o.Done() {
		t.Fatal("Done() = false after both sides closed")
	}
}

func TestDoneForPortReuse(t *testing.T) {
	// Linux accepts a new SYN in TIME-WAIT (tcp_timewait_state_process):
	// the tracker starts a new connection when Done says the old one is over.
	o := New(DefaultConfig(), false)
	if o.Done() {
		t.Fatal("Done() before any segment")
	}
	steps := join(handshake(), []step{
		seg(C, FIN|ACK, 1001, 5001, 0).want(F1, CW),
		seg(S, FIN|ACK, 5001, 1002, 0).want(TW, LA),
		seg(C, ACK, 1002, 5002, 0).want(TW, CL),
	})
	for i := range steps {
		run(t, &o, steps[i:i+1])
		if got, want := o.Done(), i == len(steps)-1; got != want {
			t.Fatalf("after step %d Done() = %v, want %v", i+1, got, want)
		}
	}
}

func TestInitialStates(t *testing.T) {
	o := New(Config{}, false)
	if o.States() != [2]fsm.State{CL, LI} {
		t.Errorf("New: %v", o.States())
	}
	if o.timeWait != 60*time.Second {
		t.Errorf("zero Config TimeWait = %v, want Linux's 60 s", o.timeWait)
	}
	if u := o.Uncertain(); u != [2]string{} {
		t.Errorf("Uncertain before any segment = %q", u)
	}
	m := New(DefaultConfig(), true)
	if m.States() != [2]fsm.State{ES, ES} || !m.MidStream() {
		t.Errorf("New mid-stream: %v", m.States())
	}
	if u := m.Init(); u.Why != [2]fsm.Reason{fsm.ObsMidStream, fsm.ObsMidStream} || u.States != m.States() {
		t.Errorf("Init() mid-stream = %+v", u)
	}
	if u := o.Init(); u.Why != [2]fsm.Reason{} || u.States != [2]fsm.State{CL, LI} {
		t.Errorf("Init() = %+v", u)
	}
}

func TestObserveGapsAndOldSegments(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "a FIN after a gap waits until a retransmission fills it",
		rfc:  "RFC 9293 §3.10.7.4 eighth check (the FIN is processed in sequence); Linux's out-of-order queue",
		steps: join(handshake(), []step{
			seg(C, PSH|ACK, 1001, 5001, 100).want(ES, ES),
			seg(C, PSH|ACK, 1201, 5001, 100).want(ES, ES).flag(timeline.LostSegment),
			seg(C, FIN|ACK, 1301, 5001, 0).want(F1, ES).because(fsm.ObsFinSent, 0),
			seg(S, ACK, 5001, 1101, 0).want(F1, ES),
			seg(C, PSH|ACK, 1101, 5001, 100).atT(time.Second).want(F1, CW).flag(timeline.Retransmission).because(0, fsm.RcvFin),
			seg(S, ACK, 5001, 1302, 0).want(F2, CW),
		}),
	}, {
		name: "a gap only the capture missed: the receiver's ACK releases the FIN",
		rfc:  "RFC 9293 §3.10.7.4 fifth check: an ACK proves what its sender received",
		steps: join(handshake(), []step{
			seg(C, PSH|ACK, 1001, 5001, 100).want(ES, ES),
			seg(C, PSH|ACK, 1201, 5001, 100).want(ES, ES).flag(timeline.LostSegment),
			seg(C, FIN|ACK, 1301, 5001, 0).want(F1, ES),
			seg(S, ACK, 5001, 1302, 0).want(F2, CW).because(fsm.RcvAckOfFin, fsm.RcvFin),
		}),
		check: func(t *testing.T, o *Observer) {
			if u := o.Uncertain(); strings.Contains(u[fsm.Server], "gap") || strings.Contains(u[fsm.Server], "FIN followed") {
				t.Errorf("Uncertain()[server] = %q after the gap was acknowledged", u[fsm.Server])
			}
		},
	}, {
		name: "an old segment's ACK is not processed",
		rfc:  "RFC 9293 §3.10.7.4 first check; Linux tcp_sequence (end_seq before rcv_wup)",
		steps: join(handshake(), []step{
			seg(C, FIN|ACK, 1001, 5001, 0).want(F1, CW),
			seg(S, PSH|ACK, 5001, 1001, 10).want(F1, CW),
			seg(S, PSH|ACK, 5011, 1001, 10).want(F1, CW),
			seg(S, PSH|ACK, 5001, 1002, 10).atT(time.Second).want(F1, CW).flag(timeline.Retransmission),
			seg(S, ACK, 5021, 1002, 0).want(F2, CW).flag(timeline.DupAck).because(fsm.RcvAckOfFin, 0),
		}),
	}, {
		name: "a RST that crossed the sender's data: dropped, but its sender is CLOSED",
		rfc:  "RFC 9293 §3.10.7.1 (RST takes SEG.ACK as its sequence number), §3.10.7.4 first check",
		steps: join(handshake(), []step{
			seg(S, PSH|ACK, 5001, 1001, 10).want(ES, ES),
			seg(C, PSH|ACK, 1001, 5001, 10).want(ES, ES),
			seg(S, RST, 5001, 0, 0).window(0).want(ES, CL).because(fsm.RcvRstIgnored, fsm.ObsRstSent),
		}),
	}, {
		name: "first FIN not captured: CLOSING and LAST-ACK cannot be told apart",
		rfc:  "RFC 9293 §3.6 Figure 13; a resent FIN carries the ACK field of when it is resent",
		steps: join(handshake(), []step{
			seg(C, ACK, 1002, 5001, 0).want(ES, ES).flag(timeline.LostSegment),
			seg(S, FIN|ACK, 5001, 1001, 0).want(CW, F1),
			seg(C, FIN|ACK, 1001, 5002, 0).atT(time.Second).want(LA, TW).flag(timeline.Retransmission),
		}),
		check: func(t *testing.T, o *Observer) {
			if u := o.Uncertain(); !strings.Contains(u[fsm.Client], "first FIN was not captured") {
				t.Errorf("Uncertain()[client] = %q", u[fsm.Client])
			}
		},
	}})
}

func TestObserveLinuxLoopbackCaptures(t *testing.T) {
	// Two sessions from capture/testdata/lo.pcap (Linux, loopback, tcpdump
	// -S), transcribed with their real sequence numbers, unscaled windows
	// and microsecond times. On loopback Linux processes a segment right
	// after tcpdump sees it, which is the observer's assumption.
	base := time.Millisecond
	us := func(n int) time.Duration { return base + time.Duration(n)*time.Microsecond }
	runScenarios(t, []scenario{{
		name: "echo with the server closing first (FIN,ACK piggybacked)",
		rfc:  "RFC 9293 §3.6; lo.pcap port 37091",
		steps: []step{
			seg(C, SYN, 3706920207, 0, 0).window(65495).atT(us(0)).want(SS, LI),
			seg(S, SYN|ACK, 211909919, 3706920208, 0).window(65483).atT(us(14)).want(ES, SR),
			seg(C, ACK, 3706920208, 211909920, 0).window(64).atT(us(25)).want(ES, ES),
			seg(S, PSH|ACK, 211909920, 3706920208, 3).window(64).atT(us(94)).want(ES, ES),
			seg(C, ACK, 3706920208, 211909923, 0).window(64).atT(us(99)).want(ES, ES),
			seg(S, FIN|ACK, 211909923, 3706920208, 0).window(64).atT(us(111)).want(CW, F1),
			seg(C, FIN|ACK, 3706920208, 211909924, 0).window(64).atT(us(20532)).want(LA, TW),
			seg(S, ACK, 211909924, 3706920209, 0).window(64).atT(us(20567)).want(CL, TW),
		},
		done: true,
	}, {
		name: "half-close: the server sends in CLOSE-WAIT",
		rfc:  "RFC 9293 §3.6; lo.pcap port 38329",
		steps: []step{
			seg(C, SYN, 4157494442, 0, 0).window(65495).atT(us(0)).want(SS, LI),
			seg(S, SYN|ACK, 1447789113, 4157494443, 0).window(65483).atT(us(13)).want(ES, SR),
			seg(C, ACK, 4157494443, 1447789114, 0).window(64).atT(us(28)).want(ES, ES),
			seg(C, PSH|ACK, 4157494443, 1447789114, 7).window(64).atT(us(118)).want(ES, ES),
			seg(S, ACK, 1447789114, 4157494450, 0).window(64).atT(us(130)).want(ES, ES),
			seg(C, FIN|ACK, 4157494450, 1447789114, 0).window(64).atT(us(141)).want(F1, CW),
			seg(S, PSH|ACK, 1447789114, 4157494451, 24).window(64).atT(us(154)).want(F2, CW),
			seg(C, ACK, 4157494451, 1447789138, 0).window(64).atT(us(161)).want(F2, CW),
			seg(S, PSH|ACK, 1447789138, 4157494451, 24).window(64).atT(us(5481)).want(F2, CW),
			seg(C, ACK, 4157494451, 1447789162, 0).window(64).atT(us(5495)).want(F2, CW),
			seg(S, PSH|ACK, 1447789162, 4157494451, 24).window(64).atT(us(10799)).want(F2, CW),
			seg(C, ACK, 4157494451, 1447789186, 0).window(64).atT(us(10813)).want(F2, CW),
			seg(S, FIN|ACK, 1447789186, 4157494451, 0).window(64).atT(us(16146)).want(TW, LA),
			seg(C, ACK, 4157494451, 1447789187, 0).window(64).atT(us(16163)).want(TW, CL),
		},
		done: true,
	}})
}

func TestObserveKnownListener(t *testing.T) {
	// RFC 9293 §3.10.7.2: a SYN arriving in LISTEN moves the listener to
	// SYN-RECEIVED. When the source knows the server listens (the echo
	// session called listen()), the observer applies it as the SYN is seen.
	cfg := DefaultConfig()
	cfg.Listening = true
	o := New(cfg, false)
	run(t, &o, []step{
		seg(C, SYN, 1000, 0, 0).want(SS, SR).because(fsm.ObsSynSent, fsm.RcvSynInListen),
		seg(S, SYN|ACK, 5000, 1001, 0).want(ES, SR).because(fsm.RcvSynAck, fsm.ObsSynAckSent),
		seg(C, ACK, 1001, 5001, 0).want(ES, ES),
		seg(S, SYN|ACK, 5000, 1001, 0).want(ES, ES).because(0, fsm.ObsRetransmitted).flag(timeline.Retransmission),
	})
	if isn, known := o.ISN(); isn != [2]fsm.Seq{1000, 5000} || known != [2]bool{true, true} {
		t.Errorf("ISN() = %v %v", isn, known)
	}
}
