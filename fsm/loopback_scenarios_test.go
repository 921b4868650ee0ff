package fsm

import (
	"strings"
	"testing"
	"time"
)

// The tests in this file run two endpoints against each other through pair
// (loopback_test.go) and compare the whole exchange, line by line, with
// what RFC 9293 prescribes. Client ISS 1000, server ISS 5000.

func wantTrace(t *testing.T, p *pair, want string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(want), "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	got := p.trace
	for i := 0; i < max(len(got), len(lines)); i++ {
		g, w := "", ""
		if i < len(got) {
			g = got[i]
		}
		if i < len(lines) {
			w = lines[i]
		}
		if g != w {
			t.Fatalf("trace line %d:\n got %s\nwant %s\nwhole trace:\n%s", i+1, g, w, strings.Join(got, "\n"))
		}
	}
}

// TestLoopbackNormalClose is Figure 7's handshake, data both ways, and
// Figure 12's normal close: the client closes first and waits 2·MSL.
func TestLoopbackNormalClose(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.send(Client, "hello")
	p.flush()
	if got := p.recv(Server); got != "hello" {
		t.Fatalf("server read %q", got)
	}
	p.send(Server, "HELLO")
	p.flush()
	if got := p.recv(Client); got != "HELLO" {
		t.Fatalf("client read %q", got)
	}
	p.close(Client)
	p.flush()
	p.close(Server)
	p.flush()
	p.advance(59 * time.Second)
	p.wantStates("TIME-WAIT/CLOSED")
	p.advance(time.Second)
	p.wantStates("CLOSED/CLOSED")
	wantTrace(t, p, `
		server listen CLOSED→LISTEN app-passive-open
		client connect CLOSED→SYN-SENT app-active-open
		server rcv SYN 1000 ack=0 len=0 LISTEN→SYN-RECEIVED rcv-syn-in-listen
		client rcv SYN,ACK 5000 ack=1001 len=0 SYN-SENT→ESTABLISHED rcv-syn-ack
		server rcv ACK 1001 ack=5001 len=0 SYN-RECEIVED→ESTABLISHED rcv-ack-of-syn
		client send ESTABLISHED→ESTABLISHED app-send
		server rcv ACK,PSH 1001 ack=5001 len=5 ESTABLISHED→ESTABLISHED rcv-data
		client rcv ACK 5001 ack=1006 len=0 ESTABLISHED→ESTABLISHED rcv-ack
		server recv "hello" app-receive
		server send ESTABLISHED→ESTABLISHED app-send
		client rcv ACK,PSH 5001 ack=1006 len=5 ESTABLISHED→ESTABLISHED rcv-data
		server rcv ACK 1006 ack=5006 len=0 ESTABLISHED→ESTABLISHED rcv-ack
		client recv "HELLO" app-receive
		client close ESTABLISHED→FIN-WAIT-1 app-close
		server rcv ACK,FIN 1006 ack=5006 len=0 ESTABLISHED→CLOSE-WAIT rcv-fin
		client rcv ACK 5006 ack=1007 len=0 FIN-WAIT-1→FIN-WAIT-2 rcv-ack-of-fin
		server close CLOSE-WAIT→LAST-ACK app-close
		client rcv ACK,FIN 5006 ack=1007 len=0 FIN-WAIT-2→TIME-WAIT rcv-fin
		server rcv ACK 1007 ack=5007 len=0 LAST-ACK→CLOSED rcv-ack-of-fin
		client timer TIME-WAIT→CLOSED timer-time-wait`)
}

// TestLoopbackSimultaneousOpen is Figure 7: both sides send a SYN, each
// answers the other's with SYN,ACK carrying its original ISS, and each
// SYN,ACK completes the other side's handshake.
func TestLoopbackSimultaneousOpen(t *testing.T) {
	p := defaultPair(t)
	p.connect(Client)
	p.connect(Server)
	p.flush()
	p.wantStates("ESTABLISHED/ESTABLISHED")
	wantTrace(t, p, `
		client connect CLOSED→SYN-SENT app-active-open
		server connect CLOSED→SYN-SENT app-active-open
		client rcv SYN 5000 ack=0 len=0 SYN-SENT→SYN-RECEIVED rcv-syn-simultaneous
		server rcv SYN 1000 ack=0 len=0 SYN-SENT→SYN-RECEIVED rcv-syn-simultaneous
		client rcv SYN,ACK 5000 ack=1001 len=0 SYN-RECEIVED→ESTABLISHED rcv-ack-of-syn
		server rcv SYN,ACK 1000 ack=5001 len=0 SYN-RECEIVED→ESTABLISHED rcv-ack-of-syn`)
	// The connection works.
	p.send(Client, "ping")
	p.flush()
	if got := p.recv(Server); got != "ping" {
		t.Fatalf("server read %q", got)
	}
}

// TestLoopbackSimultaneousClose is Figure 13: the FINs cross, both sides
// pass through CLOSING and both end in TIME-WAIT.
func TestLoopbackSimultaneousClose(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.trace = nil
	p.close(Client)
	p.close(Server)
	p.flush()
	p.wantStates("TIME-WAIT/TIME-WAIT")
	wantTrace(t, p, `
		client close ESTABLISHED→FIN-WAIT-1 app-close
		server close ESTABLISHED→FIN-WAIT-1 app-close
		client rcv ACK,FIN 5001 ack=1001 len=0 FIN-WAIT-1→CLOSING rcv-fin
		server rcv ACK,FIN 1001 ack=5001 len=0 FIN-WAIT-1→CLOSING rcv-fin
		client rcv ACK 5002 ack=1002 len=0 CLOSING→TIME-WAIT rcv-ack-of-fin
		server rcv ACK 1002 ack=5002 len=0 CLOSING→TIME-WAIT rcv-ack-of-fin`)
	p.advance(60 * time.Second)
	p.wantStates("CLOSED/CLOSED")
}

// TestLoopbackFinAckInFinWait1: the server's ACK of the client's FIN is
// lost, so the client learns both at once from the server's FIN:
// FIN-WAIT-1 → TIME-WAIT directly.
func TestLoopbackFinAckInFinWait1(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.trace = nil
	p.drops[p.sent+2] = true // the server's ACK of the FIN
	p.close(Client)
	p.flush()
	p.wantStates("FIN-WAIT-1/CLOSE-WAIT")
	p.close(Server)
	p.flush()
	p.wantStates("TIME-WAIT/CLOSED")
	wantTrace(t, p, `
		client close ESTABLISHED→FIN-WAIT-1 app-close
		server rcv ACK,FIN 1001 ack=5001 len=0 ESTABLISHED→CLOSE-WAIT rcv-fin
		server drop ACK 5001 ack=1002 len=0
		server close CLOSE-WAIT→LAST-ACK app-close
		client rcv ACK,FIN 5001 ack=1002 len=0 FIN-WAIT-1→TIME-WAIT rcv-fin-ack-of-fin
		server rcv ACK 1002 ack=5002 len=0 LAST-ACK→CLOSED rcv-ack-of-fin`)
}

// TestLoopbackHalfClose: the client shuts down its write side; the server
// goes on sending in CLOSE-WAIT and the client reads it in FIN-WAIT-2,
// which does not time out after shutdown; then the server closes.
func TestLoopbackHalfClose(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.shutdown(Client)
	p.flush()
	p.wantStates("FIN-WAIT-2/CLOSE-WAIT")
	for _, part := range []string{"one ", "two ", "three"} {
		p.send(Server, part)
		p.flush()
	}
	p.advance(5 * time.Minute) // no FIN-WAIT-2 timeout: the socket is not orphaned
	p.wantStates("FIN-WAIT-2/CLOSE-WAIT")
	if got := p.recv(Client); got != "one two three" {
		t.Fatalf("client read %q", got)
	}
	p.close(Server)
	p.flush()
	p.wantStates("TIME-WAIT/CLOSED")
	if _, _, err := p.c().Receive(p.now, 0); err != ErrConnectionClosing {
		t.Fatalf("read after the peer's FIN: %v, want end of file (ErrConnectionClosing)", err)
	}
	if !p.c().PeerFinished() {
		t.Fatal("PeerFinished false after the server's FIN")
	}
}

// TestLoopbackRefused: a SYN to a port nobody listens on meets
// <SEQ=0><ACK=ISS+1><CTL=RST,ACK> (§3.10.7.1), which SYN-SENT accepts
// because it acknowledges the SYN (§3.10.7.3).
func TestLoopbackRefused(t *testing.T) {
	p := defaultPair(t)
	p.connect(Client)
	p.flush()
	p.wantStates("CLOSED/CLOSED")
	wantTrace(t, p, `
		client connect CLOSED→SYN-SENT app-active-open
		server rcv SYN 1000 ack=0 len=0 CLOSED→CLOSED rcv-in-closed
		client rcv ACK,RST 0 ack=1001 len=0 SYN-SENT→CLOSED rcv-rst-refused`)
	if at, ok := p.c().NextDeadline(); ok {
		t.Fatalf("a timer is still armed at %v", at)
	}
}

// TestLoopbackAbort: ABORT sends RST <SEQ=SND.NXT>, which is exactly what
// the peer expects (RCV.NXT), so the peer resets (§3.10.5, §3.10.7.4).
func TestLoopbackAbort(t *testing.T) {
	p := defaultPair(t)
	p.handshake()
	p.send(Client, "data")
	p.flush()
	p.trace = nil
	p.abort(Client)
	p.flush()
	p.wantStates("CLOSED/CLOSED")
	wantTrace(t, p, `
		client abort ESTABLISHED→CLOSED app-abort
		server rcv ACK,RST 1005 ack=5001 len=0 ESTABLISHED→CLOSED rcv-rst`)
}

// TestLoopbackOldDuplicateSyn is Figure 9: an old SYN reaches the server,
// whose SYN,ACK the client (SYN-SENT with another ISS) answers with RST;
// the server returns to LISTEN and the real handshake then completes.
func TestLoopbackOldDuplicateSyn(t *testing.T) {
	p := defaultPair(t)
	p.listen(Server)
	p.connect(Client)
	real := p.wire[Server] // the client's SYN is delayed in the network
	p.wire[Server] = []Segment{{Seq: 90, Flags: SYN, Window: 65535}}
	p.flush()
	p.wantStates("SYN-SENT/LISTEN")
	p.wire[Server] = real
	p.flush()
	p.wantStates("ESTABLISHED/ESTABLISHED")
	wantTrace(t, p, `
		server listen CLOSED→LISTEN app-passive-open
		client connect CLOSED→SYN-SENT app-active-open
		server rcv SYN 90 ack=0 len=0 LISTEN→SYN-RECEIVED rcv-syn-in-listen
		client rcv SYN,ACK 5000 ack=91 len=0 SYN-SENT→SYN-SENT rcv-bad-ack-syn-sent
		server rcv RST 91 ack=0 len=0 SYN-RECEIVED→LISTEN rcv-rst-to-listen
		server rcv SYN 1000 ack=0 len=0 LISTEN→SYN-RECEIVED rcv-syn-in-listen
		client rcv SYN,ACK 5000 ack=1001 len=0 SYN-SENT→ESTABLISHED rcv-syn-ack
		server rcv ACK 1001 ack=5001 len=0 SYN-RECEIVED→ESTABLISHED rcv-ack-of-syn`)
}
