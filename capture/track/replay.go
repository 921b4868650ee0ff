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
		return fmt.Sprintf("no TCP segments in %s match the filter (%s, %s)", e.Name, pcapfile.Count(e.Packets, "packet"), pcapfile.Count(e.Filtered, "TCP segment"))
	}
	return fmt.Sprintf("no TCP segments in %s (%s)", e.Name, pcapfile.Count(e.Packets, "packet"))
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
//
// A capture of unknown size (a pipe: `tcpdump -w - | tcpviz replay -`) may
// pause between packets; with Batches, it is read on a goroutine of its own
// so that what has arrived reaches the view within Interval even while the
// next packet is awaited.
func Replay(r *pcapfile.Reader, t *Tracker, opts ReplayOptions) (stats timeline.Stats, err error) {
	if err := r.Unsupported(); err != nil {
		if opts.Batches != nil {
			opts.send(timeline.Batch{Progress: 0, Done: true, Err: err})
			close(opts.Batches)
		}
		return stats, err
	}
	if opts.Interval <= 0 {
		opts.Interval = 50 * time.Millisecond
	}
	rp := &replayer{r: r, t: t, opts: &opts}
	if opts.Batches != nil && r.Size() < 0 {
		err = rp.stream()
	} else {
		err = rp.file()
	}
	stats = rp.stats
	t.Finish()
	if err == nil && t.Len() == 0 {
		if err = r.Unsupported(); err == nil { // a pcapng whose every interface was of one
			err = &NoTCPError{Name: r.Name(), Packets: stats.Packets, Filtered: rp.filtered}
		}
	}
	if opts.Batches != nil {
		if !errors.Is(err, ErrStopped) {
			opts.send(timeline.Batch{Conns: t.Delta(), Progress: 1, Stats: stats, Done: true, Err: err})
		}
		close(opts.Batches)
	}
	return stats, err
}

// replayer is one replay's state.
type replayer struct {
	r        *pcapfile.Reader
	t        *Tracker
	decoders []linkDecoder // one per link type met, made on first use
	opts     *ReplayOptions
	p        decode.Packet
	stats    timeline.Stats
	filtered uint64
	lastSend time.Time
}

// linkDecoder is the decoder of one link type.
type linkDecoder struct {
	link decode.LinkType
	d    *decode.Decoder
}

// decoder is the decoder for lt: a pcapng gives each interface its own
// link type. The reader passes over packets of link types decode does not
// read, so there are few (a slice searched in order is quickest), and New
// does not fail here; should it, the packet counts as malformed.
func (rp *replayer) decoder(lt decode.LinkType) *decode.Decoder {
	for _, ld := range rp.decoders {
		if ld.link == lt {
			return ld.d
		}
	}
	d, err := decode.New(lt)
	if err != nil {
		return nil
	}
	rp.decoders = append(rp.decoders, linkDecoder{lt, d})
	return d
}

// add decodes one packet of link type lt and tracks its segment.
func (rp *replayer) add(data []byte, ts time.Time, lt decode.LinkType) {
	rp.stats.Packets++
	d := rp.decoder(lt)
	if d == nil {
		rp.stats.Malformed++
		return
	}
	switch d.Decode(data, &rp.p) {
	case decode.TCP:
		if rp.opts.Match == nil || rp.opts.Match(&rp.p) {
			rp.t.Add(ts.UnixNano(), &rp.p)
		} else {
			rp.filtered++
		}
	case decode.NotTCP:
		rp.stats.NonTCP++
	case decode.Malformed:
		rp.stats.Malformed++
	}
}

// flush sends the changes since the last batch; false if stopped.
func (rp *replayer) flush(now time.Time) bool {
	rp.lastSend = now
	return rp.opts.send(timeline.Batch{Conns: rp.t.Delta(), Progress: rp.r.Progress(), Stats: rp.stats})
}

// file reads a file as fast as it goes, looking at the clock (for batches)
// and at Stop only every 1024 packets so the loop stays cheap.
func (rp *replayer) file() error {
	rp.lastSend = time.Now()
	for {
		data, ts, err := rp.r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		rp.add(data, ts, rp.r.LinkType())
		if rp.stats.Packets&1023 == 0 && (rp.opts.Batches != nil || rp.opts.Stop != nil) {
			select {
			case <-rp.opts.Stop:
				return ErrStopped
			default:
			}
			if now := time.Now(); rp.opts.Batches != nil && now.Sub(rp.lastSend) >= rp.opts.Interval {
				if !rp.flush(now) {
					return ErrStopped
				}
			}
		}
	}
}

// rawPacket is a packet read on the stream goroutine, copied out of the
// reader's buffer.
type rawPacket struct {
	data []byte
	ts   time.Time
	link decode.LinkType
	err  error
}

// stream reads a pipe on a goroutine and tracks what arrives, sending a
// batch every Interval while there is news, whether or not packets flow.
func (rp *replayer) stream() error {
	pkts := make(chan rawPacket, 256)
	go func() {
		defer close(pkts)
		for {
			data, ts, err := rp.r.Next()
			pk := rawPacket{ts: ts, link: rp.r.LinkType(), err: err}
			if err == nil {
				pk.data = append([]byte(nil), data...)
			}
			select {
			case pkts <- pk:
			case <-rp.opts.Stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	tick := time.NewTicker(rp.opts.Interval)
	defer tick.Stop()
	for {
		select {
		case pk, ok := <-pkts:
			if !ok { // the reader saw Stop
				return ErrStopped
			}
			if pk.err != nil {
				if errors.Is(pk.err, io.EOF) {
					return nil
				}
				return pk.err
			}
			rp.add(pk.data, pk.ts, pk.link)
		case now := <-tick.C:
			if len(rp.t.dirty) > 0 && !rp.flush(now) {
				return ErrStopped
			}
		case <-rp.opts.Stop:
			return ErrStopped
		}
	}
}
