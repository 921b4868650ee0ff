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
	s, err := Listen("127.0.0.1:0", func(e Event) { mu.Lock(); events = append(events, e.Kind); mu.Unlock() })
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
	_, err = Listen(ln.Addr().String(), nil)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(ln.Addr().String()+" is busy")) {
		t.Fatalf("Listen on a busy port: %v", err)
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan netip.AddrPort, 1)
	done := make(chan error)
	go func() { done <- Serve(ctx, "127.0.0.1:0", func(a netip.AddrPort) { ready <- a }, nil) }()
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
	s, err := Listen("127.0.0.1:0", nil)
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
	s, err := Listen("127.0.0.1:0", nil)
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
