package track

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/internal/testenv"
)

// session is a real TCP exchange on loopback whose outcome we know: the
// final state of each side as RFC 9293 (and Linux) says it must be.
type session struct {
	name        string
	network     string // "tcp4" or "tcp6"
	run         func(t *testing.T, ln net.Listener) error
	refused     bool // connect to a closed port instead
	wantClient  fsm.State
	wantServer  fsm.State
	wantFlags   string
	listenPort  int
	refusedPort int
}

// sessions are the captures' script. Each leaves the sockets where the
// expected states say: the side that closes first ends in TIME-WAIT (its
// 60 s outlast the capture), the other in CLOSED.
func sessions() []*session {
	return []*session{
		{name: "client-close", network: "tcp4", run: echoClientCloses, wantClient: fsm.TimeWait, wantServer: fsm.Closed},
		{name: "server-close", network: "tcp4", run: serverCloses, wantClient: fsm.Closed, wantServer: fsm.TimeWait},
		{name: "abort", network: "tcp4", run: clientAborts, wantClient: fsm.Closed, wantServer: fsm.Closed, wantFlags: "rst"},
		{name: "refused", network: "tcp4", refused: true, wantClient: fsm.Closed, wantServer: fsm.Closed, wantFlags: "refused"},
		{name: "half-close", network: "tcp4", run: halfClose, wantClient: fsm.TimeWait, wantServer: fsm.Closed},
		{name: "ipv6-client-close", network: "tcp6", run: echoClientCloses, wantClient: fsm.TimeWait, wantServer: fsm.Closed},
	}
}

// serve accepts one connection and runs fn on it, returning fn's error.
func serve(ln net.Listener, fn func(c *net.TCPConn) error) <-chan error {
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- fn(c.(*net.TCPConn))
	}()
	return done
}

func dial(ln net.Listener) (*net.TCPConn, error) {
	c, err := net.DialTimeout(ln.Addr().Network(), ln.Addr().String(), 2*time.Second)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// echoClientCloses: hello → HELLO, the client closes first, then the server.
func echoClientCloses(t *testing.T, ln net.Listener) error {
	srv := serve(ln, func(c *net.TCPConn) error {
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		if _, err := c.Write([]byte(strings.ToUpper(string(buf[:n])))); err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, c) // until the client's FIN
		return err
	})
	c, err := dial(ln)
	if err != nil {
		return err
	}
	if _, err := c.Write([]byte("hello")); err != nil {
		return err
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	time.Sleep(20 * time.Millisecond)
	c.Close()
	return <-srv
}

// serverCloses: the server sends a greeting and closes first.
func serverCloses(t *testing.T, ln net.Listener) error {
	srv := serve(ln, func(c *net.TCPConn) error {
		_, err := c.Write([]byte("bye"))
		return err
	})
	c, err := dial(ln)
	if err != nil {
		return err
	}
	if err := <-srv; err != nil {
		return err
	}
	if _, err := io.ReadAll(c); err != nil {
		return err
	}
	time.Sleep(20 * time.Millisecond)
	return c.Close()
}

// clientAborts: the client closes with SO_LINGER 0, which sends RST.
func clientAborts(t *testing.T, ln net.Listener) error {
	srv := serve(ln, func(c *net.TCPConn) error {
		_, err := io.Copy(io.Discard, c)
		if err != nil && strings.Contains(err.Error(), "reset") {
			return nil
		}
		return err
	})
	c, err := dial(ln)
	if err != nil {
		return err
	}
	if _, err := c.Write([]byte("x")); err != nil {
		return err
	}
	time.Sleep(20 * time.Millisecond)
	_ = c.SetLinger(0)
	c.Close()
	return <-srv
}

// halfClose: the client shuts down its write side, the server keeps
// sending, then closes; the client reads to the end and closes.
func halfClose(t *testing.T, ln net.Listener) error {
	srv := serve(ln, func(c *net.TCPConn) error {
		if _, err := io.Copy(io.Discard, c); err != nil { // until the client's FIN
			return err
		}
		for i := 0; i < 3; i++ {
			if _, err := c.Write([]byte("more data in CLOSE-WAIT\n")); err != nil {
				return err
			}
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	})
	c, err := dial(ln)
	if err != nil {
		return err
	}
	if _, err := c.Write([]byte("request")); err != nil {
		return err
	}
	if err := c.CloseWrite(); err != nil {
		return err
	}
	if _, err := io.ReadAll(c); err != nil {
		return err
	}
	if err := <-srv; err != nil {
		return err
	}
	time.Sleep(20 * time.Millisecond)
	return c.Close()
}

// needCapture skips unless tcpdump can capture here.
func needCapture(t *testing.T) {
	t.Helper()
	testenv.NeedCommand(t, "tcpdump", "cannot make real captures (apt-get install tcpdump)")
	testenv.NeedRoot(t, "capturing with tcpdump")
}

// captureSessions runs the sessions on loopback while tcpdump captures them
// on iface (with link type linkType if not empty) into a pcap file, and
// returns its path. Each session's ports are filled in.
func captureSessions(t *testing.T, iface, linkType string, ss []*session) string {
	t.Helper()
	needCapture(t)
	var ports []string
	var listeners []net.Listener
	for _, s := range ss {
		if s.refused {
			ln, err := net.Listen(s.network, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			s.refusedPort = ln.Addr().(*net.TCPAddr).Port
			ln.Close() // nothing listens there now
			ports = append(ports, strconv.Itoa(s.refusedPort))
			listeners = append(listeners, nil)
			continue
		}
		addr := "127.0.0.1:0"
		if s.network == "tcp6" {
			addr = "[::1]:0"
		}
		ln, err := net.Listen(s.network, addr)
		if err != nil {
			testenv.Skipf(t, "cannot listen on %s: %v", addr, err)
		}
		defer ln.Close()
		s.listenPort = ln.Addr().(*net.TCPAddr).Port
		ports = append(ports, strconv.Itoa(s.listenPort))
		listeners = append(listeners, ln)
	}
	out := filepath.Join(t.TempDir(), "capture.pcap")
	// A small snap length: in immediate mode libpcap's ring has one frame
	// per snap length, and a burst of segments must fit. Headers are all
	// the tracker reads.
	args := []string{"-i", iface, "-U", "--immediate-mode", "-B", "16384", "-n", "-s", "2048", "-w", out}
	if linkType != "" {
		args = append(args, "-y", linkType)
	}
	args = append(args, "tcp and (port "+strings.Join(ports, " or port ")+")")
	stop := startTcpdump(t, append([]string{"tcpdump"}, args...))
	for i, s := range ss {
		if s.refused {
			_, err := net.DialTimeout("tcp4", fmt.Sprintf("127.0.0.1:%d", s.refusedPort), 2*time.Second)
			if err == nil {
				t.Fatalf("%s: connect to a closed port succeeded", s.name)
			}
			continue
		}
		if err := s.run(t, listeners[i]); err != nil {
			t.Fatalf("session %s: %v", s.name, err)
		}
	}
	stop()
	return out
}

// tsharkCount returns tshark's count of TCP packets in a file, or skips.
func tsharkCount(t *testing.T, path string) int {
	t.Helper()
	testenv.NeedCommand(t, "tshark", "cannot cross-check counts (apt-get install tshark)")
	out, err := exec.Command("tshark", "-r", path, "-Y", "tcp").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	return strings.Count(string(out), "\n")
}

// startTcpdump starts a capture (argv: tcpdump and its arguments, or a
// command that runs it, e.g. ip netns exec), waits until it is listening,
// and returns the function that stops it once the last segments are in.
// A capture the kernel dropped packets from skips the test.
func startTcpdump(t *testing.T, argv []string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel) // kills tcpdump if the test ends before stop
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	listening := make(chan string, 1)
	var tail strings.Builder
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			tail.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "listening on") {
				listening <- sc.Text()
			}
		}
		close(listening)
	}()
	if _, ok := <-listening; !ok {
		wg.Wait()
		cmd.Wait()
		cancel()
		t.Fatalf("tcpdump did not start: %s", tail.String())
	}
	return func() {
		defer cancel()
		time.Sleep(100 * time.Millisecond) // let the last segments reach the capture
		_ = cmd.Process.Signal(os.Interrupt)
		wg.Wait()
		if err := cmd.Wait(); err != nil && ctx.Err() != nil {
			t.Fatalf("tcpdump: %v", err)
		}
		if m := regexp.MustCompile(`(\d+) packets dropped by kernel`).FindStringSubmatch(tail.String()); m != nil && m[1] != "0" {
			t.Skipf("tcpdump reports %s packets dropped by the kernel: the capture is incomplete, so its states cannot be checked", m[1])
		}
	}
}
