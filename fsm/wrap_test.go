package fsm

import (
	"strings"
	"testing"
	"time"
)

// TestSeqWraparound runs whole connections whose sequence numbers cross
// 2^32 (§3.4: all arithmetic is modulo 2^32): handshake, data over the
// wrap in both directions, and close.
func TestSeqWraparound(t *testing.T) {
	for _, c := range []struct {
		name           string
		client, server Seq
	}{
		{"client ISS 2^32-1", 0xFFFFFFFF, 5000},
		{"server ISS 2^32-1", 1000, 0xFFFFFFFF},
		{"both wrap inside the data", 0xFFFFFFF0, 0xFFFFFFFA},
		{"ISS 2^31 apart", 0x7FFFFFFF, 0xFFFFFFFF},
	} {
		t.Run(c.name, func(t *testing.T) {
			cc, sc := DefaultConfig(c.client), DefaultConfig(c.server)
			cc.MSS, sc.MSS = 7, 7
			p := newPair(t, cc, sc)
			p.handshake()
			msg := strings.Repeat("wrap-around ", 5)
			p.send(Client, msg)
			p.flush()
			if got := p.recv(Server); got != msg {
				t.Fatalf("server read %q", got)
			}
			p.send(Server, strings.ToUpper(msg))
			p.flush()
			if got := p.recv(Client); got != strings.ToUpper(msg) {
				t.Fatalf("client read %q", got)
			}
			p.close(Client)
			p.flush()
			p.close(Server)
			p.flush()
			p.wantStates("TIME-WAIT/CLOSED")
			tcb := p.c().TCB()
			if want := c.client.Add(1 + uint32(len(msg)) + 1); tcb.SndNxt != want || tcb.SndUna != want {
				t.Fatalf("client SND.UNA/NXT = %d/%d, want %d", tcb.SndUna, tcb.SndNxt, want)
			}
			if want := c.server.Add(1 + uint32(len(msg)) + 1); tcb.RcvNxt != want {
				t.Fatalf("client RCV.NXT = %d, want %d", tcb.RcvNxt, want)
			}
			p.advance(60 * time.Second)
			p.wantStates("CLOSED/CLOSED")
		})
	}
}

// TestSeqWraparoundChecks applies the acceptability and ACK checks across
// the wrap: with RCV.NXT just below 2^32, a segment at 2 (past the wrap)
// is in the window and one at RCV.NXT-10 is old.
func TestSeqWraparoundChecks(t *testing.T) {
	cfg := tableConfig()
	cfg.ISS = 0xFFFFFFFE
	e := NewEndpoint(cfg)
	e.Connect(0)
	r := e.Arrive(0, Segment{Seq: 0xFFFFFFFD, Ack: 0xFFFFFFFF, Flags: SYN | ACK, Window: 1000})
	if r.To != Established {
		t.Fatalf("handshake: %+v", r)
	}
	// RCV.NXT = 0xFFFFFFFE. Data at 0xFFFFFFFE spanning the wrap.
	r = e.Arrive(0, Segment{Seq: 0xFFFFFFFE, Ack: 0xFFFFFFFF, Flags: ACK, Window: 1000, Len: 4, Payload: []byte("wrap")})
	if r.Reason != RcvData || e.TCB().RcvNxt != 2 {
		t.Fatalf("data over the wrap: %s, RCV.NXT %d", r.Reason, e.TCB().RcvNxt)
	}
	r = e.Arrive(0, Segment{Seq: 0xFFFFFFFE, Ack: 0xFFFFFFFF, Flags: ACK, Window: 1000, Len: 4, Payload: []byte("wrap")})
	if r.Reason != RcvDuplicate {
		t.Fatalf("the same data again: %s, want rcv-duplicate", r.Reason)
	}
	r = e.Arrive(0, Segment{Seq: 500, Ack: 0xFFFFFFFF, Flags: ACK, Window: 1000, Len: 1, Payload: []byte("x")})
	if r.Reason != RcvOutOfOrder {
		t.Fatalf("data past a gap after the wrap: %s", r.Reason)
	}
	e.Send(0, []byte("abc")) // SND.NXT 0xFFFFFFFF → 2
	r = e.Arrive(0, Segment{Seq: 2, Ack: 1, Flags: ACK, Window: 1000})
	if r.Reason != RcvAck || e.TCB().SndUna != 1 {
		t.Fatalf("ACK over the wrap: %s, SND.UNA %d", r.Reason, e.TCB().SndUna)
	}
	r = e.Arrive(0, Segment{Seq: 2, Ack: 3, Flags: ACK, Window: 1000})
	if r.Reason != RcvAckFuture {
		t.Fatalf("ACK past SND.NXT after the wrap: %s", r.Reason)
	}
	checkInvariants(t, e)
}
