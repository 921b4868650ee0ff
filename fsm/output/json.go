package output

import (
	"bufio"
	"encoding/json"
	"io"
	"math"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// jsonStep is one line of the JSON timeline. Field order follows the spec's
// example; pointers are fields the spec says are absent on some steps.
type jsonStep struct {
	Step           int         `json:"step"`
	TMs            float64     `json:"t_ms"`
	Event          string      `json:"event"`
	Dir            string      `json:"dir,omitempty"`
	Flags          []string    `json:"flags,omitzero"` // [] on a segment with no flags, absent elsewhere
	Seq            *uint32     `json:"seq,omitempty"`
	Ack            *uint32     `json:"ack,omitempty"`
	RelSeq         *uint32     `json:"rel_seq,omitempty"`
	RelAck         *uint32     `json:"rel_ack,omitempty"`
	Len            *uint32     `json:"len,omitempty"`
	Retransmission *bool       `json:"retransmission,omitempty"`
	Call           string      `json:"call,omitempty"`
	Conn           string      `json:"conn"`
	Client         fsm.State   `json:"client"`
	Server         fsm.State   `json:"server"`
	Note           string      `json:"note"`
	Kernel         *statesPair `json:"kernel,omitempty"`
	Predicted      *statesPair `json:"predicted,omitempty"`
	Agree          *bool       `json:"agree,omitempty"`
	Analysis       []string    `json:"analysis,omitempty"`
	Timer          string      `json:"timer,omitempty"`
}

type statesPair struct {
	Client fsm.State `json:"client"`
	Server fsm.State `json:"server"`
}

// JSONWriter writes timeline steps as JSON Lines. It numbers steps across
// every timeline it is given, so several connections can share one stream
// only when each has its own writer; a capture writes each connection's steps
// with its own step numbers through WriteStep.
type JSONWriter struct {
	w    *bufio.Writer
	enc  *json.Encoder
	lang narrate.Lang
}

// NewJSONWriter returns a writer of JSON Lines to w with notes in lang.
func NewJSONWriter(w io.Writer, lang narrate.Lang) *JSONWriter {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &JSONWriter{w: bw, enc: enc, lang: lang}
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
	return jw.enc.Encode(jsonOf(tl, i, n, jw.lang))
}

// Flush writes out what is buffered.
func (jw *JSONWriter) Flush() error { return jw.w.Flush() }

func jsonOf(tl *timeline.Timeline, i, n int, lang narrate.Lang) jsonStep {
	s := &tl.Steps[i]
	j := jsonStep{
		Step:   n,
		TMs:    math.Round(float64(s.T.Microseconds())) / 1000,
		Event:  s.Event.String(),
		Call:   s.Call,
		Conn:   tl.Conn.String(),
		Client: s.States[fsm.Client],
		Server: s.States[fsm.Server],
		Note:   narrate.Note(tl, i, lang),
	}
	if s.Event.HasSegment() {
		j.Dir = s.Dir.String()
		j.Flags = s.Seg.Flags.Names()
		seq, ack, l := uint32(s.Seg.Seq), uint32(s.Seg.Ack), s.Seg.Len
		j.Seq, j.Ack, j.Len = &seq, &ack, &l
		if v, ok := tl.RelSeq(s); ok {
			j.RelSeq = &v
		}
		if v, ok := tl.RelAck(s); ok {
			j.RelAck = &v
		}
		re := s.Analysis&timeline.Retransmission != 0
		j.Retransmission = &re
		j.Analysis = analysisNames(s.Analysis)
	}
	if t := s.Truth; s.HasKernel() {
		agree := s.Agree()
		j.Kernel = &statesPair{t.Kernel[fsm.Client], t.Kernel[fsm.Server]}
		j.Predicted = &statesPair{t.Predicted[fsm.Client], t.Predicted[fsm.Server]}
		j.Agree = &agree
	}
	return j
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

func analysisNames(a timeline.Analysis) []string {
	if a == 0 {
		return nil
	}
	var names []string
	for _, o := range analysisOrder {
		if a&o.a != 0 {
			names = append(names, o.name)
		}
	}
	return names
}
