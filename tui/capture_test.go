package tui

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
	"github.com/tcpviz/tcpviz/tui/internal/fixture"
)

// captureConn is connection id of a fake capture: the fixture's exchange
// between the client port 49152+id and the server port 8000+id.
func captureConn(id int) *timeline.Timeline {
	tl := fixture.Capture()
	tl.Conn.Client = netip.AddrPortFrom(tl.Conn.Client.Addr(), uint16(49152+id))
	tl.Conn.Server = netip.AddrPortFrom(tl.Conn.Server.Addr(), uint16(8000+id))
	for i := range tl.Steps {
		tl.Steps[i].T += time.Duration(id) * time.Second
	}
	return tl
}

// delta is connection id's steps [from, to) as a batch entry.
func delta(tl *timeline.Timeline, id, from, to int) timeline.ConnDelta {
	h := *tl
	h.Steps = nil
	d := timeline.ConnDelta{ID: id, Header: h, Steps: tl.Steps[from:to], Segments: to, First: tl.Steps[0].T, Last: tl.Steps[to-1].T}
	for _, s := range tl.Steps[:to] {
		if s.Dir == 0 {
			d.BytesC2S += uint64(s.Seg.Len)
		} else {
			d.BytesS2C += uint64(s.Seg.Len)
		}
		if s.Analysis&timeline.Retransmission != 0 {
			d.Flags |= timeline.ConnRetransmission
		}
	}
	return d
}

func captureModel(live bool) (model, []*timeline.Timeline) {
	m := newCaptureModel(nil, CaptureOptions{Lang: narrate.EN, Source: "echo.pcap", Live: live}, true)
	conns := []*timeline.Timeline{captureConn(1), captureConn(2), captureConn(3)}
	return m, conns
}

func TestCaptureListFillsSortsFiltersAndOpens(t *testing.T) {
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			m, conns := captureModel(false)
			m = sized(m, sz.w, sz.h)
			m = send(m, batchMsg{ok: true, b: timeline.Batch{
				Conns:    []timeline.ConnDelta{delta(conns[0], 1, 0, 10), delta(conns[1], 2, 0, 4)},
				Progress: 0.4, Stats: timeline.Stats{Packets: 14, Malformed: 1, NonTCP: 2},
			}})
			testenv.Golden(t, "capture-list-reading-"+sz.name, text(m))
			m = send(m, batchMsg{ok: true, b: timeline.Batch{
				Conns:    []timeline.ConnDelta{delta(conns[1], 2, 4, 10), delta(conns[2], 3, 0, 7)},
				Progress: 1, Done: true, Stats: timeline.Stats{Packets: 27, Malformed: 1, NonTCP: 2},
			}})
			got := text(m)
			for _, want := range []string{"3 connections", "127.0.0.1:49153", "retrans", "packets 27", "malformed 1"} {
				if !strings.Contains(got, want) {
					t.Errorf("the list lacks %q:\n%s", want, got)
				}
			}
			testenv.Golden(t, "capture-list-"+sz.name, got)

			m = keys(m, "o", "o") // sort by bytes, then by segments... (cycles)
			if !strings.Contains(text(m), "sorted by bytes") {
				t.Errorf("o twice should sort by bytes:\n%s", text(m))
			}
			m = keys(m, "/", "8", "0", "0", "2", "enter")
			if got := text(m); !strings.Contains(got, "(1 shown)") || strings.Contains(got, "127.0.0.1:8001 ") {
				t.Errorf("the filter 8002 should leave one connection:\n%s", got)
			}
			m = keys(m, "enter")
			if m.screen != screenStep {
				t.Fatal("enter should open the connection")
			}
			m = keys(m, "right", "right", "right", "right")
			got = text(m)
			if !strings.Contains(got, "127.0.0.1:8002") || !strings.Contains(got, "step 5/10") {
				t.Errorf("the opened connection should be 8002 at step 5:\n%s", got)
			}
			testenv.Golden(t, "capture-open-"+sz.name, got)
			if strings.Contains(got, "d drop") {
				t.Error("a capture cannot take faults: d should not be in the help")
			}
			m = keys(m, "d")
			if !strings.Contains(m.step.Status(), "only records") {
				t.Errorf("d on a capture should say why it does nothing, got %q", m.step.Status())
			}
			m = keys(m, "esc")
			if m.screen != screenList {
				t.Error("esc should go back to the list")
			}
		})
	}
}

func TestLiveConnectionFollowsNewestUntilSteppedBack(t *testing.T) {
	m, conns := captureModel(true)
	m = sized(m, 100, 30)
	tl := conns[0]
	m = send(m, batchMsg{ok: true, b: timeline.Batch{Conns: []timeline.ConnDelta{delta(tl, 1, 0, 3)}, Progress: -1}})
	m = keys(m, "enter")
	if got := m.step.Step(); got != 2 {
		t.Fatalf("a live connection should open on its newest step, got %d", got)
	}
	m = send(m, batchMsg{ok: true, b: timeline.Batch{Conns: []timeline.ConnDelta{delta(tl, 1, 3, 6)}, Progress: -1}})
	if got := m.step.Step(); got != 5 {
		t.Errorf("following: new steps should move the view to 5, got %d", got)
	}
	if !strings.Contains(text(m), "● live") {
		t.Error("the header should say live")
	}
	m = keys(m, "left")
	m = send(m, batchMsg{ok: true, b: timeline.Batch{Conns: []timeline.ConnDelta{delta(tl, 1, 6, 8)}, Progress: -1}})
	if got := m.step.Step(); got != 4 {
		t.Errorf("after stepping back the view should stay at 4, got %d", got)
	}
	m = keys(m, "G")
	m = send(m, batchMsg{ok: true, b: timeline.Batch{Conns: []timeline.ConnDelta{delta(tl, 1, 8, 10)}, Progress: -1}})
	if got := m.step.Step(); got != 9 {
		t.Errorf("G should follow again: want 9, got %d", got)
	}
	m = send(m, batchMsg{ok: false})
	if strings.Contains(text(m), "● live") {
		t.Error("after the source ends the view is no longer live")
	}
}

// TestCaptureReadsBatchesFromItsChannel runs the real program loop on a
// channel: the reader command is re-armed after every batch and stops after
// the one marked Done.
func TestCaptureReadsBatchesFromItsChannel(t *testing.T) {
	ch := make(chan timeline.Batch, 3)
	c1, c2 := captureConn(1), captureConn(2)
	ch <- timeline.Batch{Conns: []timeline.ConnDelta{delta(c1, 1, 0, 5)}, Progress: 0.3}
	ch <- timeline.Batch{Conns: []timeline.ConnDelta{delta(c1, 1, 5, 10), delta(c2, 2, 0, 10)}, Progress: 0.9}
	ch <- timeline.Batch{Progress: 1, Done: true, Stats: timeline.Stats{Packets: 20}}
	close(ch)
	m := newCaptureModel(ch, CaptureOptions{Lang: narrate.EN, Source: "two.pcap"}, true)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "done")
	tm.Send(keyMsg("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(model)
	if final.list.Len() != 2 {
		t.Errorf("the list holds %d connections, want 2", final.list.Len())
	}
	if c := final.list.Conn(1); c == nil || c.Len() != 10 {
		t.Errorf("connection 1 should have all 10 steps from two batches")
	}
}
