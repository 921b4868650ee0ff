package output

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// The text ladder's columns: time, event, the client's state, the arrow
// between the two endpoints, the server's state. The note goes on its own
// line below, indented to the arrow.
const (
	colTime  = 9
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
// in order (or WriteTimeline for both), then Flush.
type TextWriter struct {
	w    *bufio.Writer
	lang narrate.Lang
	opts TextOptions
}

// NewTextWriter returns a ladder writer to w with notes in lang.
func NewTextWriter(w io.Writer, lang narrate.Lang, opts TextOptions) *TextWriter {
	return &TextWriter{w: bufio.NewWriter(w), lang: lang, opts: opts}
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
func (tw *TextWriter) WriteHeader(tl *timeline.Timeline) {
	title := tl.Source
	if title != "" {
		title += ": "
	}
	fmt.Fprintf(tw.w, "%s%s %s %s\n", title, tl.Conn.Client, "→", tl.Conn.Server)
	line := padLeft("t (ms)", colTime) + "  " + pad("event", colEvent) + pad("CLIENT", colState) +
		center("", colArrow) + " SERVER"
	fmt.Fprintln(tw.w, strings.TrimRight(line, " "))
}

// WriteStep writes step i of tl: its ladder line and its note.
func (tw *TextWriter) WriteStep(tl *timeline.Timeline, i int) {
	s := &tl.Steps[i]
	var b strings.Builder
	b.WriteString(padLeft(formatMs(s.T), colTime))
	b.WriteString("  ")
	b.WriteString(pad(s.Event.String(), colEvent))
	b.WriteString(pad(s.States[fsm.Client].String(), colState))
	b.WriteString(pad(tw.middle(tl, s), colArrow))
	b.WriteString(" ")
	b.WriteString(s.States[fsm.Server].String())
	fmt.Fprintln(tw.w, strings.TrimRight(b.String(), " "))
	indent := strings.Repeat(" ", colTime+2+colEvent)
	if t := s.Truth; s.HasKernel() {
		// The echo session's other two views of the truth.
		verdict := "all three agree"
		if !s.Agree() {
			verdict = "DISAGREE"
		}
		fmt.Fprintf(tw.w, "%skernel %s/%s · predicted %s/%s · %s\n", indent,
			t.Kernel[fsm.Client], t.Kernel[fsm.Server], t.Predicted[fsm.Client], t.Predicted[fsm.Server], verdict)
	}
	if !tw.opts.NoNotes {
		fmt.Fprintln(tw.w, indent+narrate.Note(tl, i, tw.lang))
	}
}

// Flush writes out what is buffered.
func (tw *TextWriter) Flush() error { return tw.w.Flush() }

// middle is what goes between the two states: the call, the timer, or the
// segment's arrow. A sent segment's arrow is dashed (it is on its way),
// an arrival's solid, a lost one's ends in ✗.
func (tw *TextWriter) middle(tl *timeline.Timeline, s *timeline.Step) string {
	switch s.Event {
	case timeline.Init:
		return ""
	case timeline.App:
		return s.Call
	case timeline.Timer:
		return s.Actor.String() + " timer"
	}
	label := SegmentLabel(tl, s, tw.opts.Absolute)
	if s.Analysis&timeline.Retransmission != 0 {
		label += " (retrans)"
	}
	if s.Analysis&timeline.Duplicate != 0 {
		label += " (dup)"
	}
	body := "──" + label + "──"
	fill := "─"
	if s.Event == timeline.Send {
		fill = "╌"
	}
	n := colArrow - 2 - utf8.RuneCountInString(body)
	if n < 1 {
		n = 1
	}
	if s.Dir == fsm.C2S {
		head := "▶"
		if s.Event == timeline.Drop {
			head = "✗"
		}
		return body + strings.Repeat(fill, n) + head
	}
	head := "◀"
	if s.Event == timeline.Drop {
		head = "✗"
	}
	return head + strings.Repeat(fill, n) + body
}

// SegmentLabel returns a segment step's flags, sequence numbers (relative
// to the ISNs where known, unless absolute) and length, e.g.
// "SYN,ACK seq=0 ack=1 len=0". The ack is shown only when ACK is set.
func SegmentLabel(tl *timeline.Timeline, s *timeline.Step, absolute bool) string {
	seq, ack := uint32(s.Seg.Seq), uint32(s.Seg.Ack)
	if !absolute {
		if v, ok := tl.RelSeq(s); ok {
			seq = v
		}
		if v, ok := tl.RelAck(s); ok {
			ack = v
		}
	}
	b := make([]byte, 0, 48)
	b = append(b, s.Seg.Flags.String()...)
	b = append(b, " seq="...)
	b = strconv.AppendUint(b, uint64(seq), 10)
	if s.Seg.Flags.Has(fsm.ACK) {
		b = append(b, " ack="...)
		b = strconv.AppendUint(b, uint64(ack), 10)
	}
	b = append(b, " len="...)
	b = strconv.AppendUint(b, uint64(s.Seg.Len), 10)
	return string(b)
}

// formatMs writes a duration in milliseconds with one decimal, e.g. "10.0".
func formatMs(d time.Duration) string {
	us := d.Microseconds()
	return strconv.FormatInt(us/1000, 10) + "." + strconv.FormatInt((us%1000)/100, 10)
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
