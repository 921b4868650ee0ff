package sockets

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var loopback = netip.MustParseAddrPort("127.0.0.1:0")

// TestCallsOnLoopback makes each call once on real loopback sockets.
func TestCallsOnLoopback(t *testing.T) {
	lfd, addr, err := Listen(loopback, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	if addr.Port() == 0 {
		t.Fatal("Listen did not say which port it got")
	}
	cfd, local, err := Client(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cfd >= 0 {
			unix.Close(cfd)
		}
	}()
	if local.Addr() != addr.Addr() || local.Port() == 0 {
		t.Errorf("the client is bound to %v, want an ephemeral port of %v", local, addr.Addr())
	}
	if err := StartConnect(cfd, addr); err != nil {
		t.Fatal(err)
	}
	sfd, peer, err := Accept(lfd, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if peer != local {
		t.Errorf("accept() says the peer is %v, want %v", peer, local)
	}
	if _, _, err := Recv(sfd, 10*time.Millisecond); !errors.Is(err, ErrWouldBlock) {
		t.Errorf("Recv with nothing sent: %v, want ErrWouldBlock", err)
	}
	if err := Send(cfd, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	data, eof, err := Recv(sfd, time.Second)
	if string(data) != "hello" || eof || err != nil {
		t.Errorf("Recv: %q %v %v, want hello", data, eof, err)
	}
	if err := Abort(cfd); err != nil {
		t.Fatal(err)
	}
	cfd = -1
	_, _, err = Recv(sfd, time.Second)
	if !errors.Is(err, unix.ECONNRESET) {
		t.Errorf("Recv after the peer's abort: %v, want ECONNRESET", err)
	}
	unix.Close(sfd)
}

func TestStartConnectRefused(t *testing.T) {
	port, err := FreePort(loopback)
	if err != nil {
		t.Fatal(err)
	}
	fd, _, err := Client(port)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := StartConnect(fd, port); err != nil && !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("StartConnect: %v", err)
	}
	// The RST comes back at once on loopback; the socket says so.
	WaitReadable(fd, time.Second)
	if soerr, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); soerr != int(unix.ECONNREFUSED) && err == nil {
		t.Errorf("SO_ERROR %d, want ECONNREFUSED", soerr)
	}
}

func TestErrnoText(t *testing.T) {
	if got := ErrnoText(unix.EADDRINUSE); !strings.HasPrefix(got, "EADDRINUSE (") {
		t.Errorf("ErrnoText(EADDRINUSE) = %q", got)
	}
	if got := ErrnoText(errors.New("plain")); got != "plain" {
		t.Errorf("ErrnoText of a plain error = %q", got)
	}
}
