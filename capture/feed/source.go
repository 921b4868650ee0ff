package feed

import (
	"context"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/live"
	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"github.com/tcpviz/tcpviz/capture/track"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Source is where segments come from.
//
// Feed reads the input into tr until it ends or stop is closed, then calls
// tr.Finish. With batches set, it sends the tracker's news there (Delta;
// the last batch has Done set, and Err if the input failed) and closes it
// before returning; without, it never calls Delta. idle, if set, is called
// on Feed's goroutine whenever the input may make it wait, so that an
// output can write out what it buffers. Feed returns the counters and why
// the input ended early (track.ErrStopped if stop was closed).
type Source interface {
	Name() string
	Feed(tr *track.Tracker, batches chan<- timeline.Batch, stop <-chan struct{}, idle func()) (timeline.Stats, error)
}

// File is a capture file (or pipe) being replayed.
type File struct {
	R     *pcapfile.Reader
	Match func(*decode.Packet) bool // --filter, or nil
}

// Name is the file's name.
func (f File) Name() string { return f.R.Name() }

// Feed replays the file into tr.
func (f File) Feed(tr *track.Tracker, batches chan<- timeline.Batch, stop <-chan struct{}, idle func()) (timeline.Stats, error) {
	if idle != nil {
		f.R.BeforeRead(idle)
		defer f.R.BeforeRead(nil)
	}
	return track.Replay(f.R, tr, track.ReplayOptions{Match: f.Match, Batches: batches, Stop: stop})
}

// Live is a live capture on an open handle.
type Live struct {
	H     *live.Handle
	Match func(*decode.Packet) bool // --filter checked again in Go, or nil
	Pcap  *live.PcapFile            // --write-pcap, or nil; closed when the capture ends
}

// Name is the interface's name.
func (l Live) Name() string { return l.H.Interface() }

// Feed captures into tr until stop is closed or the capture fails. The
// last batch is sent after tr.Finish, so the view gets what it fired.
func (l Live) Feed(tr *track.Tracker, batches chan<- timeline.Batch, stop <-chan struct{}, idle func()) (timeline.Stats, error) {
	sink, err := live.NewTrackSink(tr, decode.LinkEthernet, live.SinkOptions{Match: l.Match, Quiet: batches == nil, OnFlush: idle})
	if err != nil {
		return timeline.Stats{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	var last timeline.Batch
	for b := range live.Stream(ctx, l.H, sink, live.StreamOptions{Pcap: l.Pcap}) {
		if b.Done {
			last = b
			continue // sent below, after Finish
		}
		if batches != nil {
			select {
			case batches <- b:
			case <-stop:
			}
		}
	}
	tr.Finish() // the capture goroutine has ended: the tracker is ours
	if batches != nil {
		if news := tr.Delta(); len(news) > 0 {
			last.Conns = append(last.Conns, news...)
		}
		select {
		case batches <- last:
		case <-stop:
		}
		close(batches)
	}
	return last.Stats, last.Err
}
