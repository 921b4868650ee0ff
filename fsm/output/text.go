package output

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// The text ladder's columns: time, event, the client's state, the arrow
// between the two endpoints, the server's state. The note goes on its own
// line below, indented to the arrow.
const (
	colTime  = 10
	colEvent = 8 // "segment" and a space
	colState = 13
	colArrow = 46
)

// TextOptions change how the ladder is written.
type TextOptions struct {
	Absolute bool // absolute sequence numbers instead of relative ones
	NoNotes  bool // leave out the narration lines
}

// TextWriter writes a timeline as a text ladder diagram, one line per step
// (time in ms, event, client state, an arrow between the CLIENT and SERVER
// columns with flags, seq/ack and len, server state) followed by the note.
//
// Call order: WriteHeader once per timeline, then WriteStep for its steps
// in order (or WriteTimeline for both), then Flush. Several timelines may
// go through one writer, one after another.
type TextWriter struct {
	w    *bufio.Writer
	line []byte
	lang narrate.Lang
	opts TextOptions
}

// NewTextWriter returns a ladder writer to w with notes in lang.
func NewTextWriter(w io.Writer, lang narrate.Lang, opts TextOptions) *TextWriter {
	return &TextWriter{w: bufio.NewWriterSize(w, 64<<10), lang: lang, opts: opts}
}

// WriteTimeline writes the header and every step of tl, and flushes.
func (tw *TextWriter) WriteTimeline(tl *timeline.Timeline) error {
	tw.WriteHeader(tl)
	for i := range tl.Steps {
		tw.WriteStep(tl, i)
	}
	return tw.Flush()
}

// WriteHeader writes the timeline's source and connection and the column
// titles.
func (tw *TextWriter) WriteHeader(tl *timeline.Timeline) { tw.writeHeader(tl, "") }

// WriteContinuedHeader is WriteHeader for later steps of a timeline whose
// ladder was written before (a capture's TIME-WAIT expiry, a late segment).
func (tw *TextWriter) WriteContinuedHeader(tl *timeline.Timeline) {
	tw.writeHeader(tl, " (continued)")
}

func (tw *TextWriter) writeHeader(tl *timeline.Timeline, suffix string) {
	title := tl.Source
	if title != "" {
		title += ": "
	}
	fmt.Fprintf(tw.w, "%s%s %s %s%s\n", title, tl.Conn.Client, "→", tl.Conn.Server, suffix)
	line := padLeft("t", colTime) + "  " + pad("event", colEvent) + pad("CLIENT", colState) +
		center("", colArrow) + " SERVER"
	fmt.Fprintln(tw.w, strings.TrimRight(line, " "))
}

// WriteLine writes a line of the caller's between or after the ladder's
// (what a capture leaves uncertain, a blank line between connections).
func (tw *TextWriter) WriteLine(line string) {
	tw.w.WriteString(line)
	tw.w.WriteByte('\n')
}

// WriteStep writes step i of tl: its ladder line and its note. The line is
// built in a buffer the writer reuses: a capture writes a million of them.
func (tw *TextWriter) WriteStep(tl *timeline.Timeline, i int) {
	s := &tl.Steps[i]
	b := appendPadLeft(tw.line[:0], narrate.FormatT(s.T), colTime)
	b = append(b, "  "...)
	b = appendPad(b, s.Event.String(), colEvent)
	b = appendPad(b, s.States[fsm.Client].String(), colState)
	start := len(b)
	b = tw.appendMiddle(b, tl, s)
	b = appendSpaces(b, max(1, colArrow-utf8.RuneCount(b[start:])))
	b = append(b, ' ')
	b = append(b, s.States[fsm.Server].String()...)
	b = append(bytes.TrimRight(b, " "), '\n')
	if t := s.Truth; s.HasKernel() {
		// The echo session's other two views of the truth.
		verdict := "all three agree"
		if !s.Agree() {
			verdict = "DISAGREE"
		}
		b = appendSpaces(b, noteIndent)
		b = fmt.Appendf(b, "kernel %s/%s · predicted %s/%s · %s\n",
			t.Kernel[fsm.Client], t.Kernel[fsm.Server], t.Predicted[fsm.Client], t.Predicted[fsm.Server], verdict)
	}
	if !tw.opts.NoNotes {
		b = appendSpaces(b, noteIndent)
		b = append(b, narrate.Note(tl, i, tw.lang)...)
		b = append(b, '\n')
	}
	tw.w.Write(b)
	tw.line = b
}

// noteIndent is where the lines under a step start: under the arrow.
const noteIndent = colTime + 2 + colEvent

// Flush writes out what is buffered.
func (tw *TextWriter) Flush() error { return tw.w.Flush() }

// appendMiddle appends what goes between the two states: the call, the
// timer, or the segment's arrow. A sent segment's arrow is dashed (it is on
// its way), an arrival's solid, a lost one's ends in ✗.
func (tw *TextWriter) appendMiddle(b []byte, tl *timeline.Timeline, s *timeline.Step) []byte {
	switch s.Event {
	case timeline.Init:
		return b
	case timeline.App:
		return append(b, s.Call...)
	case timeline.Timer:
		return append(append(append(b, s.Actor.String()...), ' '), narrate.TimerLabel(s.Why[s.Actor])...)
	}
	label := narrate.SegmentLabel(tl, s, tw.opts.Absolute)
	var marks string
	switch {
	case s.Analysis&timeline.Retransmission != 0 && s.Analysis&timeline.Duplicate != 0:
		marks = " (retrans) (dup)"
	case s.Analysis&timeline.Retransmission != 0:
		marks = " (retrans)"
	case s.Analysis&timeline.Duplicate != 0:
		marks = " (dup)"
	}
	fill := "─"
	if s.Event == timeline.Send {
		fill = "╌"
	}
	head := "▶"
	if s.Dir == fsm.S2C {
		head = "◀"
	}
	if s.Event == timeline.Drop {
		head = "✗"
	}
	// "──label──", then the fill to the arrow's width, the head at the
	// receiver's end.
	n := max(1, colArrow-2-(4+utf8.RuneCountInString(label)+len(marks)))
	if s.Dir == fsm.S2C {
		b = append(b, head...)
		b = appendRepeat(b, fill, n)
	}
	b = append(b, "──"...)
	b = append(b, label...)
	b = append(b, marks...)
	b = append(b, "──"...)
	if s.Dir != fsm.S2C {
		b = appendRepeat(b, fill, n)
		b = append(b, head...)
	}
	return b
}

// appendPad appends s and spaces to n runes, or s and one space if it is
// as long; appendPadLeft puts the spaces first.
func appendPad(b []byte, s string, n int) []byte {
	return appendSpaces(append(b, s...), max(1, n-utf8.RuneCountInString(s)))
}

func appendPadLeft(b []byte, s string, n int) []byte {
	return append(appendSpaces(b, n-utf8.RuneCountInString(s)), s...)
}

func appendSpaces(b []byte, n int) []byte { return appendRepeat(b, " ", n) }

func appendRepeat(b []byte, s string, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, s...)
	}
	return b
}

// pad fills s with spaces to n runes (the ladder's characters are all one
// column wide); a longer s is kept whole, followed by one space.
func pad(s string, n int) string {
	w := utf8.RuneCountInString(s)
	if w >= n {
		return s + " "
	}
	return s + strings.Repeat(" ", n-w)
}

func padLeft(s string, n int) string {
	w := utf8.RuneCountInString(s)
	if w >= n {
		return s
	}
	return strings.Repeat(" ", n-w) + s
}

func center(s string, n int) string {
	w := utf8.RuneCountInString(s)
	if w >= n {
		return s
	}
	l := (n - w) / 2
	return strings.Repeat(" ", l) + s + strings.Repeat(" ", n-w-l)
}
