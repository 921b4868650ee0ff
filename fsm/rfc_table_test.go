package fsm

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests in this file drive one endpoint, "A" of RFC 9293's examples
// (ISS 100), with literal segments from its peer "B" (ISS 300), written in
// the RFC's own notation: <SEQ=300><ACK=101><CTL=SYN,ACK>. A segment may
// add <WND=n> (default: 1000, A's buffer; 0 for a RST) and <DATA=text>.

// tableConfig is A's configuration: a 1000-octet buffer makes window
// arithmetic visible.
func tableConfig() Config {
	c := DefaultConfig(100)
	c.Window, c.MSS, c.MaxRetries = 1000, 536, 3
	return c
}

var segToken = regexp.MustCompile(`<([A-Z]+)=([^>]*)>`)

// parseSeg reads the RFC notation.
func parseSeg(t testing.TB, text string) Segment {
	t.Helper()
	s := Segment{Window: 1000}
	ackGiven := false
	for _, m := range segToken.FindAllStringSubmatch(text, -1) {
		switch m[1] {
		case "SEQ", "ACK", "WND":
			n, err := strconv.ParseUint(m[2], 10, 32)
			if err != nil {
				t.Fatalf("segment %q: %v", text, err)
			}
			switch m[1] {
			case "SEQ":
				s.Seq = Seq(n)
			case "ACK":
				s.Ack, ackGiven = Seq(n), true
			case "WND":
				s.Window = uint32(n)
			}
		case "CTL":
			f, ok := ParseFlags(m[2])
			if !ok {
				t.Fatalf("segment %q: bad flags", text)
			}
			s.Flags = f
		case "DATA":
			s.Payload = []byte(m[2])
			s.Len = uint32(len(m[2]))
		default:
			t.Fatalf("segment %q: unknown field %s", text, m[1])
		}
	}
	if s.Flags.Has(RST) && !strings.Contains(text, "<WND=") {
		s.Window = 0
	}
	if !ackGiven && s.Flags.Has(ACK) {
		t.Fatalf("segment %q: ACK flag without <ACK=>", text)
	}
	return s
}

// formatSeg writes a segment in the same notation, canonically: the ACK
// field only with the ACK flag, WND only when it is not the default.
func formatSeg(s Segment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<SEQ=%d>", uint32(s.Seq))
	if s.Flags.Has(ACK) || s.Ack != 0 {
		fmt.Fprintf(&b, "<ACK=%d>", uint32(s.Ack))
	}
	fmt.Fprintf(&b, "<CTL=%s>", s.Flags)
	def := uint32(1000)
	if s.Flags.Has(RST) {
		def = 0
	}
	if s.Window != def {
		fmt.Fprintf(&b, "<WND=%d>", s.Window)
	}
	if s.Len > 0 {
		fmt.Fprintf(&b, "<DATA=%s>", s.Payload)
	}
	return b.String()
}

func formatSegs(segs []Segment) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = formatSeg(s)
	}
	return strings.Join(parts, " ")
}

// canonSegs parses a space-separated list of segments and formats it back.
func canonSegs(t testing.TB, text string) string {
	if strings.TrimSpace(text) == "" {
		return ""
	}
	var segs []Segment
	for _, m := range regexp.MustCompile(`(<[^ ]*>)+`).FindAllString(text, -1) {
		segs = append(segs, parseSeg(t, m))
	}
	return formatSegs(segs)
}

// setups bring A to each state with literal segments, the way Figure 7
// (handshake) and Figure 12–13 (close) of RFC 9293 do.
var setups = map[string][]string{
	"CLOSED":                nil,
	"LISTEN":                {"listen"},
	"SYN-SENT":              {"connect"},
	"SYN-RECEIVED":          {"listen", "in:<SEQ=300><CTL=SYN>"},
	"SYN-RECEIVED/active":   {"connect", "in:<SEQ=300><CTL=SYN>"},
	"ESTABLISHED":           {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>"},
	"FIN-WAIT-1":            {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>", "close"},
	"FIN-WAIT-1/shutdown":   {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>", "shutdown"},
	"FIN-WAIT-2":            {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>", "close", "in:<SEQ=301><ACK=102><CTL=ACK>"},
	"FIN-WAIT-2/shutdown":   {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>", "shutdown", "in:<SEQ=301><ACK=102><CTL=ACK>"},
	"CLOSE-WAIT":            {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>", "in:<SEQ=301><ACK=101><CTL=FIN,ACK>"},
	"CLOSING":               {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>", "close", "in:<SEQ=301><ACK=101><CTL=FIN,ACK>"},
	"LAST-ACK":              {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>", "in:<SEQ=301><ACK=101><CTL=FIN,ACK>", "close"},
	"TIME-WAIT":             {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>", "close", "in:<SEQ=301><ACK=102><CTL=ACK>", "in:<SEQ=301><ACK=102><CTL=FIN,ACK>"},
	"ESTABLISHED/passive":   {"listen", "in:<SEQ=300><CTL=SYN>", "in:<SEQ=301><ACK=101><CTL=ACK>"},
	"ESTABLISHED/unread":    {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK>", "in:<SEQ=301><ACK=101><CTL=ACK><DATA=hello>"},
	"ESTABLISHED/peer-wnd0": {"connect", "in:<SEQ=300><ACK=101><CTL=SYN,ACK><WND=0>"},
}

// clock is the test's virtual time; "tick:D" advances it.
type runner struct {
	t   testing.TB
	e   *Endpoint
	now time.Duration
}

// do runs one step and returns its results (several for a tick).
func (x *runner) do(step string) ([]Result, []byte, error) {
	x.t.Helper()
	name, arg, _ := strings.Cut(step, ":")
	var r Result
	var err error
	switch name {
	case "listen":
		r, err = x.e.Listen(x.now)
	case "connect":
		r, err = x.e.Connect(x.now)
	case "send":
		r, err = x.e.Send(x.now, []byte(arg))
	case "recv":
		var data []byte
		data, r, err = x.e.Receive(x.now, 0)
		return []Result{r}, data, err
	case "close":
		r, err = x.e.Close(x.now)
	case "shutdown":
		r, err = x.e.Shutdown(x.now)
	case "abort":
		r, err = x.e.Abort(x.now)
	case "restart":
		r = x.e.Restart()
	case "in":
		r = x.e.Arrive(x.now, parseSeg(x.t, arg))
	case "tick":
		d, perr := time.ParseDuration(arg)
		if perr != nil {
			x.t.Fatalf("step %q: %v", step, perr)
		}
		x.now += d
		return x.e.Tick(x.now), nil, nil
	default:
		x.t.Fatalf("unknown step %q", step)
	}
	return []Result{r}, nil, err
}

func setupEndpoint(t testing.TB, state string) *runner {
	t.Helper()
	steps, ok := setups[state]
	if !ok {
		t.Fatalf("no setup %q", state)
	}
	x := &runner{t: t, e: NewEndpoint(tableConfig())}
	for _, s := range steps {
		if _, _, err := x.do(s); err != nil {
			t.Fatalf("setup %s, step %q: %v", state, s, err)
		}
	}
	want, _, _ := strings.Cut(state, "/")
	if got := x.e.State().String(); got != want {
		t.Fatalf("setup %s reached %s", state, got)
	}
	return x
}

// edge is one rule of RFC 9293 applied to A: from a state, the steps (the
// last one is checked), the state after, the reason, and the segments sent.
type edge struct {
	rfc   string // the section (or figure) the rule comes from
	name  string
	from  string
	steps []string
	to    State
	why   Reason
	out   string // segments sent by the last step, RFC notation
	err   error  // the error the last step returns
}

func runEdges(t *testing.T, edges []edge) {
	for _, c := range edges {
		t.Run(c.rfc+" "+c.name, func(t *testing.T) {
			x := setupEndpoint(t, c.from)
			var rs []Result
			var err error
			for i, s := range c.steps {
				rs, _, err = x.do(s)
				if i < len(c.steps)-1 && err != nil {
					t.Fatalf("step %q: %v", s, err)
				}
			}
			if !errors.Is(err, c.err) {
				t.Fatalf("error = %v, want %v", err, c.err)
			}
			if got := x.e.State(); got != c.to {
				t.Errorf("state = %s, want %s", got, c.to)
			}
			var why Reason
			var out []Segment
			for _, r := range rs {
				why = r.Reason
				out = append(out, r.Out...)
				if r.To != x.e.State() && len(rs) == 1 {
					t.Errorf("Result.To = %s, but the endpoint is %s", r.To, x.e.State())
				}
			}
			if why != c.why {
				t.Errorf("reason = %s, want %s", why, c.why)
			}
			if got, want := formatSegs(out), canonSegs(t, c.out); got != want {
				t.Errorf("sent\n  %s\nwant\n  %s", got, want)
			}
			for _, s := range out {
				if err := wellFormed(s); err != nil {
					t.Errorf("malformed %s: %v", formatSeg(s), err)
				}
			}
			checkInvariants(t, x.e)
		})
	}
}

// checkInvariants fails t if the endpoint is in an impossible condition.
func checkInvariants(t testing.TB, e *Endpoint) {
	t.Helper()
	tcb := e.TCB()
	switch {
	case !e.State().Valid():
		t.Fatalf("invalid state %d", e.State())
	case tcb.SndNxt.LessThan(tcb.SndUna):
		t.Fatalf("SND.NXT %d before SND.UNA %d", tcb.SndNxt, tcb.SndUna)
	case tcb.RcvWnd > e.cfg.Window:
		t.Fatalf("RCV.WND %d beyond the buffer %d", tcb.RcvWnd, e.cfg.Window)
	case e.State() == TimeWait && !e.tw.armed:
		t.Fatal("TIME-WAIT without its timer")
	case (e.State() == Closed || e.State() == Listen) && (e.rtx.armed || e.tw.armed || e.fw2.armed):
		t.Fatalf("%s with a timer armed", e.State())
	case len(e.rtxq) > 0 && !e.rtx.armed:
		t.Fatal("unacknowledged segments and no retransmission timer")
	}
	var inFlight uint32
	for _, s := range e.rtxq {
		inFlight += s.SegLen()
	}
	if e.State() != Closed && inFlight != tcb.SndNxt.Sub(tcb.SndUna) {
		t.Fatalf("retransmission queue holds %d, SND.NXT-SND.UNA = %d", inFlight, tcb.SndNxt.Sub(tcb.SndUna))
	}
}
