package feed

import (
	"io"

	"github.com/tcpviz/tcpviz/capture/track"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/output"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// PreviewBytes is how much of each payload a timeline keeps for the text
// ladder and the view (the notes quote short payloads).
const PreviewBytes = 32

// An Output writes a tracker's connections as one of --format's: Text,
// JSON or Summary.
type Output interface {
	// options are the tracker options the output needs, writing through
	// w: steps kept or not, and the per-step callback.
	options(tr **track.Tracker, w *errWriter) track.Options
	// flush writes out what is buffered (the input may wait now).
	flush() error
	// finish writes what is left when the input has ended.
	finish(tr *track.Tracker) error
}

// errWriter remembers the first write error, so the output stops there
// and Run stops the input.
type errWriter struct {
	err  error
	fail func() // called once, at the first error
}

func (e *errWriter) set(err error) {
	if err != nil && e.err == nil {
		e.err = err
		e.fail()
	}
}

// JSON streams every step as a JSON line as it happens (the spec's
// timeline-json.md), each connection numbering its own steps; nothing is
// kept once written.
func JSON(w io.Writer, lang narrate.Lang) Output { return &jsonOut{jw: output.NewJSONWriter(w, lang)} }

type jsonOut struct{ jw *output.JSONWriter }

func (o *jsonOut) options(_ **track.Tracker, ew *errWriter) track.Options {
	return track.Options{Timelines: true, Stream: true, OnStep: func(c *track.Conn, tl *timeline.Timeline, i int) {
		if ew.err == nil {
			ew.set(o.jw.WriteStep(tl, i, c.StepNumber(i)))
		}
	}}
}

func (o *jsonOut) flush() error                  { return o.jw.Flush() }
func (o *jsonOut) finish(_ *track.Tracker) error { return o.jw.Flush() }

// Text prints each connection's ladder, followed by what the capture
// leaves uncertain, when the connection is Done (both sides CLOSED or in
// TIME-WAIT), and the ladders of those still open when the input ends: it
// holds only the steps of open connections. A step a connection makes
// after its ladder was printed (a TIME-WAIT expiry, a late segment) is
// printed under a "(continued)" header of its own.
func Text(w io.Writer, lang narrate.Lang) Output {
	return &textOut{tw: output.NewTextWriter(w, lang, output.TextOptions{})}
}

type textOut struct {
	tw     *output.TextWriter
	blocks int // ladders written so far
}

func (o *textOut) options(tr **track.Tracker, ew *errWriter) track.Options {
	return track.Options{Timelines: true, Preview: PreviewBytes, OnStep: func(c *track.Conn, tl *timeline.Timeline, _ int) {
		if c.Done() && ew.err == nil {
			o.writeBlock(c, tl)
			(*tr).Release(c)
		}
	}}
}

// writeBlock writes the steps of c not yet written: all of them the first
// time, later those after the one step Release kept. Write errors stay in
// the writer's buffer until flush reports them.
func (o *textOut) writeBlock(c *track.Conn, tl *timeline.Timeline) {
	from, continued := 0, c.StepNumber(0) > 0
	if continued {
		from = 1
	}
	if from >= tl.Len() {
		return
	}
	if o.blocks > 0 {
		o.tw.WriteLine("")
	}
	o.blocks++
	if continued {
		o.tw.WriteContinuedHeader(tl)
	} else {
		o.tw.WriteHeader(tl)
	}
	for i := from; i < tl.Len(); i++ {
		o.tw.WriteStep(tl, i)
	}
	// What the capture leaves unknown (a mid-stream start, a side whose
	// state after the last segment cannot be known).
	for s, why := range c.Uncertain() {
		if why != "" {
			o.tw.WriteLine("  ! " + fsm.Side(s).String() + ": " + why)
		}
	}
}

func (o *textOut) flush() error { return o.tw.Flush() }

// finish writes the connections still open, in the order they began.
func (o *textOut) finish(tr *track.Tracker) error {
	for i := 0; i < tr.Len(); i++ {
		c := tr.Conn(i)
		o.writeBlock(c, tr.Timeline(c))
		tr.Release(c)
	}
	return o.tw.Flush()
}

// Summary writes one line per connection when the input ends; it keeps
// totals only, never steps.
func Summary(w io.Writer) Output { return &summaryOut{sw: output.NewSummaryWriter(w)} }

type summaryOut struct{ sw *output.SummaryWriter }

func (o *summaryOut) options(**track.Tracker, *errWriter) track.Options { return track.Options{} }
func (o *summaryOut) flush() error                                      { return nil }

func (o *summaryOut) finish(tr *track.Tracker) error {
	for i := 0; i < tr.Len(); i++ {
		if err := o.sw.Write(SummaryOf(tr.Conn(i))); err != nil {
			return err
		}
	}
	return o.sw.Flush()
}

// SummaryOf is connection c's totals.
func SummaryOf(c *track.Conn) output.Summary {
	st := c.States()
	return output.Summary{
		Conn: c.Endpoints(), Client: st[fsm.Client], Server: st[fsm.Server],
		Segments: c.Segments(), BytesC2S: c.Bytes(fsm.C2S), BytesS2C: c.Bytes(fsm.S2C),
		First: c.First(), Last: c.Last(),
	}
}
