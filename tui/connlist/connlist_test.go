package connlist

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/styles"
)

func conn(id int, segs int) timeline.ConnDelta {
	c := timeline.Conn{
		Client: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(10000+id%50000)),
		Server: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), uint16(80+id%3)),
	}
	st := timeline.Step{Event: timeline.Observe, States: [2]fsm.State{fsm.Established, fsm.Established}}
	return timeline.ConnDelta{ID: id, Header: timeline.Timeline{Conn: c}, Steps: []timeline.Step{st}, Segments: segs, BytesC2S: uint64(segs * 100)}
}

func TestListSortsAndFilters(t *testing.T) {
	m := New(styles.New(true, true), "test.pcap")
	m.SetSize(100, 20)
	var b timeline.Batch
	for i := 1; i <= 5; i++ {
		b.Conns = append(b.Conns, conn(i, i*3%7))
	}
	b.Progress = 0.5
	m.Apply(b)
	if m.Len() != 5 {
		t.Fatalf("Len = %d, want 5", m.Len())
	}
	m.sort = sortSegments
	m.refresh()
	if got := m.shown[0].Segments; got != 6 {
		t.Errorf("sorted by segments, the first row has %d, want 6", got)
	}
	m.filter.SetValue("10.0.0.2:82")
	m.refresh()
	if len(m.shown) != 2 {
		t.Errorf("filtering on port 82 should leave 2 rows, got %d", len(m.shown))
	}
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "(2 shown)") || !strings.Contains(v, "50%") {
		t.Errorf("the view should say 2 shown and 50%%:\n%s", v)
	}
}

// BenchmarkApply is one batch of 1,000 connections' news onto a list of
// 100,000: what the list costs per batch on a large capture.
func BenchmarkApply(b *testing.B) {
	m := New(styles.New(true, false), "big.pcap")
	m.SetSize(160, 40)
	var all timeline.Batch
	for i := range 100_000 {
		all.Conns = append(all.Conns, conn(i, 10))
	}
	m.Apply(all)
	var batch timeline.Batch
	for i := range 1000 {
		batch.Conns = append(batch.Conns, conn(i*97%100_000, 12))
		batch.Conns[i].Steps = nil
	}
	b.ResetTimer()
	for b.Loop() {
		m.Apply(batch)
	}
	_ = fmt.Sprint(m.Len())
}

// A capture's first batch can beat the terminal's first size message; the
// list must take it (CI once saw the table panic on a row with no columns).
func TestApplyBeforeSize(t *testing.T) {
	m := New(styles.New(true, true), "early.pcap")
	m.Apply(timeline.Batch{Conns: []timeline.ConnDelta{conn(1, 3)}})
	m.SetSize(100, 20)
	if v := ansi.Strip(m.View()); !strings.Contains(v, "10.0.0.1") {
		t.Errorf("the row applied before the size should show once sized:\n%s", v)
	}
}

// The kernel's drop counter means something only for a live capture.
func TestDropCounterOnlyWhenLive(t *testing.T) {
	for _, live := range []bool{false, true} {
		m := New(styles.New(true, true), "src")
		m.SetLive(live)
		m.SetSize(120, 20)
		m.Apply(timeline.Batch{Conns: []timeline.ConnDelta{conn(1, 3)}, Stats: timeline.Stats{Packets: 3, Dropped: 2}})
		if got := strings.Contains(ansi.Strip(m.View()), "kernel drops 2"); got != live {
			t.Errorf("live=%v: shows the kernel drop counter: %v", live, got)
		}
	}
}

func TestTitleCountsConnections(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{1, "src · 1 connection ·"}, {2, "src · 2 connections ·"}} {
		m := New(styles.New(true, true), "src")
		m.SetSize(120, 20)
		var b timeline.Batch
		for i := 1; i <= c.n; i++ {
			b.Conns = append(b.Conns, conn(i, 3))
		}
		m.Apply(b)
		if v := ansi.Strip(m.View()); !strings.Contains(v, c.want) {
			t.Errorf("%d connections: the title lacks %q:\n%s", c.n, c.want, v)
		}
	}
}
