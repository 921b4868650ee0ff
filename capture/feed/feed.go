package feed

import (
	"errors"
	"sync"

	"github.com/tcpviz/tcpviz/capture/track"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Run reads src through a tracker into out until the input ends or stop is
// closed (nil: never), and writes what is left. A write error stops the
// input and is returned before the input's own error; the counters are
// returned either way.
func Run(src Source, out Output, stop <-chan struct{}) (timeline.Stats, error) {
	halt := make(chan struct{})
	var once sync.Once
	ew := &errWriter{fail: func() { once.Do(func() { close(halt) }) }}
	go func() {
		select {
		case <-stop:
			ew.fail()
		case <-halt:
		}
	}()
	defer ew.fail() // ends the goroutine above

	var tr *track.Tracker
	opts := out.options(&tr, ew)
	opts.Source = src.Name()
	tr = track.New(opts)
	stats, err := src.Feed(tr, nil, halt, func() { ew.set(out.flush()) })
	if ew.err != nil {
		return stats, ew.err
	}
	if werr := out.finish(tr); werr != nil {
		return stats, werr
	}
	if errors.Is(err, track.ErrStopped) {
		err = nil // stopped as asked
	}
	return stats, err
}

// View feeds src into a tracker that hands every step to the view, which
// keeps the only copy: show runs on the caller's goroutine with the
// batches (the last has Done set; the channel is closed after it). When
// show returns, the input is stopped. View returns show's error, else the
// input's.
func View(src Source, show func(<-chan timeline.Batch) error) (timeline.Stats, error) {
	batches := make(chan timeline.Batch, 4)
	stop := make(chan struct{})
	tr := track.New(track.Options{Source: src.Name(), Timelines: true, Preview: PreviewBytes, HandOff: true})
	type result struct {
		stats timeline.Stats
		err   error
	}
	done := make(chan result, 1)
	go func() {
		stats, err := src.Feed(tr, batches, stop, nil)
		done <- result{stats, err}
	}()
	verr := show(batches)
	close(stop)
	for range batches { // let the source finish if it is blocked sending
	}
	r := <-done
	if verr != nil {
		return r.stats, verr
	}
	if errors.Is(r.err, track.ErrStopped) {
		r.err = nil
	}
	return r.stats, r.err // the view showed it too; the exit status says it
}
