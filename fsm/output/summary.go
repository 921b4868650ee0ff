package output

import (
	"bufio"
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
	w    *bufio.Writer
	line []byte
}

// NewSummaryWriter returns a summary writer to w.
func NewSummaryWriter(w io.Writer) *SummaryWriter {
	return &SummaryWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

// Write writes one connection's summary line: the spec's fields in its
// order.
func (sw *SummaryWriter) Write(s Summary) error {
	b := append(sw.line[:0], '{')
	b = appendStringField(b, "conn", s.Conn.String())
	b = appendStringField(b, "client", s.Client.String())
	b = appendStringField(b, "server", s.Server.String())
	b = appendUintField(b, "segments", uint64(s.Segments))
	b = appendUintField(b, "bytes_c2s", s.BytesC2S)
	b = appendUintField(b, "bytes_s2c", s.BytesS2C)
	b = appendMs(appendKey(b, "first_ms"), s.First)
	b = appendMs(appendKey(b, "last_ms"), s.Last)
	sw.line = append(b, '}', '\n')
	_, err := sw.w.Write(sw.line)
	return err
}

// Flush writes out what is buffered.
func (sw *SummaryWriter) Flush() error { return sw.w.Flush() }

// ms converts a duration to milliseconds with microsecond precision, as
// t_ms is written.
func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }
