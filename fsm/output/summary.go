package output

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Summary is one connection's totals, as `--format summary` prints them
// when the input ends (../shared/spec/timeline-json.md).
type Summary struct {
	Conn           timeline.Conn
	Client, Server fsm.State // final states
	Segments       int
	BytesC2S       uint64 // payload bytes, client to server
	BytesS2C       uint64
	First, Last    time.Duration // time of the first and last segment, since the input began
}

// jsonSummary is a Summary's JSON line, fields in the spec's order.
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

// SummaryOf totals a timeline: every captured segment (Observe steps), or
// for the simulator and the echo session every segment sent (Send steps).
func SummaryOf(tl *timeline.Timeline) Summary {
	sum := Summary{Conn: tl.Conn}
	ev := timeline.Send
	for i := range tl.Steps {
		if tl.Steps[i].Event == timeline.Observe {
			ev = timeline.Observe
			break
		}
	}
	for i := range tl.Steps {
		s := &tl.Steps[i]
		if s.Event != ev {
			continue
		}
		if sum.Segments == 0 {
			sum.First = s.T
		}
		sum.Last = s.T
		sum.Segments++
		if s.Dir == fsm.C2S {
			sum.BytesC2S += uint64(s.Seg.Len)
		} else {
			sum.BytesS2C += uint64(s.Seg.Len)
		}
	}
	if n := len(tl.Steps); n > 0 {
		sum.Client, sum.Server = tl.Steps[n-1].States[fsm.Client], tl.Steps[n-1].States[fsm.Server]
	}
	return sum
}

// SummaryWriter writes summaries as JSON Lines, one object per connection.
type SummaryWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewSummaryWriter returns a summary writer to w.
func NewSummaryWriter(w io.Writer) *SummaryWriter {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &SummaryWriter{w: bw, enc: enc}
}

// Write writes one connection's summary line.
func (sw *SummaryWriter) Write(s Summary) error {
	return sw.enc.Encode(jsonSummary{
		Conn:     s.Conn.String(),
		Client:   s.Client,
		Server:   s.Server,
		Segments: s.Segments,
		BytesC2S: s.BytesC2S,
		BytesS2C: s.BytesS2C,
		FirstMs:  ms(s.First),
		LastMs:   ms(s.Last),
	})
}

// Flush writes out what is buffered.
func (sw *SummaryWriter) Flush() error { return sw.w.Flush() }

// ms converts a duration to milliseconds with microsecond precision, as
// t_ms is written.
func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }
