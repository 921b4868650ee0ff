package track

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
)

// replayFile replays a capture with full timelines.
func replayFile(t *testing.T, path string) (*Tracker, timeline.Stats) {
	t.Helper()
	r, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tr := New(Options{Source: path, Timelines: true, Preview: 16})
	stats, err := Replay(r, tr, ReplayOptions{})
	if err != nil {
		t.Fatalf("replay %s: %v", path, err)
	}
	return tr, stats
}

func flagString(f timeline.ConnFlags) string {
	var s []string
	if f&timeline.ConnRefused != 0 {
		s = append(s, "refused")
	} else if f&timeline.ConnReset != 0 {
		s = append(s, "rst")
	}
	return strings.Join(s, ",")
}

// checkSessions checks that connection i of the capture is session i, with
// the client and final states the session's socket calls imply, and that
// every segment appears exactly once in its timeline, in capture order.
func checkSessions(t *testing.T, tr *Tracker, ss []*session) {
	t.Helper()
	if tr.Len() != len(ss) {
		t.Fatalf("%d connections, want %d", tr.Len(), len(ss))
	}
	for i, s := range ss {
		c := tr.Conn(i)
		ends := c.Endpoints()
		port := s.listenPort
		if s.refused {
			port = s.refusedPort
		}
		if port != 0 && int(ends.Server.Port()) != port {
			t.Errorf("%s: server is %v, want port %d (client %v)", s.name, ends.Server, port, ends.Client)
		}
		if (s.network == "tcp6") != ends.Client.Addr().Is6() {
			t.Errorf("%s: client address %v", s.name, ends.Client)
		}
		if got := c.States(); got != [2]fsm.State{s.wantClient, s.wantServer} {
			t.Errorf("%s: final states client %v server %v, want %v %v\n%s", s.name, got[0], got[1], s.wantClient, s.wantServer, dump(tr.Timeline(c)))
		}
		if got := flagString(c.Flags()); got != s.wantFlags {
			t.Errorf("%s: flags %q, want %q", s.name, got, s.wantFlags)
		}
		if c.MidStream() {
			t.Errorf("%s: marked mid-stream", s.name)
		}
		tl := tr.Timeline(c)
		n := 0
		for j, st := range tl.Steps {
			if st.Event == timeline.Observe {
				n++
			}
			if j > 0 && st.T < tl.Steps[j-1].T {
				t.Errorf("%s: step %d goes back in time", s.name, j)
			}
		}
		if n != c.Segments() {
			t.Errorf("%s: %d segment steps for %d segments", s.name, n, c.Segments())
		}
	}
}

func dump(tl *timeline.Timeline) string {
	var b strings.Builder
	for _, s := range tl.Steps {
		b.WriteString("  " + s.Event.String() + " " + s.Dir.String() + " " + s.Seg.String() + " → " + s.States[0].String() + "/" + s.States[1].String() + "\n")
	}
	return b.String()
}

func totalSegments(tr *Tracker) int {
	n := 0
	for i := 0; i < tr.Len(); i++ {
		n += tr.Conn(i).Segments()
	}
	return n
}

// TestReplayRealCaptures captures real loopback sessions with tcpdump on lo
// (Ethernet) and on any (Linux cooked v1 and v2), converts one to pcapng,
// and checks every file against the sessions and against tshark's count.
func TestReplayRealCaptures(t *testing.T) {
	needCapture(t)
	variants := []struct {
		name, iface, linkType, fixture string
	}{
		{"lo ethernet", "lo", "", "lo.pcap"},
		{"any linux cooked v2", "any", "LINUX_SLL2", "any-sll2.pcap"},
		{"any linux cooked v1", "any", "LINUX_SLL", "any-sll.pcap"},
	}
	update := os.Getenv("TCPVIZ_UPDATE_FIXTURES") != ""
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			ss := sessions()
			path := captureSessions(t, v.iface, v.linkType, ss)
			files := []string{path}
			if testenv.HaveCommand(t, "editcap") {
				ng := strings.TrimSuffix(path, ".pcap") + ".pcapng"
				if out, err := exec.Command("editcap", "-F", "pcapng", path, ng).CombinedOutput(); err != nil {
					t.Fatalf("editcap: %v %s", err, out)
				}
				files = append(files, ng)
				if v.iface == "lo" {
					// The same packets as raw IP (LINKTYPE_RAW): the
					// 14-byte Ethernet header chopped off.
					raw := strings.TrimSuffix(path, ".pcap") + "-rawip.pcap"
					if out, err := exec.Command("editcap", "-C", "14", "-T", "rawip", path, raw).CombinedOutput(); err != nil {
						t.Fatalf("editcap: %v %s", err, out)
					}
					files = append(files, raw)
				}
			}
			for _, f := range files {
				tr, stats := replayFile(t, f)
				checkSessions(t, tr, ss)
				if stats.Malformed != 0 {
					t.Errorf("%s: %d malformed packets", f, stats.Malformed)
				}
				if want := tsharkCount(t, f); totalSegments(tr) != want {
					t.Errorf("%s: %d segments, tshark counts %d", filepath.Base(f), totalSegments(tr), want)
				}
				if update {
					name := v.fixture
					if strings.HasSuffix(f, ".pcapng") {
						name = strings.TrimSuffix(name, ".pcap") + ".pcapng"
					}
					if strings.HasSuffix(f, "-rawip.pcap") {
						name = strings.TrimSuffix(name, ".pcap") + "-rawip.pcap"
					}
					data, _ := os.ReadFile(f)
					if err := os.WriteFile(filepath.Join("..", "testdata", name), data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// TestReplayFixtures replays the committed captures (made by
// TestReplayRealCaptures with TCPVIZ_UPDATE_FIXTURES=1): no root needed.
func TestReplayFixtures(t *testing.T) {
	for _, name := range []string{"lo.pcap", "lo.pcapng", "lo-rawip.pcap", "any-sll2.pcap", "any-sll.pcap", "any-sll2.pcapng", "any-sll.pcapng"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "testdata", name)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("fixture %s missing", name)
			}
			tr, _ := replayFile(t, path)
			checkSessions(t, tr, sessions())
		})
	}
}

func TestReplayErrors(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.txt")
	os.WriteFile(notCapture, []byte("hello, this is text\n"), 0o644)
	for _, tc := range []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope.pcap"), "no such file"},
		{"directory", dir, "is a directory"},
		{"not a capture", notCapture, "not a pcap or pcapng file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pcapfile.Open(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line with %q", err, tc.want)
			}
		})
	}
}

func TestReplayTruncatedShowsWhatWasRead(t *testing.T) {
	for _, name := range []string{"lo.pcap", "lo.pcapng"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), name)
			os.WriteFile(path, data[:len(data)*2/3], 0o644)
			r, err := pcapfile.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			tr := New(Options{})
			stats, err := Replay(r, tr, ReplayOptions{})
			var te *pcapfile.TruncatedError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a TruncatedError", err)
			}
			if te.Packets == 0 || te.Packets != stats.Packets || tr.Len() == 0 {
				t.Errorf("read %d packets (%d in the error), %d connections", stats.Packets, te.Packets, tr.Len())
			}
			if !strings.Contains(err.Error(), "truncated") {
				t.Errorf("message %q", err)
			}
		})
	}
}

// TestReplayConcurrentConnections captures 100 echo connections running at
// once (their segments interleave) and checks each is tracked separately
// to the states its calls imply, and that the counts agree with tshark.
func TestReplayConcurrentConnections(t *testing.T) {
	needCapture(t)
	const n = 100
	s := &session{name: "concurrent", network: "tcp4", run: func(t *testing.T, ln net.Listener) error {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					buf := make([]byte, 64)
					k, err := c.Read(buf)
					if err != nil {
						return
					}
					c.Write([]byte(strings.ToUpper(string(buf[:k]))))
					io.Copy(io.Discard, c) // until the client's FIN: the client closes first
				}()
			}
		}()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := dial(ln)
				if err != nil {
					errs <- err
					return
				}
				c.Write([]byte("hello"))
				buf := make([]byte, 5)
				if _, err := io.ReadFull(c, buf); err != nil {
					errs <- err
				}
				c.Close()
			}()
		}
		wg.Wait()
		time.Sleep(50 * time.Millisecond)
		close(errs)
		return <-errs
	}}
	path := captureSessions(t, "any", "LINUX_SLL2", []*session{s})
	tr, _ := replayFile(t, path)
	if tr.Len() != n {
		t.Fatalf("%d connections, want %d", tr.Len(), n)
	}
	for i := 0; i < n; i++ {
		c := tr.Conn(i)
		if st := c.States(); st != [2]fsm.State{fsm.TimeWait, fsm.Closed} || c.Segments() < 8 || int(c.Endpoints().Server.Port()) != s.listenPort {
			t.Errorf("connection %d (%v): %v/%v after %d segments\n%s", i, c.Endpoints(), st[0], st[1], c.Segments(), dump(tr.Timeline(c)))
		}
	}
	if want := tsharkCount(t, path); totalSegments(tr) != want {
		t.Errorf("%d segments, tshark counts %d", totalSegments(tr), want)
	}
}

// TestReplayBatches reads a capture through the batch channel as the view
// does, on another goroutine, appending each delta to its own copies: the
// result is every step exactly once, progress only grows, the last batch
// says Done, and the channel is closed. (Run with -race.)
func TestReplayBatches(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "any-sll2.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	// Many copies of the capture, shifted in time, so there are many batches.
	path := filepath.Join(t.TempDir(), "big.pcap")
	writeRepeated(t, path, data, 200)
	r, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tr := New(Options{Source: path, Timelines: true, Preview: 8})
	ch := make(chan timeline.Batch, 1)
	type view struct {
		steps []timeline.Step
		segs  int
	}
	got := map[int]*view{}
	var batches int
	var last timeline.Batch
	done := make(chan struct{})
	go func() {
		defer close(done)
		prev := -1.0
		for b := range ch {
			batches++
			if b.Progress < prev {
				t.Errorf("progress went back: %v after %v", b.Progress, prev)
			}
			prev = b.Progress
			for _, d := range b.Conns {
				v := got[d.ID]
				if v == nil {
					v = &view{}
					got[d.ID] = v
				}
				v.steps = append(v.steps, d.Steps...)
				v.segs = d.Segments
			}
			last = b
			time.Sleep(time.Millisecond) // a slow view
		}
	}()
	if _, err := Replay(r, tr, ReplayOptions{Batches: ch, Interval: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	<-done
	if !last.Done || last.Progress != 1 || last.Stats.Packets != 50*200 {
		t.Errorf("last batch %+v", last)
	}
	if batches < 2 || len(got) != tr.Len() {
		t.Errorf("%d batches, %d connections seen of %d", batches, len(got), tr.Len())
	}
	for id, v := range got {
		c := tr.Conn(id)
		want := tr.Timeline(c).Steps
		if len(v.steps) != len(want) || v.segs != c.Segments() {
			t.Fatalf("connection %d: %d steps in batches, %d tracked", id, len(v.steps), len(want))
		}
		for i := range want {
			if v.steps[i].T != want[i].T || v.steps[i].Seg.Seq != want[i].Seg.Seq || v.steps[i].States != want[i].States {
				t.Fatalf("connection %d step %d differs", id, i)
			}
		}
	}
}

// writeRepeated writes a pcap holding the records of data n times, each
// copy an hour after the previous (so the copies' connections do not mix).
func writeRepeated(t *testing.T, path string, data []byte, n int) {
	t.Helper()
	out := append([]byte(nil), data[:24]...)
	for k := 0; k < n; k++ {
		for off := 24; off+16 <= len(data); {
			caplen := int(binary.LittleEndian.Uint32(data[off+8:]))
			rec := append([]byte(nil), data[off:off+16+caplen]...)
			sec := binary.LittleEndian.Uint32(rec[0:]) + uint32(k)*3600
			binary.LittleEndian.PutUint32(rec[0:], sec)
			out = append(out, rec...)
			off += 16 + caplen
		}
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReplayStreamDeliversWhileWaiting feeds a capture through a pipe that
// then stays open: the segments already written must reach the view within
// the batch interval, not wait for the next packet or the end.
func TestReplayStreamDeliversWhileWaiting(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "lo.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go pw.Write(data) // the whole capture, then the pipe stays open
	r, err := pcapfile.NewReader(pr, "stdin", -1)
	if err != nil {
		t.Fatal(err)
	}
	tr := New(Options{Timelines: true})
	ch := make(chan timeline.Batch, 4)
	done := make(chan error, 1)
	go func() {
		_, err := Replay(r, tr, ReplayOptions{Batches: ch, Interval: 20 * time.Millisecond})
		done <- err
	}()
	steps := 0
	timeout := time.After(5 * time.Second)
	for steps < 50 {
		select {
		case b := <-ch:
			for _, d := range b.Conns {
				steps += len(d.Steps)
			}
			if b.Progress != -1 {
				t.Errorf("progress %v for a stream of unknown size", b.Progress)
			}
		case <-timeout:
			t.Fatalf("only %d of 50 steps arrived while the pipe stayed open", steps)
		}
	}
	pw.Close()
	for b := range ch {
		if b.Done && b.Err != nil {
			t.Errorf("end: %v", b.Err)
		}
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
}
