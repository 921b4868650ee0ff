package fsm

import (
	"strings"
	"testing"
	"time"
)

// TestLoopbackUnreadClose: the server closes with "hello" unread; Linux
// sends RST instead of FIN (RFC 2525 §2.17) and the client is reset.
func TestLoopbackUnreadClose(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.send(Client, "hello")
	p.flush()
	p.trace = nil
	p.close(Server)
	p.flush()
	p.wantStates("CLOSED/CLOSED")
	wantTrace(t, p, `
		server close ESTABLISHED→CLOSED app-close-unread
		client rcv ACK,RST 5001 ack=1006 len=0 ESTABLISHED→CLOSED rcv-rst`)

	// With the RFC's letter instead, the same close sends a FIN.
	p = newPair(t, RFCConfig(1000), RFCConfig(5000))
	p.handshake()
	p.send(Client, "hello")
	p.flush()
	p.close(Server)
	p.flush()
	p.wantStates("CLOSE-WAIT/FIN-WAIT-2")
}

// TestLoopbackHalfOpen: the server's host restarts and forgets the
// connection (§3.5.2); the client's next segment meets a RST <SEQ=SEG.ACK>
// which is exactly at the client's RCV.NXT, so the client resets.
func TestLoopbackHalfOpen(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.trace = nil
	r := p.s().Restart()
	if r.Reason != AppRestart || r.To != Closed || len(r.Out) != 0 {
		t.Fatalf("Restart = %+v", r)
	}
	p.send(Client, "anyone?")
	p.flush()
	p.wantStates("CLOSED/CLOSED")
	wantTrace(t, p, `
		client send ESTABLISHED→ESTABLISHED app-send
		server rcv ACK,PSH 1001 ack=5001 len=7 CLOSED→CLOSED rcv-in-closed
		client rcv RST 5001 ack=0 len=0 ESTABLISHED→CLOSED rcv-rst`)
}

// TestLoopbackLostSyn: the first SYN is lost; the retransmission timer
// (RTO 1 s, RFC 6298) sends it again and the handshake completes.
func TestLoopbackLostSyn(t *testing.T) {
	p := defaultPair(t)
	p.drops[1] = true
	p.listen(Server)
	p.connect(Client)
	p.flush()
	p.wantStates("SYN-SENT/LISTEN")
	if at, ok := p.c().NextDeadline(); !ok || at != time.Second {
		t.Fatalf("retransmission timer at %v %v, want 1s", at, ok)
	}
	p.advance(time.Second)
	p.wantStates("ESTABLISHED/ESTABLISHED")
	wantTrace(t, p, `
		server listen CLOSED→LISTEN app-passive-open
		client connect CLOSED→SYN-SENT app-active-open
		client drop SYN 1000 ack=0 len=0
		client timer SYN-SENT→SYN-SENT timer-retransmit
		server rcv SYN 1000 ack=0 len=0 LISTEN→SYN-RECEIVED rcv-syn-in-listen
		client rcv SYN,ACK 5000 ack=1001 len=0 SYN-SENT→ESTABLISHED rcv-syn-ack
		server rcv ACK 1001 ack=5001 len=0 SYN-RECEIVED→ESTABLISHED rcv-ack-of-syn`)
}

// TestLoopbackLostSynAck: the SYN,ACK is lost. Both timers run out at 1 s;
// the server resends its SYN,ACK, the client its SYN, which the server
// answers with the SYN,ACK again (Linux); the duplicate is ACKed.
func TestLoopbackLostSynAck(t *testing.T) {
	p := defaultPair(t)
	p.drops[2] = true
	p.handshake2()
	p.advance(time.Second)
	p.wantStates("ESTABLISHED/ESTABLISHED")
	for _, l := range p.trace {
		if strings.Contains(l, "→CLOSED") {
			t.Fatalf("unexpected close: %s", l)
		}
	}
}

// handshake2 starts a handshake without insisting that it completes.
func (p *pair) handshake2() {
	p.listen(Server)
	p.connect(Client)
	p.flush()
}

// TestLoopbackGiveUp: nothing answers; the SYN is resent at 1, 3, 7, 15, 31
// and 63 s (RTO doubling), and at 127 s the client gives up, as Linux does
// with tcp_syn_retries = 6.
func TestLoopbackGiveUp(t *testing.T) {
	p := defaultPair(t)
	for i := 1; i < 100; i++ {
		p.drops[i] = true
	}
	p.connect(Client)
	var times []time.Duration
	for {
		at, ok := p.c().NextDeadline()
		if !ok {
			break
		}
		p.advance(at - p.now)
		times = append(times, p.now)
	}
	p.wantStates("CLOSED/CLOSED")
	want := []time.Duration{1, 3, 7, 15, 31, 63, 127}
	if len(times) != len(want) {
		t.Fatalf("timer fired at %v, want %v s", times, want)
	}
	for i := range want {
		if times[i] != want[i]*time.Second {
			t.Fatalf("timer fired at %v, want %v s", times, want)
		}
	}
	last := p.trace[len(p.trace)-1]
	if last != "client timer SYN-SENT→CLOSED timer-give-up" {
		t.Fatalf("last event %q", last)
	}
}

// TestLoopbackLostData: a data segment is lost; it is retransmitted after
// the RTO, whole, and the receiver ACKs it.
func TestLoopbackLostData(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.drops[p.sent+1] = true
	p.send(Client, "hello")
	p.flush()
	if p.s().Readable() != 0 {
		t.Fatal("data arrived although dropped")
	}
	p.advance(time.Second)
	if got := p.recv(Server); got != "hello" {
		t.Fatalf("server read %q after the retransmission", got)
	}
	if n := p.c().Unacked(); n != 0 {
		t.Fatalf("%d segments still unacknowledged", n)
	}
}

// TestLoopbackLostFin: the client's FIN is lost and retransmitted.
func TestLoopbackLostFin(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.drops[p.sent+1] = true
	p.close(Client)
	p.flush()
	p.wantStates("FIN-WAIT-1/ESTABLISHED")
	p.advance(time.Second)
	p.wantStates("FIN-WAIT-2/CLOSE-WAIT")
}

// TestLoopbackLostLastAck: the last ACK is lost; the server resends its
// FIN, and the client in TIME-WAIT ACKs it again and restarts 2·MSL
// (§3.10.7.4 eighth check) — the reason TIME-WAIT exists.
func TestLoopbackLostLastAck(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.close(Client)
	p.flush()
	p.drops[p.sent+2] = true // the client's ACK of the server's FIN
	p.close(Server)
	p.flush()
	p.wantStates("TIME-WAIT/LAST-ACK")
	p.trace = nil
	p.advance(time.Second)
	p.wantStates("TIME-WAIT/CLOSED")
	wantTrace(t, p, `
		server timer LAST-ACK→LAST-ACK timer-retransmit
		client rcv ACK,FIN 5001 ack=1002 len=0 TIME-WAIT→TIME-WAIT rcv-fin-in-time-wait
		server rcv ACK 1002 ack=5002 len=0 LAST-ACK→CLOSED rcv-ack-of-fin`)
	if at, _ := p.c().NextDeadline(); at != 61*time.Second {
		t.Fatalf("TIME-WAIT ends at %v, want 61s (restarted at 1s)", at)
	}
}

// TestLoopbackFinWait2Timeout: the server never closes; the client, having
// called close(), leaves FIN-WAIT-2 after tcp_fin_timeout (60 s).
func TestLoopbackFinWait2Timeout(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.close(Client)
	p.flush()
	p.advance(59 * time.Second)
	p.wantStates("FIN-WAIT-2/CLOSE-WAIT")
	p.advance(time.Second)
	p.wantStates("CLOSED/CLOSE-WAIT")
	if last := p.trace[len(p.trace)-1]; last != "client timer FIN-WAIT-2→CLOSED timer-fin-wait-2" {
		t.Fatalf("last event %q", last)
	}
}

// TestLoopbackSegmentation: SEND of more than MSS goes out in MSS-sized
// segments, PSH on the last; a window smaller than the data holds the rest
// until ACKs open it (§3.8.6).
func TestLoopbackSegmentation(t *testing.T) {
	cc, sc := DefaultConfig(1000), DefaultConfig(5000)
	cc.MSS = 100
	sc.Window = 250
	p := newPair(t, cc, sc)
	p.handshake()
	data := strings.Repeat("0123456789", 30) // 300 octets
	r := p.send(Client, data)
	var lens []uint32
	for _, s := range r.Out {
		lens = append(lens, s.Len)
		if s.Flags.Has(PSH) {
			t.Errorf("PSH on a segment before the last: %s", s)
		}
	}
	if len(lens) != 3 || lens[0] != 100 || lens[1] != 100 || lens[2] != 50 {
		t.Fatalf("segments of %v octets, want [100 100 50] (window 250)", lens)
	}
	if p.c().Unsent() != 50 {
		t.Fatalf("%d octets held back, want 50", p.c().Unsent())
	}
	p.flush()
	// The server's buffer is full until its application reads.
	if got := p.s().TCB().RcvWnd; got != 0 {
		t.Fatalf("server window %d, want 0", got)
	}
	got := p.recv(Server)
	p.flush()
	got += p.recv(Server)
	if got != data {
		t.Fatalf("server read %d octets, want %d", len(got), len(data))
	}
}

// TestZeroWindowProbe: the peer's window is zero; the persist timer probes
// it (§3.8.6.1) until a window update lets the data go.
func TestZeroWindowProbe(t *testing.T) {
	x := setupEndpoint(t, "ESTABLISHED/peer-wnd0")
	if _, _, err := x.do("send:abc"); err != nil {
		t.Fatal(err)
	}
	rs, _, _ := x.do("tick:1s")
	if len(rs) != 1 || rs[0].Reason != TimerPersist || formatSegs(rs[0].Out) != "<SEQ=100><ACK=301><CTL=ACK>" {
		t.Fatalf("first probe: %+v", rs)
	}
	rs, _, _ = x.do("tick:2s")
	if len(rs) != 1 || rs[0].Reason != TimerPersist {
		t.Fatalf("second probe (backed off to 2 s): %+v", rs)
	}
	rs, _, _ = x.do("in:<SEQ=301><ACK=101><CTL=ACK><WND=100>")
	if formatSegs(rs[0].Out) != "<SEQ=101><ACK=301><CTL=ACK,PSH><DATA=abc>" {
		t.Fatalf("after the window opens: %s", formatSegs(rs[0].Out))
	}
	checkInvariants(t, x.e)
}

// TestWindowUpdateAfterRead: a receiver whose window fell to zero
// announces the reopened window when its application reads.
func TestWindowUpdateAfterRead(t *testing.T) {
	x := setupEndpoint(t, "ESTABLISHED")
	for _, s := range fill(1000) {
		x.do(s)
	}
	rs, data, err := x.do("recv")
	if err != nil || len(data) != 1000 {
		t.Fatalf("recv: %d octets, %v", len(data), err)
	}
	if got := formatSegs(rs[0].Out); got != "<SEQ=101><ACK=1301><CTL=ACK>" {
		t.Fatalf("window update %q", got)
	}
}

// TestLoopbackReorder: the first of three data segments is delayed and
// arrives last; the two after it are held, and the ACK of the delayed one
// covers all three, with no retransmission.
func TestLoopbackReorder(t *testing.T) {
	cc := DefaultConfig(1000)
	cc.MSS = 4
	p := newPair(t, cc, DefaultConfig(5000))
	p.handshake()
	p.trace = nil
	p.send(Client, "abcdefghij")
	w := p.wire[Server]
	p.wire[Server] = append(w[1:len(w):len(w)], w[0])
	p.flush()
	if got := p.recv(Server); got != "abcdefghij" {
		t.Fatalf("server read %q", got)
	}
	wantTrace(t, p, `
		client send ESTABLISHED→ESTABLISHED app-send
		server rcv ACK 1005 ack=5001 len=4 ESTABLISHED→ESTABLISHED rcv-out-of-order
		client rcv ACK 5001 ack=1001 len=0 ESTABLISHED→ESTABLISHED rcv-dup-ack
		server rcv ACK,PSH 1009 ack=5001 len=2 ESTABLISHED→ESTABLISHED rcv-out-of-order
		client rcv ACK 5001 ack=1001 len=0 ESTABLISHED→ESTABLISHED rcv-dup-ack
		server rcv ACK 1001 ack=5001 len=4 ESTABLISHED→ESTABLISHED rcv-data
		client rcv ACK 5001 ack=1011 len=0 ESTABLISHED→ESTABLISHED rcv-ack
		server recv "abcdefghij" app-receive`)
	if p.c().Unacked() != 0 {
		t.Fatal("data still unacknowledged")
	}
}
