package bench

import (
	"runtime"
	"testing"

	"github.com/tcpviz/tcpviz/capture/feed"
	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/connlist"
	"github.com/tcpviz/tcpviz/tui/styles"
)

// heapAfterGC is the live heap now.
func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestViewMemory replays the benchmark capture into the connection list
// as `tcpviz replay FILE` feeds the view, and reports the heap it holds
// then, whole and per stored step: the view keeps every step (it is what
// the user browses), the tracker none (it hands them off).
func TestViewMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: replays 1,000,000 packets")
	}
	path, pkts := capture(t)
	before := heapAfterGC()
	r, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	list := connlist.New(styles.New(true, true), path)
	list.SetSize(160, 45)
	steps := 0
	_, err = feed.View(feed.File{R: r}, func(batches <-chan timeline.Batch) error {
		for b := range batches {
			for i := range b.Conns {
				steps += len(b.Conns[i].Steps)
			}
			list.Apply(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	held := heapAfterGC() - before
	runtime.KeepAlive(&list)
	t.Logf("view of %d packets, %d connections, %d steps: heap %.0f MB, %.0f bytes per step (all it holds, over the steps)",
		pkts, list.Len(), steps, float64(held)/1e6, float64(held)/float64(steps))
	if list.Len() != Conns {
		t.Errorf("%d connections in the list, want %d", list.Len(), Conns)
	}
	if held > 250e6 {
		t.Errorf("the view holds %.0f MB, want under 250 MB", float64(held)/1e6)
	}
}
