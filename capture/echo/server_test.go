package echo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestUpperLeavesNonLettersAlone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello", "HELLO"}, {"Hello, World! 123", "HELLO, WORLD! 123"}, {"ünï", "üNï"}, {"", ""},
	}
	for _, tt := range tests {
		if got := string(Upper([]byte(tt.in))); got != tt.want {
			t.Errorf("Upper(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestServerLogsOneLinePerConnectionEvent(t *testing.T) {
	var mu sync.Mutex
	var events []EventKind
	s, err := Listen("127.0.0.1:0", ServerOptions{}, func(e Event) { mu.Lock(); events = append(events, e.Kind); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hello"))
	buf := make([]byte, 5)
	io.ReadFull(c, buf)
	if string(buf) != "HELLO" {
		t.Errorf("reply %q", buf)
	}
	c.(*net.TCPConn).CloseWrite()
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("after our FIN the server should close: read %d %v", n, err)
	}
	c.Close()
	s.Close()
	want := []EventKind{EventAccept, EventEOF, EventClose}
	if !slices.Equal(events, want) {
		t.Errorf("events %v, want %v", events, want)
	}
}

func TestServerNamesABusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Listen(ln.Addr().String(), ServerOptions{}, nil)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(ln.Addr().String()+" is busy")) {
		t.Fatalf("Listen on a busy port: %v", err)
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan netip.AddrPort, 1)
	done := make(chan error)
	go func() { done <- Serve(ctx, "127.0.0.1:0", ServerOptions{}, func(a netip.AddrPort) { ready <- a }, nil) }()
	addr := <-ready
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// roundTrips runs clients × rounds request/reply round trips against s and
// returns every round trip's latency.
func roundTrips(tb testing.TB, addr string, clients, rounds int) ([]time.Duration, error) {
	lat := make([][]time.Duration, clients)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			reply := make([]byte, 64)
			for r := 0; r < rounds; r++ {
				req := []byte(fmt.Sprintf("client %d round %d: hello", i, r))
				start := time.Now()
				if _, err := c.Write(req); err != nil {
					errs <- err
					return
				}
				if _, err := io.ReadFull(c, reply[:len(req)]); err != nil {
					errs <- err
					return
				}
				lat[i] = append(lat[i], time.Since(start))
				if want := Upper(req); !bytes.Equal(reply[:len(req)], want) {
					errs <- fmt.Errorf("client %d round %d: reply %q, want %q", i, r, reply[:len(req)], want)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return all, nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

func TestLoad200ClientsX100RoundTrips(t *testing.T) {
	s, err := Listen("127.0.0.1:0", ServerOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	lat, err := roundTrips(t, s.Addr().String(), 200, 100)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	if len(lat) != 200*100 {
		t.Fatalf("%d round trips, want 20000", len(lat))
	}
	t.Logf("200 clients × 100 round trips in %v: %.0f round trips/s, p50 %v, p99 %v",
		el.Round(time.Millisecond), float64(len(lat))/el.Seconds(), percentile(lat, 0.5), percentile(lat, 0.99))
	if el > 20*time.Second {
		t.Errorf("took %v, want < 20s", el)
	}
}

func BenchmarkRoundTrips(b *testing.B) {
	s, err := Listen("127.0.0.1:0", ServerOptions{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const clients = 50
	rounds := max(1, b.N/clients)
	b.ResetTimer()
	start := time.Now()
	lat, err := roundTrips(b, s.Addr().String(), clients, rounds)
	if err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	b.ReportMetric(float64(len(lat))/el.Seconds(), "roundtrips/s")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds()), "p99-µs")
}

// eventLog collects a server's events, for tests.
type eventLog struct {
	mu     sync.Mutex
	kinds  map[EventKind]int
	last   time.Time     // of the last event
	closed chan struct{} // one send per EventClose
}

func newEventLog(n int) *eventLog {
	return &eventLog{kinds: map[EventKind]int{}, closed: make(chan struct{}, n)}
}

func (l *eventLog) event(e Event) {
	l.mu.Lock()
	l.kinds[e.Kind]++
	l.last = time.Now()
	l.mu.Unlock()
	if e.Kind == EventClose {
		l.closed <- struct{}{}
	}
}

func (l *eventLog) count(k EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.kinds[k]
}

func TestServerClosesIdleClientsAfterTheIdleTimeout(t *testing.T) {
	const idle, clients = 200 * time.Millisecond, 200
	log := newEventLog(clients + 1)
	s, err := Listen("127.0.0.1:0", ServerOptions{IdleTimeout: idle}, log.event)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ignore := goleak.IgnoreCurrent() // the accept loop
	start := time.Now()
	conns := make([]net.Conn, clients)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", s.Addr().String()); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
	}
	// One client talks more often than the timeout: it must stay.
	talker, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer talker.Close()
	buf := make([]byte, 8)
	for time.Since(start) < 3*idle {
		if _, err := talker.Write([]byte("hi")); err != nil {
			t.Fatalf("the talking client was cut off: %v", err)
		}
		talker.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := io.ReadFull(talker, buf[:2]); err != nil || string(buf[:2]) != "HI" {
			t.Fatalf("the talking client's echo: %q %v", buf[:2], err)
		}
		time.Sleep(idle / 4)
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("idle client %d: read %d bytes, %v; want EOF (the server closed)", i, n, err)
		}
	}
	for range clients {
		<-log.closed
	}
	log.mu.Lock()
	took := log.last.Sub(start)
	log.mu.Unlock()
	if got := log.count(EventIdle); got != clients {
		t.Errorf("%d idle events, want %d", got, clients)
	}
	if took > idle+2*time.Second {
		t.Errorf("idle clients closed after %v, want about %v", took, idle)
	}
	t.Logf("%d idle clients closed by %v after they connected (idle timeout %v)", clients, took.Round(time.Millisecond), idle)
	talker.Close()
	<-log.closed
	goleak.VerifyNone(t, ignore)
}

func TestServerDropsAClientThatNeverReadsAfterTheWriteTimeout(t *testing.T) {
	const wait = 300 * time.Millisecond
	log := newEventLog(1)
	s, err := Listen("127.0.0.1:0", ServerOptions{WriteTimeout: wait}, log.event)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ignore := goleak.IgnoreCurrent()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Send and never read: the echoes fill our receive buffer and the
	// server's send buffer, its write blocks, it stops reading, and then
	// ours block too. Keep writing until the server lets go. (Bounded: the
	// buffers of one loopback connection.)
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	var sent int
	var stalled time.Time // when a write of ours first blocked
	deadline := time.Now().Add(wait + 10*time.Second)
	for done := false; !done; {
		c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := c.Write(chunk)
		sent += n
		if isTimeout(err) && stalled.IsZero() {
			stalled = time.Now()
		}
		select {
		case <-log.closed:
			done = true
		default:
		}
		switch {
		case done:
		case time.Now().After(deadline):
			t.Fatalf("the server still holds the connection %v after our writes stalled (write timeout %v)", time.Since(stalled), wait)
		case sent > 256<<20:
			t.Fatalf("sent %d MB and the server still reads", sent>>20)
		case err != nil && !isTimeout(err):
			time.Sleep(10 * time.Millisecond) // the server has closed: its event follows
		}
	}
	if log.count(EventStalled) != 1 {
		t.Errorf("events %v, want one EventStalled", log.kinds)
	}
	t.Logf("sent %d KiB unread; the server let go %v after we stalled (write timeout %v)", sent>>10, time.Since(stalled).Round(time.Millisecond), wait)
	// Our socket is still open, and the server's goroutine is gone.
	goleak.VerifyNone(t, ignore)
}

func TestServerEventLines(t *testing.T) {
	r := netip.MustParseAddrPort("127.0.0.1:5000")
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Kind: EventIdle, Remote: r, After: time.Minute}, "127.0.0.1:5000 sent nothing for 1m0s: closing"},
		{Event{Kind: EventStalled, Remote: r, After: 10 * time.Second}, "127.0.0.1:5000 read nothing for 10s (its receive window stayed full): closing"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.e.Kind, got, tt.want)
		}
	}
}
