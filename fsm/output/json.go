package output

import (
	"bufio"
	"io"
	"strconv"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// JSONWriter writes timeline steps as JSON Lines. It numbers steps across
// every timeline it is given, so several connections can share one stream
// only when each has its own writer; a capture writes each connection's steps
// with its own step numbers through WriteStep.
type JSONWriter struct {
	w    *bufio.Writer
	line []byte // the line being built, reused
	lang narrate.Lang
}

// NewJSONWriter returns a writer of JSON Lines to w with notes in lang.
func NewJSONWriter(w io.Writer, lang narrate.Lang) *JSONWriter {
	return &JSONWriter{w: bufio.NewWriterSize(w, 64<<10), lang: lang}
}

// WriteTimeline writes every step of tl and flushes.
func (jw *JSONWriter) WriteTimeline(tl *timeline.Timeline) error {
	for i := range tl.Steps {
		if err := jw.WriteStep(tl, i, i); err != nil {
			return err
		}
	}
	return jw.Flush()
}

// WriteStep writes step i of tl, numbered n in the output.
func (jw *JSONWriter) WriteStep(tl *timeline.Timeline, i, n int) error {
	jw.line = appendStep(jw.line[:0], tl, i, n, jw.lang)
	_, err := jw.w.Write(jw.line)
	return err
}

// Flush writes out what is buffered.
func (jw *JSONWriter) Flush() error { return jw.w.Flush() }

// appendStep appends step i of tl, numbered n, as one line of the spec's
// JSON: its fields in the spec's order, those a step lacks left out.
func appendStep(b []byte, tl *timeline.Timeline, i, n int, lang narrate.Lang) []byte {
	s := &tl.Steps[i]
	b = append(b, '{')
	b = strconv.AppendInt(appendKey(b, "step"), int64(n), 10)
	b = appendMs(appendKey(b, "t_ms"), s.T)
	b = appendStringField(b, "event", s.Event.String())
	if s.Event.HasSegment() {
		b = appendStringField(b, "dir", s.Dir.String())
		b = appendFlags(appendKey(b, "flags"), s.Seg.Flags)
		b = appendUintField(b, "seq", uint64(s.Seg.Seq))
		b = appendUintField(b, "ack", uint64(s.Seg.Ack))
		if v, ok := tl.RelSeq(s); ok {
			b = appendUintField(b, "rel_seq", uint64(v))
		}
		if v, ok := tl.RelAck(s); ok {
			b = appendUintField(b, "rel_ack", uint64(v))
		}
		b = appendUintField(b, "len", uint64(s.Seg.Len))
		b = appendBoolField(b, "retransmission", s.Analysis&timeline.Retransmission != 0)
	}
	if s.Call != "" {
		b = appendStringField(b, "call", s.Call)
	}
	b = appendConn(appendKey(b, "conn"), tl.Conn)
	b = appendStringField(b, "client", s.States[fsm.Client].String())
	b = appendStringField(b, "server", s.States[fsm.Server].String())
	b = appendStringField(b, "note", narrate.Note(tl, i, lang))
	if t := s.Truth; s.HasKernel() {
		b = appendStates(appendKey(b, "kernel"), t.Kernel)
		b = appendStates(appendKey(b, "predicted"), t.Predicted)
		b = appendBoolField(b, "agree", s.Agree())
	}
	if s.Event.HasSegment() && s.Analysis != 0 {
		b = appendKey(b, "analysis")
		sep := byte('[')
		for _, o := range analysisOrder {
			if s.Analysis&o.a != 0 {
				b = append(b, sep, '"')
				b = append(b, o.name...)
				b = append(b, '"')
				sep = ','
			}
		}
		b = append(b, ']')
	}
	return append(b, '}', '\n')
}

// appendConn appends the connection's name as a JSON string without
// building it first (it is on every line).
func appendConn(b []byte, c timeline.Conn) []byte {
	var buf [2*len("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535") + 1]byte
	name := c.Client.AppendTo(buf[:0])
	name = append(name, '-')
	name = c.Server.AppendTo(name)
	return appendBytesString(b, name)
}

// appendFlags appends the names of the flags set as a JSON array, in the
// spec's order; [] for none.
func appendFlags(b []byte, f fsm.Flags) []byte {
	b = append(b, '[')
	if f != 0 {
		b = append(b, '"')
		for _, c := range []byte(f.String()) { // plain ASCII names joined by commas
			if c == ',' {
				b = append(b, '"', ',', '"')
			} else {
				b = append(b, c)
			}
		}
		b = append(b, '"')
	}
	return append(b, ']')
}

// appendStates appends {"client":…,"server":…}.
func appendStates(b []byte, st [2]fsm.State) []byte {
	b = append(b, '{')
	b = appendStringField(b, "client", st[fsm.Client].String())
	b = appendStringField(b, "server", st[fsm.Server].String())
	return append(b, '}')
}

var analysisOrder = [...]struct {
	a    timeline.Analysis
	name string
}{
	{timeline.Retransmission, "retransmission"},
	{timeline.OutOfOrder, "out_of_order"},
	{timeline.LostSegment, "lost_segment"},
	{timeline.DupAck, "dup_ack"},
	{timeline.ZeroWindow, "zero_window"},
	{timeline.Duplicate, "duplicate"},
}
