package fsm

import (
	"strings"
	"testing"
	"time"
)

func TestQuickEcho(t *testing.T) {
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
	p.wantStates("FIN-WAIT-2/CLOSE-WAIT")
	p.close(Server)
	p.flush()
	p.wantStates("TIME-WAIT/CLOSED")
	p.advance(61 * time.Second)
	p.wantStates("CLOSED/CLOSED")
	t.Log("\n" + strings.Join(p.trace, "\n"))
}
