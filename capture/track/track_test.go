package track

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

var (
	cli = netip.MustParseAddrPort("10.0.0.1:40000")
	srv = netip.MustParseAddrPort("10.0.0.2:80")
)

func pkt(src, dst netip.AddrPort, f fsm.Flags, seq, ack fsm.Seq, n uint32) *decode.Packet {
	return &decode.Packet{Src: src, Dst: dst, Seg: fsm.Segment{Seq: seq, Ack: ack, Flags: f, Window: 100, Len: n}, WScale: -1}
}

const ms = int64(time.Millisecond)

// feed adds packets one millisecond apart from t0 (ms).
func feed(tr *Tracker, t0 int64, ps ...*decode.Packet) {
	for i, p := range ps {
		tr.Add((t0+int64(i))*ms, p)
	}
}

func handshake(c, s netip.AddrPort, isn, irs fsm.Seq) []*decode.Packet {
	return []*decode.Packet{
		pkt(c, s, fsm.SYN, isn, 0, 0),
		pkt(s, c, fsm.SYN|fsm.ACK, irs, isn+1, 0),
		pkt(c, s, fsm.ACK, isn+1, irs+1, 0),
	}
}

func TestClientIsTheFirstSYNsSender(t *testing.T) {
	for _, tc := range []struct {
		name       string
		first      *decode.Packet
		wantClient netip.AddrPort
		mid        bool
	}{
		{"SYN from the low port", pkt(srv, cli, fsm.SYN, 1, 0, 0), srv, false},
		{"SYN,ACK: its receiver", pkt(srv, cli, fsm.SYN|fsm.ACK, 1, 2, 0), cli, false},
		{"mid-stream: the higher port", pkt(srv, cli, fsm.ACK, 1, 2, 10), cli, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := New(Options{Timelines: true})
			tr.Add(0, tc.first)
			c := tr.Conn(0)
			if c.Endpoints().Client != tc.wantClient || c.MidStream() != tc.mid {
				t.Errorf("client %v mid %v", c.Endpoints().Client, c.MidStream())
			}
			if tl := tr.Timeline(c); tl.MidStream != tc.mid {
				t.Errorf("timeline MidStream %v", tl.MidStream)
			}
			if tc.mid && c.States() != [2]fsm.State{fsm.Established, fsm.Established} {
				t.Errorf("mid-stream states %v", c.States())
			}
		})
	}
}

func TestPortReuseStartsANewConnection(t *testing.T) {
	tr := New(Options{Timelines: true})
	ps := handshake(cli, srv, 100, 500)
	ps = append(ps,
		pkt(cli, srv, fsm.FIN|fsm.ACK, 101, 501, 0),
		pkt(srv, cli, fsm.FIN|fsm.ACK, 501, 102, 0),
		pkt(cli, srv, fsm.ACK, 102, 502, 0),
	)
	ps = append(ps, handshake(cli, srv, 90000, 7000)...) // a new SYN while the client is in TIME-WAIT
	feed(tr, 0, ps...)
	if tr.Len() != 2 {
		t.Fatalf("%d connections, want 2", tr.Len())
	}
	if a, b := tr.Conn(0), tr.Conn(1); a.Segments() != 6 || b.Segments() != 3 || b.ID() != 1 ||
		b.States() != [2]fsm.State{fsm.Established, fsm.Established} {
		t.Errorf("first %d segments %v, second %d segments %v", a.Segments(), a.States(), b.Segments(), b.States())
	}
	// The new SYN ends the old connection's TIME-WAIT (RFC 9293 §3.6,
	// MAY-2): its timeline closes with a timer step at the SYN's time.
	old := tr.Timeline(tr.Conn(0))
	last := old.Steps[len(old.Steps)-1]
	if tr.Conn(0).States() != [2]fsm.State{fsm.Closed, fsm.Closed} || last.Event != timeline.Timer ||
		last.Why[fsm.Client] != fsm.ObsTimeWaitReused || last.T != 6*time.Millisecond {
		t.Errorf("the old connection ends %v with %s at %v (%v), want CLOSED/CLOSED by a timer at the new SYN", tr.Conn(0).States(), last.Event, last.T, last.Why)
	}
	// A stray ACK after the first connection is done but before any SYN
	// stays in it (not a new connection).
	tr2 := New(Options{})
	feed(tr2, 0, ps[:6]...)
	feed(tr2, 10, pkt(cli, srv, fsm.ACK, 102, 502, 0))
	if tr2.Len() != 1 {
		t.Errorf("a stray ACK made %d connections", tr2.Len())
	}
}

func TestTimeWaitExpiresOnTheCaptureClock(t *testing.T) {
	tr := New(Options{Timelines: true})
	var steps []string
	tr.opts.OnStep = func(c *Conn, tl *timeline.Timeline, i int) {
		steps = append(steps, tl.Conn.Client.String()+" "+tl.Steps[i].Event.String())
	}
	other := netip.MustParseAddrPort("10.0.0.3:41000")
	ps := append(handshake(cli, srv, 100, 500),
		pkt(cli, srv, fsm.FIN|fsm.ACK, 101, 501, 0),
		pkt(srv, cli, fsm.FIN|fsm.ACK, 501, 102, 0),
		pkt(cli, srv, fsm.ACK, 102, 502, 0),
	)
	feed(tr, 0, ps...)
	feed(tr, 1000, handshake(other, srv, 1, 2)...)
	// 60 s after the client's TIME-WAIT began, another connection's segment
	// moves the capture clock past the deadline.
	tr.Add(70_000*ms, pkt(other, srv, fsm.ACK, 2, 3, 5))
	tr.Finish()
	c := tr.Conn(0)
	if c.States() != [2]fsm.State{fsm.Closed, fsm.Closed} {
		t.Fatalf("states %v", c.States())
	}
	tl := tr.Timeline(c)
	last := tl.Steps[len(tl.Steps)-1]
	if last.Event != timeline.Timer || last.T != time.Duration(4*ms+60_000*ms) || last.Actor != fsm.Client || last.Why[fsm.Client] != fsm.TimerTimeWait {
		t.Errorf("last step %+v", last)
	}
	// The timer step comes before the segment that passed its deadline.
	if n := len(steps); steps[n-2] != cli.String()+" timer" || steps[n-1] != other.String()+" segment" {
		t.Errorf("order %v", steps[n-3:])
	}
}

func TestWindowScaling(t *testing.T) {
	tr := New(Options{Timelines: true})
	syn := pkt(cli, srv, fsm.SYN, 100, 0, 0)
	syn.WScale = 7
	synack := pkt(srv, cli, fsm.SYN|fsm.ACK, 500, 101, 0)
	synack.WScale = 2
	feed(tr, 0, syn, synack, pkt(cli, srv, fsm.ACK, 101, 501, 0), pkt(srv, cli, fsm.ACK, 501, 101, 0))
	steps := tr.Timeline(tr.Conn(0)).Steps
	if steps[0].Seg.Window != 100 || steps[2].Seg.Window != 100<<7 || steps[3].Seg.Window != 100<<2 {
		t.Errorf("windows %d %d %d", steps[0].Seg.Window, steps[2].Seg.Window, steps[3].Seg.Window)
	}
}

func TestDeltaHandsOutEachStepOnce(t *testing.T) {
	tr := New(Options{Timelines: true})
	feed(tr, 0, handshake(cli, srv, 1, 2)...)
	d := tr.Delta()
	if len(d) != 1 || len(d[0].Steps) != 3 || d[0].Segments != 3 || d[0].Header.Conn.Client != cli {
		t.Fatalf("first delta %+v", d)
	}
	if d := tr.Delta(); d != nil {
		t.Errorf("second delta %+v", d)
	}
	tr.Add(10*ms, pkt(cli, srv, fsm.ACK|fsm.PSH, 2, 3, 4))
	d2 := tr.Delta()
	if len(d2) != 1 || len(d2[0].Steps) != 1 || d2[0].BytesC2S != 4 {
		t.Errorf("third delta %+v", d2)
	}
	// The view may append to what it got without touching the tracker.
	_ = append(d[0].Steps, timeline.Step{})
	if tr.Timeline(tr.Conn(0)).Steps[3].Seg.Len != 4 {
		t.Error("appending to a delta overwrote the tracker's step")
	}
}

func TestAddAllocatesNothing(t *testing.T) {
	tr := New(Options{})
	feed(tr, 0, handshake(cli, srv, 1, 2)...)
	p := pkt(cli, srv, fsm.ACK|fsm.PSH, 2, 3, 10)
	ts := int64(10 * ms)
	if n := testing.AllocsPerRun(1000, func() {
		ts += ms
		p.Seg.Seq += 10
		tr.Add(ts, p)
	}); n != 0 {
		t.Errorf("%v allocations per segment, want 0", n)
	}
}

// TestSummaryMemoryPerConnection tracks 100,000 connections in summary mode
// and measures the heap they hold: under 300 bytes each.
func TestSummaryMemoryPerConnection(t *testing.T) {
	const n = 100_000
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	tr := New(Options{})
	for i := 0; i < n; i++ {
		c := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%60000))
		feed(tr, int64(i), handshake(c, srv, fsm.Seq(i), fsm.Seq(i*7))...)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes per tracked connection (%d connections)", per, tr.Len())
	if tr.Len() != n || per >= 300 {
		t.Errorf("%d connections, %.0f bytes each (want < 300)", tr.Len(), per)
	}
	runtime.KeepAlive(tr)
}

// FuzzReplay feeds arbitrary bytes as a capture file through the reader,
// the decoder and the tracker with its observers: no panic, and every
// segment read appears exactly once in a timeline.
func FuzzReplay(f *testing.F) {
	// The seeds are the first kilobyte of real captures (a handshake and
	// some data): small seeds keep the fuzzer's minimization quick.
	for _, name := range []string{"lo.pcap", "lo.pcapng", "any-sll2.pcap", "any-sll.pcap", "lo-rawip.pcap"} {
		if data, err := os.ReadFile(filepath.Join("..", "testdata", name)); err == nil {
			f.Add(data[:min(len(data), 1024)])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := pcapfile.NewReader(bytes.NewReader(data), "fuzz", int64(len(data)))
		if err != nil {
			return
		}
		tr := New(Options{Timelines: true, Preview: 8})
		stats, _ := Replay(r, tr, ReplayOptions{})
		segs := 0
		for i := 0; i < tr.Len(); i++ {
			c := tr.Conn(i)
			n := 0
			for _, s := range tr.Timeline(c).Steps {
				if s.Event == timeline.Observe {
					n++
				}
				if !s.States[0].Valid() || !s.States[1].Valid() {
					t.Fatalf("invalid state %v", s.States)
				}
			}
			if n != c.Segments() {
				t.Fatalf("connection %d: %d steps for %d segments", i, n, c.Segments())
			}
			segs += n
		}
		if uint64(segs)+stats.Malformed+stats.NonTCP != stats.Packets {
			t.Fatalf("%d segments + %d malformed + %d non-TCP != %d packets", segs, stats.Malformed, stats.NonTCP, stats.Packets)
		}
	})
}

func TestConnPointersAreStable(t *testing.T) {
	tr := New(Options{})
	var ptrs []*Conn
	for i := 0; i < 5000; i++ {
		c := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}), 50000)
		tr.Add(int64(i)*ms, pkt(c, srv, fsm.SYN, fsm.Seq(i), 0, 0))
		ptrs = append(ptrs, tr.Conn(i))
	}
	for i, p := range ptrs {
		if tr.Conn(i) != p || p.ID() != i || p.Endpoints().Client.Port() != 50000 || p.Segments() != 1 {
			t.Fatalf("connection %d moved or is wrong: %p %p id %d", i, tr.Conn(i), p, p.ID())
		}
	}
}

// TestStreamKeepsOnlyTheLastStep checks that streaming numbers steps as
// the full timeline does while holding one step per connection.
func TestStreamKeepsOnlyTheLastStep(t *testing.T) {
	var full, streamed []string
	record := func(out *[]string) func(c *Conn, tl *timeline.Timeline, i int) {
		return func(c *Conn, tl *timeline.Timeline, i int) {
			s := tl.Steps[i]
			prev := tl.Prev(i)
			*out = append(*out, tl.Conn.String()+" #"+itoa(c.StepNumber(i))+" "+s.Event.String()+" "+prev[0].String()+"→"+s.States[0].String())
		}
	}
	other := netip.MustParseAddrPort("10.0.0.3:41000")
	ps := append(handshake(cli, srv, 100, 500), handshake(other, srv, 1, 2)...)
	ps = append(ps, pkt(cli, srv, fsm.FIN|fsm.ACK, 101, 501, 0), pkt(srv, cli, fsm.FIN|fsm.ACK, 501, 102, 0), pkt(cli, srv, fsm.ACK, 102, 502, 0))
	for _, stream := range []bool{false, true} {
		out := &full
		if stream {
			out = &streamed
		}
		tr := New(Options{Timelines: true, Stream: stream, OnStep: record(out)})
		feed(tr, 0, ps...)
		tr.Add(100_000*ms, pkt(other, srv, fsm.ACK, 2, 3, 0))
		if n := len(tr.Timeline(tr.Conn(0)).Steps); stream && n != 1 {
			t.Errorf("stream holds %d steps", n)
		}
	}
	if strings.Join(full, "\n") != strings.Join(streamed, "\n") {
		t.Errorf("full:\n%s\nstreamed:\n%s", strings.Join(full, "\n"), strings.Join(streamed, "\n"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestHandOffKeepsNothingDelivered(t *testing.T) {
	tr := New(Options{Timelines: true, HandOff: true})
	feed(tr, 0, handshake(cli, srv, 1, 2)...)
	d := tr.Delta()
	if len(d) != 1 || len(d[0].Steps) != 3 || len(tr.Timeline(tr.Conn(0)).Steps) != 0 {
		t.Fatalf("delta %d steps, tracker keeps %d", len(d[0].Steps), len(tr.Timeline(tr.Conn(0)).Steps))
	}
	tr.Add(10*ms, pkt(cli, srv, fsm.ACK|fsm.PSH, 2, 3, 4))
	d2 := tr.Delta()
	if len(d2) != 1 || len(d2[0].Steps) != 1 || d2[0].Steps[0].Seg.Len != 4 || tr.Conn(0).StepNumber(0) != 4 {
		t.Errorf("second delta %+v", d2)
	}
	if d[0].Steps[2].States != [2]fsm.State{fsm.Established, fsm.Established} {
		t.Error("the first delta's steps changed")
	}
}

// BenchmarkAdd tracks data segments on 1,000 established connections in
// turn (summary mode): the per-segment cost of the table and the observer.
func BenchmarkAdd(b *testing.B) {
	const conns = 1000
	tr := New(Options{})
	var data []*decode.Packet
	for i := 0; i < conns; i++ {
		c := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), uint16(20000+i))
		feed(tr, int64(i), handshake(c, srv, fsm.Seq(i), fsm.Seq(i*7))...)
		data = append(data, pkt(c, srv, fsm.ACK|fsm.PSH, fsm.Seq(i+1), fsm.Seq(i*7+1), 100))
	}
	ts := int64(10 * time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := data[i%conns]
		ts += 1000
		tr.Add(ts, p)
		p.Seg.Seq += 100
	}
}
