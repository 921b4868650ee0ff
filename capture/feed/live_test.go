package feed

import (
	"bytes"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/capture/filter"
	"github.com/tcpviz/tcpviz/capture/live"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
)

func needCapture(t testing.TB) {
	t.Helper()
	testenv.NeedRawSocket(t)
}

// liveOn opens a capture of lo kept to one TCP port, as `tcpviz live
// --filter 'port N'` does.
func liveOn(t testing.TB, port int) Live {
	t.Helper()
	h, err := live.Open(live.Config{Interface: "lo", Filter: filter.Port(uint16(port))})
	if err != nil {
		t.Fatal(err)
	}
	return Live{H: h}
}

// echoServer echoes every connection to a loopback listener until closed.
func echoServer(t testing.TB) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// roundTrips sends n small requests on c and reads each echo.
func roundTrips(t testing.TB, c net.Conn, n int) {
	buf := make([]byte, 16)
	for i := 0; i < n; i++ {
		if _, err := c.Write(buf); err != nil {
			t.Error(err)
			return
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Error(err)
			return
		}
	}
}

// runLive runs src into out on a goroutine; stop ends it, and the returned
// function waits for it.
func runLive(src Live, out Output) (stop func() (timeline.Stats, error)) {
	quit := make(chan struct{})
	type result struct {
		st  timeline.Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := Run(src, out, quit)
		done <- result{st, err}
	}()
	return func() (timeline.Stats, error) {
		close(quit)
		r := <-done
		return r.st, r.err
	}
}

// TestLiveStreamsAsReplayDoes: a live capture's JSON numbers each
// connection's steps from 0 and is out before the capture stops, and its
// text ends a connection still open with what the capture leaves uncertain,
// as replay's does.
func TestLiveStreamsAsReplayDoes(t *testing.T) {
	needCapture(t)
	ln, port := echoServer(t)
	defer ln.Close()
	jsonOut, textOut := &lockedBuffer{}, &lockedBuffer{}
	stopJSON := runLive(liveOn(t, port), JSON(jsonOut, narrate.EN))
	stopText := runLive(liveOn(t, port), Text(textOut, narrate.EN))
	time.Sleep(100 * time.Millisecond) // both sockets bound
	closed, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	roundTrips(t, closed, 3)
	closed.Close()
	open, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	roundTrips(t, open, 2)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(jsonOut.String(), `"client":"TIME-WAIT","server":"CLOSED"`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(jsonOut.String(), `"client":"TIME-WAIT","server":"CLOSED"`) {
		t.Errorf("the closed connection's last JSON line is not out while the capture runs:\n%s", jsonOut.String())
	}
	if _, err := stopJSON(); err != nil {
		t.Fatal(err)
	}
	if _, err := stopText(); err != nil {
		t.Fatal(err)
	}

	next, _ := stepsPerConn(t, strings.NewReader(jsonOut.String()))
	if len(next) != 2 {
		t.Errorf("%d connections in the JSON, want 2", len(next))
	}
	text := textOut.String()
	if n := strings.Count(text, "lo: "); n != 2 {
		t.Errorf("%d ladders, want 2:\n%s", n, text)
	}
	if !strings.Contains(text, "  ! client: ESTABLISHED at the last segment seen") {
		t.Errorf("no uncertain line for the connection left open:\n%s", text)
	}
}

// TestLiveMemoryStaysFlat captures a bounded loopback load (8 connections
// exchanging small echoes, at most 16,000 round trips a second) into JSON
// and summaries for TCPVIZ_SOAK (a duration, e.g. 10m; "1" is 10 s), and
// reports the heap after GC at the start, middle and end: what the
// outputs hold must not grow with the packets.
func TestLiveMemoryStaysFlat(t *testing.T) {
	soak := os.Getenv("TCPVIZ_SOAK")
	if soak == "" {
		t.Skip("skipped: set TCPVIZ_SOAK=10m (or another duration) for the live memory soak")
	}
	d, err := time.ParseDuration(soak)
	if soak == "1" {
		d, err = 10*time.Second, nil
	}
	if err != nil {
		t.Fatalf("TCPVIZ_SOAK=%q: want a duration such as 10m", soak)
	}
	needCapture(t)
	ln, port := echoServer(t)
	defer ln.Close()
	var lines countingWriter
	stopJSON := runLive(liveOn(t, port), JSON(&lines, narrate.EN))
	var summaries bytes.Buffer
	stopSummary := runLive(liveOn(t, port), Summary(&summaries))
	time.Sleep(100 * time.Millisecond)

	const conns, perTick = 8, 20 // 8 × 20 round trips per 10 ms
	var trips atomic.Int64
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-quit:
					return
				case <-tick.C:
					roundTrips(t, c, perTick)
					trips.Add(perTick)
				}
			}
		}()
	}

	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	start := time.Now()
	var samples []uint64
	var peak uint64
	for at := d / 10; ; at += d / 10 {
		time.Sleep(time.Until(start.Add(at)))
		h := heap()
		samples = append(samples, h)
		peak = max(peak, h)
		t.Logf("%4.0f s: heap %.1f MB, %d round trips, %d JSON lines", time.Since(start).Seconds(), float64(h)/1e6, trips.Load(), lines.lines.Load())
		if at >= d {
			break
		}
	}
	close(quit)
	wg.Wait()
	js, err := stopJSON()
	if err != nil {
		t.Fatal(err)
	}
	ss, err := stopSummary()
	if err != nil {
		t.Fatal(err)
	}
	first, mid, last := samples[0], samples[len(samples)/2], samples[len(samples)-1]
	t.Logf("live soak %v: %d round trips (%.0f/s), %d packets captured per capture (%.0f/s), kernel drops %d and %d, %d JSON lines; heap %.1f MB at %v, %.1f MB at the middle, %.1f MB at the end, peak %.1f MB",
		d, trips.Load(), float64(trips.Load())/d.Seconds(), js.Packets, float64(js.Packets)/d.Seconds(), js.Dropped, ss.Dropped, lines.lines.Load(),
		float64(first)/1e6, d/10, float64(mid)/1e6, float64(last)/1e6, float64(peak)/1e6)
	if lines.lines.Load() < int64(d.Seconds())*1000 {
		t.Errorf("only %d JSON lines: the load did not run", lines.lines.Load())
	}
	if last > first+4<<20 || peak > first+8<<20 {
		t.Errorf("the heap grew from %.1f MB to %.1f MB (peak %.1f MB)", float64(first)/1e6, float64(last)/1e6, float64(peak)/1e6)
	}
	if n := strings.Count(summaries.String(), "\n"); n != conns {
		t.Errorf("%d summary lines, want %d", n, conns)
	}
}

// countingWriter counts the lines written to it and drops them.
type countingWriter struct{ lines atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.lines.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}
