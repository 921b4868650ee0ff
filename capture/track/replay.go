package track

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// NoTCPError says a capture was read to the end and held no TCP segment.
type NoTCPError struct {
	Name     string
	Packets  uint64
	Filtered uint64 // TCP segments there were, all left out by the filter
}

func (e *NoTCPError) Error() string {
	if e.Filtered > 0 {
		return fmt.Sprintf("no TCP segments in %s match the filter (%d packets, %d TCP segments)", e.Name, e.Packets, e.Filtered)
	}
	return fmt.Sprintf("no TCP segments in %s (%d packets)", e.Name, e.Packets)
}

// ReplayOptions configure Replay.
type ReplayOptions struct {
	// Match, if set, keeps only the segments it returns true for (--filter).
	Match func(p *decode.Packet) bool

	// Batches, if set, receives a timeline.Batch at most every Interval
	// (default 50 ms) while reading, and a last one with Done set; Replay
	// closes it before returning. Sends block: a slow reader slows the
	// replay rather than piling batches up.
	Batches  chan<- timeline.Batch
	Interval time.Duration

	// Stop, if set, ends the replay early when closed (the view was
	// quit): Replay stops reading, and stops sending batches.
	Stop <-chan struct{}
}

// ErrStopped is returned when ReplayOptions.Stop ended the replay.
var ErrStopped = errors.New("replay stopped")

// send delivers a batch unless the replay was stopped.
func (o *ReplayOptions) send(b timeline.Batch) bool {
	select {
	case o.Batches <- b:
		return true
	case <-o.Stop:
		return false
	}
}

// Replay reads every packet of r, decodes it and adds its TCP segments to t,
// then calls t.Finish. It returns the counters and, if the capture could not
// be read to its end, or held no TCP, why; what was read before an error is
// in t either way. Malformed packets are counted and skipped.
func Replay(r *pcapfile.Reader, t *Tracker, opts ReplayOptions) (stats timeline.Stats, err error) {
	d, err := decode.New(r.LinkType())
	if err != nil {
		err = fmt.Errorf("%s: %w", r.Name(), err)
		if opts.Batches != nil {
			opts.send(timeline.Batch{Progress: 0, Done: true, Err: err})
			close(opts.Batches)
		}
		return stats, err
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = 50 * time.Millisecond
	}
	lastSend := time.Now()
	var p decode.Packet
	var filtered uint64
	for {
		data, ts, rerr := r.Next()
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) {
				err = rerr
			}
			break
		}
		stats.Packets++
		switch d.Decode(data, &p) {
		case decode.TCP:
			if opts.Match == nil || opts.Match(&p) {
				t.Add(ts.UnixNano(), &p)
			} else {
				filtered++
			}
		case decode.NotTCP:
			stats.NonTCP++
		case decode.Malformed:
			stats.Malformed++
		}
		// Look at the clock only every 1024 packets: batches are bounded
		// in rate whatever the packet rate, and the hot loop stays cheap.
		if stats.Packets&1023 == 0 && (opts.Batches != nil || opts.Stop != nil) {
			select {
			case <-opts.Stop:
				err = ErrStopped
			default:
			}
			if err != nil {
				break
			}
			if now := time.Now(); opts.Batches != nil && now.Sub(lastSend) >= interval {
				if !opts.send(timeline.Batch{Conns: t.Delta(), Progress: r.Progress(), Stats: stats}) {
					err = ErrStopped
					break
				}
				lastSend = now
			}
		}
	}
	t.Finish()
	if err == nil && t.Len() == 0 {
		err = &NoTCPError{Name: r.Name(), Packets: stats.Packets, Filtered: filtered}
	}
	if opts.Batches != nil {
		if !errors.Is(err, ErrStopped) {
			opts.send(timeline.Batch{Conns: t.Delta(), Progress: 1, Stats: stats, Done: true, Err: err})
		}
		close(opts.Batches)
	}
	return stats, err
}
