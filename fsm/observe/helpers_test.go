package observe

import (
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Short names that keep the literal segment sequences readable.
const (
	C = fsm.C2S
	S = fsm.S2C

	SYN = fsm.SYN
	ACK = fsm.ACK
	FIN = fsm.FIN
	RST = fsm.RST
	PSH = fsm.PSH

	CL = fsm.Closed
	LI = fsm.Listen
	SS = fsm.SynSent
	SR = fsm.SynReceived
	ES = fsm.Established
	F1 = fsm.FinWait1
	F2 = fsm.FinWait2
	CW = fsm.CloseWait
	CG = fsm.Closing
	LA = fsm.LastAck
	TW = fsm.TimeWait
)

// step is one segment seen and the states both sides must be in after it.
type step struct {
	dir      fsm.Dir
	flags    fsm.Flags
	seq, ack uint32
	n        uint32 // payload length
	win      uint32
	client   fsm.State
	server   fsm.State
	an       timeline.Analysis
	why      [2]fsm.Reason
	checkWhy bool
	at       time.Duration // capture time; 0 = 1 ms after the previous step
}

// seg builds a step for a segment with window 65535.
func seg(d fsm.Dir, f fsm.Flags, seq, ack, n uint32) step {
	return step{dir: d, flags: f, seq: seq, ack: ack, n: n, win: 65535}
}

func (s step) want(client, server fsm.State) step { s.client, s.server = client, server; return s }
func (s step) flag(a timeline.Analysis) step      { s.an = a; return s }
func (s step) atT(t time.Duration) step           { s.at = t; return s }
func (s step) window(w uint32) step               { s.win = w; return s }
func (s step) because(client, server fsm.Reason) step {
	s.why, s.checkWhy = [2]fsm.Reason{client, server}, true
	return s
}

func (s step) segment() fsm.Segment {
	return fsm.Segment{Seq: fsm.Seq(s.seq), Ack: fsm.Seq(s.ack), Flags: s.flags, Window: s.win, Len: s.n}
}

// handshake is the three-way handshake of RFC 9293 §3.5 Figure 6 with
// client ISN 1000 and server ISN 5000.
func handshake() []step {
	return []step{
		seg(C, SYN, 1000, 0, 0).want(SS, LI).because(fsm.ObsSynSent, 0),
		seg(S, SYN|ACK, 5000, 1001, 0).want(ES, SR).because(fsm.RcvSynAck, fsm.ObsSynAckSent),
		seg(C, ACK, 1001, 5001, 0).want(ES, ES).because(0, fsm.RcvAckOfSyn),
	}
}

func join(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// run feeds steps to o, checking states, analysis and reasons after each.
// It returns the capture time of the last step.
func run(t *testing.T, o *Observer, steps []step) time.Duration {
	t.Helper()
	var now time.Duration
	for i, st := range steps {
		if st.at != 0 {
			now = st.at
		} else {
			now += time.Millisecond
		}
		for {
			if _, ok := o.Expire(now); !ok {
				break
			}
		}
		sg := st.segment()
		u := o.Observe(now, st.dir, &sg)
		want := [2]fsm.State{st.client, st.server}
		if u.States != want {
			t.Fatalf("step %d (%s %s): states = %v/%v, want %v/%v", i+1, st.dir, sg, u.States[0], u.States[1], want[0], want[1])
		}
		if u.States != o.States() {
			t.Fatalf("step %d: Update.States %v != States() %v", i+1, u.States, o.States())
		}
		if u.Analysis != st.an {
			t.Errorf("step %d (%s %s): analysis = %06b, want %06b", i+1, st.dir, sg, u.Analysis, st.an)
		}
		if st.checkWhy && u.Why != st.why {
			t.Errorf("step %d (%s %s): why = %d/%d, want %d/%d", i+1, st.dir, sg, u.Why[0], u.Why[1], st.why[0], st.why[1])
		}
	}
	return now
}
