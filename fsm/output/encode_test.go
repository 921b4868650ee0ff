package output

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// jsonStep is the reference for the step lines: the spec's fields through
// encoding/json, as the writer produced them before it appended bytes by
// hand. Pointers are fields the spec says are absent on some steps.
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
}

type statesPair struct {
	Client fsm.State `json:"client"`
	Server fsm.State `json:"server"`
}

func referenceStep(tl *timeline.Timeline, i, n int, lang narrate.Lang) []byte {
	s := &tl.Steps[i]
	j := jsonStep{
		Step: n, TMs: ms(s.T), Event: s.Event.String(), Call: s.Call, Conn: tl.Conn.String(),
		Client: s.States[fsm.Client], Server: s.States[fsm.Server], Note: narrate.Note(tl, i, lang),
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
		for _, o := range analysisOrder {
			if s.Analysis&o.a != 0 {
				j.Analysis = append(j.Analysis, o.name)
			}
		}
	}
	if t := s.Truth; s.HasKernel() {
		agree := s.Agree()
		j.Kernel = &statesPair{t.Kernel[fsm.Client], t.Kernel[fsm.Server]}
		j.Predicted = &statesPair{t.Predicted[fsm.Client], t.Predicted[fsm.Server]}
		j.Agree = &agree
	}
	return encodeReference(j)
}

func encodeReference(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// oddTimeline has what the scenarios lack: a capture's analysis flags, the
// echo session's kernel states, a flagless segment, unknown ISNs, and calls
// and details with every character JSON must escape.
func oddTimeline() *timeline.Timeline {
	odd := "quote\" back\\ nl\n cr\r tab\t bs\b ff\f nul\x00 esc\x1b del\x7f <html>&amp; \u2028\u2029 bad\xff\xfe 中文 🙂"
	return &timeline.Timeline{
		Source: "odd", Conn: timeline.Conn{Client: netip.MustParseAddrPort("[2001:db8::1]:40000"), Server: netip.MustParseAddrPort("10.0.0.1:80")},
		ISN: [2]fsm.Seq{100, 0}, HasISN: [2]bool{true, false},
		Steps: []timeline.Step{
			{Event: timeline.Init, States: [2]fsm.State{fsm.Closed, fsm.Listen}},
			{T: 1234567 * time.Nanosecond, Event: timeline.App, Call: odd, States: [2]fsm.State{fsm.SynSent, fsm.Listen}},
			{T: 3 * time.Millisecond, Event: timeline.Observe, Dir: fsm.C2S, Seg: fsm.Segment{Seq: 4294967295, Ack: 7, Flags: fsm.ACK | fsm.PSH | fsm.FIN | fsm.CWR, Len: 9},
				Analysis: timeline.Retransmission | timeline.DupAck | timeline.Duplicate},
			{T: 90 * time.Hour, Event: timeline.Observe, Dir: fsm.S2C, Seg: fsm.Segment{Seq: 5}, Facts: []timeline.Fact{{Kind: timeline.FactCallFailed, Text: odd}}},
			{T: 5 * time.Second, Event: timeline.Send, Dir: fsm.S2C, Seg: fsm.Segment{Flags: fsm.SYN | fsm.ACK | fsm.ECE},
				Truth:  &timeline.Truth{HasKernel: true, Kernel: [2]fsm.State{fsm.Established, fsm.SynReceived}, Predicted: [2]fsm.State{fsm.Established, fsm.SynReceived}},
				States: [2]fsm.State{fsm.Established, fsm.SynReceived}},
			{T: 6 * time.Second, Event: timeline.Timer, Actor: fsm.Server, Truth: &timeline.Truth{HasKernel: true, Kernel: [2]fsm.State{fsm.TimeWait, fsm.Closed}}},
		},
	}
}

// TestJSONStepBytesAreEncodingJSONs: every step of every scenario, in both
// languages, and of a timeline of odd cases, is written byte for byte as
// encoding/json writes the spec's fields.
func TestJSONStepBytesAreEncodingJSONs(t *testing.T) {
	tls := []*timeline.Timeline{oddTimeline()}
	for _, name := range sim.Names() {
		s, err := sim.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		tls = append(tls, s.Timeline())
	}
	for _, tl := range tls {
		for _, lang := range []narrate.Lang{narrate.EN, narrate.ZH} {
			for i := range tl.Steps {
				want := referenceStep(tl, i, i+7, lang)
				if got := appendStep(nil, tl, i, i+7, lang); !bytes.Equal(got, want) {
					t.Errorf("%s step %d:\n got %s\nwant %s", tl.Source, i, got, want)
				}
			}
		}
	}
}

// TestAppendFloatIsEncodingJSONs: the times' numbers, small, large and
// fractional, as encoding/json writes a float64.
func TestAppendFloatIsEncodingJSONs(t *testing.T) {
	for _, f := range []float64{0, 1, 1.5, 0.001, 1e-7, 3.2e-9, 1e20, 1e21, 1.25e22, 123456789.123, -0.5, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		want, _ := json.Marshal(f)
		if got := appendFloat(nil, f); !bytes.Equal(got, want) {
			t.Errorf("%g: got %s, want %s", f, got, want)
		}
	}
}

// TestSummaryBytesAreEncodingJSONs holds the summary line to encoding/json
// of the spec's fields.
func TestSummaryBytesAreEncodingJSONs(t *testing.T) {
	type jsonSummary struct {
		Conn     string    `json:"conn"`
		Client   fsm.State `json:"client"`
		Server   fsm.State `json:"server"`
		Segments int       `json:"segments"`
		BytesC2S uint64    `json:"bytes_c2s"`
		BytesS2C uint64    `json:"bytes_s2c"`
		FirstMs  float64   `json:"first_ms"`
		LastMs   float64   `json:"last_ms"`
	}
	s := Summary{
		Conn:   oddTimeline().Conn,
		Client: fsm.FinWait2, Server: fsm.CloseWait, Segments: 1 << 30, BytesC2S: math.MaxUint64, BytesS2C: 0,
		First: 1, Last: 1234567891 * time.Microsecond,
	}
	var buf bytes.Buffer
	w := NewSummaryWriter(&buf)
	if err := w.Write(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := encodeReference(jsonSummary{s.Conn.String(), s.Client, s.Server, s.Segments, s.BytesC2S, s.BytesS2C, ms(s.First), ms(s.Last)})
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("got  %s\nwant %s", buf.Bytes(), want)
	}
}
