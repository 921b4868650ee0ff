package ladder

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/index"
	"github.com/tcpviz/tcpviz/tui/styles"
)

// Widths above which the ladder adds columns.
const (
	stateColsMin = 60 // the state columns beside the lifelines
	timeColMin   = 74 // the time column
	stateColW    = 12 // "SYN-RECEIVED"
	timeColW     = 7
)

// Model is the ladder diagram of one timeline at one step.
type Model struct {
	KeyMap KeyMap

	st      styles.Styles
	p       paints // st reduced to escape sequences, for the rows
	tl      *timeline.Timeline
	ix      *index.Index
	cur     int
	abs     bool
	width   int
	height  int
	top     int  // first row shown while scrolled by hand
	manual  bool // the user scrolled since the last step
	focused bool
}

// paints are the styles the rows use, as escape sequences.
type paints struct {
	dim, title, lifeline, value, arrow, arrowCur, inFlight, dropped, event, eventCur styles.Paint
}

func newPaints(st styles.Styles) paints {
	return paints{
		dim: styles.NewPaint(st.Dim), title: styles.NewPaint(st.Title), lifeline: styles.NewPaint(st.Lifeline),
		value: styles.NewPaint(st.Value), arrow: styles.NewPaint(st.Arrow), arrowCur: styles.NewPaint(st.ArrowCur),
		inFlight: styles.NewPaint(st.InFlight), dropped: styles.NewPaint(st.Dropped),
		event: styles.NewPaint(st.Event.Inherit(st.Arrow)), eventCur: styles.NewPaint(st.Event.Inherit(st.ArrowCur)),
	}
}

// New returns an empty ladder.
func New(st styles.Styles) Model { return Model{KeyMap: DefaultKeyMap(), st: st, p: newPaints(st)} }

// SetStyles replaces the styles (after the background colour is known).
func (m *Model) SetStyles(st styles.Styles) { m.st, m.p = st, newPaints(st) }

// SetSize sets the ladder's size in cells, the head line included.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// SetTimeline shows tl, laid out by ix.
func (m *Model) SetTimeline(tl *timeline.Timeline, ix *index.Index) {
	m.tl, m.ix = tl, ix
	m.manual = false
}

// SetStep moves to step cur and scrolls back to it.
func (m *Model) SetStep(cur int) { m.cur, m.manual = cur, false }

// SetAbsolute shows absolute (true) or relative sequence numbers.
func (m *Model) SetAbsolute(abs bool) { m.abs = abs }

// Focus gives the ladder the keyboard; Blur takes it away.
func (m *Model) Focus() { m.focused = true }

// Blur takes the keyboard away.
func (m *Model) Blur() { m.focused = false }

// Focused reports whether the ladder has the keyboard.
func (m Model) Focused() bool { return m.focused }

func (m Model) rowsHeight() int { return max(0, m.height-1) }

// visible is how many rows exist as of the current step.
func (m Model) visible() int {
	if m.ix == nil {
		return 0
	}
	return m.ix.Visible(m.cur)
}

// Top returns the first row on screen: where the user scrolled to, or
// the position that keeps the newest rows and the current step's row in view.
func (m Model) Top() int {
	n, h := m.visible(), m.rowsHeight()
	maxTop := max(0, n-h)
	if m.manual {
		return min(max(0, m.top), maxTop)
	}
	top := maxTop
	if m.ix != nil && m.cur < len(m.ix.StepRow) {
		if r := int(m.ix.StepRow[m.cur]); r < top {
			top = r
		}
	}
	return top
}

// ScrollBy scrolls n rows (negative: up) and stops following the step.
func (m *Model) ScrollBy(n int) {
	m.top = m.Top() + n
	m.manual = true
	m.top = m.Top()
}

// Update handles the mouse wheel, and the scroll keys while focused.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.ScrollBy(-3)
		case tea.MouseWheelDown:
			m.ScrollBy(3)
		}
	case tea.KeyPressMsg:
		if !m.focused {
			break
		}
		switch {
		case key.Matches(msg, m.KeyMap.Up):
			m.ScrollBy(-1)
		case key.Matches(msg, m.KeyMap.Down):
			m.ScrollBy(1)
		case key.Matches(msg, m.KeyMap.PageUp):
			m.ScrollBy(-m.rowsHeight())
		case key.Matches(msg, m.KeyMap.PageDown):
			m.ScrollBy(m.rowsHeight())
		}
	}
	return m, nil
}

// layout is where a row's pieces go.
type layout struct {
	timeW, stateW, area int
}

func (m Model) layout() layout {
	l := layout{}
	w := m.width - 1 // the gutter that marks the current row
	if m.width >= timeColMin {
		l.timeW = timeColW
		w -= l.timeW + 1
	}
	if m.width >= stateColsMin {
		l.stateW = stateColW
		w -= 2 * l.stateW
	}
	l.area = max(4, w-3) // two lifelines and a margin
	return l
}

// View renders the head line and the rows on screen, and only those.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	l := m.layout()
	lines := make([]string, 0, m.height)
	lines = append(lines, m.head(l))
	if m.tl != nil && m.ix != nil && m.tl.Len() > 0 {
		n, top := m.visible(), m.Top()
		end := min(n, top+m.rowsHeight())
		curRow := -1
		if m.cur < len(m.ix.StepRow) {
			curRow = int(m.ix.StepRow[m.cur])
		}
		for r := top; r < end; r++ {
			lines = append(lines, m.row(l, r, r == curRow))
		}
	}
	for len(lines) < m.height {
		lines = append(lines, m.empty(l))
	}
	return strings.Join(lines, "\n")
}

func (m Model) head(l layout) string {
	var b strings.Builder
	b.WriteString(" ")
	if l.timeW > 0 {
		b.WriteString(m.p.dim.Render(pad("time", l.timeW, false)) + " ")
	}
	if l.stateW > 0 {
		b.WriteString(m.p.title.Render(pad("client", l.stateW, true)))
		b.WriteString(m.p.lifeline.Render("┬" + strings.Repeat(" ", l.area) + "┬"))
		b.WriteString(m.p.title.Render(pad("server", l.stateW, false)))
	} else {
		b.WriteString(m.p.title.Render(pad("client", l.area/2+1, false)))
		b.WriteString(m.p.title.Render(pad("server", l.area-l.area/2+1, true)) + " ")
	}
	return b.String()
}

func (m Model) empty(l layout) string {
	var b strings.Builder
	b.WriteString(" ")
	if l.timeW > 0 {
		b.WriteString(strings.Repeat(" ", l.timeW+1))
	}
	b.WriteString(strings.Repeat(" ", l.stateW))
	b.WriteString(m.p.lifeline.Render("│" + strings.Repeat(" ", l.area) + "│"))
	if l.stateW == 0 {
		b.WriteString(" ")
	}
	return b.String()
}

// row renders row r.
func (m Model) row(l layout, r int, current bool) string {
	row := m.ix.Rows[r]
	s := &m.tl.Steps[row.Start]
	var b strings.Builder
	if current {
		b.WriteString(m.p.arrowCur.Render("▸"))
	} else {
		b.WriteString(" ")
	}
	if l.timeW > 0 {
		b.WriteString(m.p.dim.Render(pad(narrate.FormatT(s.T), l.timeW, true)) + " ")
	}
	var left, right string
	if l.stateW > 0 {
		left, right = m.stateLabel(row, fsm.Client), m.stateLabel(row, fsm.Server)
		b.WriteString(m.p.value.Render(pad(left, l.stateW, true)))
	}
	line := m.p.lifeline.Render("│")
	b.WriteString(line)
	b.WriteString(m.area(l.area, row, s, current))
	b.WriteString(line)
	if l.stateW > 0 {
		b.WriteString(m.p.value.Render(pad(right, l.stateW, false)))
	} else {
		b.WriteString(" ")
	}
	return b.String()
}

// stateLabel is side's state where this row changed it (at its start, or
// at its arrival if that has happened by the current step).
func (m Model) stateLabel(row index.Row, side fsm.Side) string {
	s := &m.tl.Steps[row.Start]
	if row.Kind == index.KindInit {
		return s.States[side].String()
	}
	if m.tl.Prev(row.Start)[side] != s.States[side] {
		return s.States[side].String()
	}
	if row.End > row.Start && row.End <= m.cur {
		if e := &m.tl.Steps[row.End]; m.tl.Prev(row.End)[side] != e.States[side] {
			return e.States[side].String()
		}
	}
	return ""
}

// area renders the space between the lifelines.
func (m Model) area(w int, row index.Row, s *timeline.Step, current bool) string {
	arrow, event := m.p.arrow, m.p.event
	if current {
		arrow, event = m.p.arrowCur, m.p.eventCur
	}
	switch row.Kind {
	case index.KindInit:
		return arrow.Render(pad("start", w, false))
	case index.KindApp:
		return m.event(w, s.Actor, "◆", s.CallWithoutSide(), event)
	case index.KindTimer:
		return m.event(w, s.Actor, "◷", narrate.TimerLabel(s.Why[s.Actor]), event)
	}
	return m.segment(w, row, s, current)
}

// event writes mark and label next to side's lifeline.
func (m Model) event(w int, side fsm.Side, mark, label string, st styles.Paint) string {
	label = ansi.Truncate(label, max(0, w-3), "…")
	if side == fsm.Server {
		return st.Render(pad(label+" "+mark+" ", w, true))
	}
	return st.Render(pad(" "+mark+" "+label, w, false))
}

// segment draws a segment's arrow as of the current step.
func (m Model) segment(w int, row index.Row, s *timeline.Step, current bool) string {
	label := m.Label(s)
	var mark string
	switch {
	case s.Analysis&timeline.Retransmission != 0:
		mark = "↻ "
	case s.Analysis&timeline.Duplicate != 0 || row.Kind == index.KindCopy:
		mark = "⧉ "
	}
	inFlight := row.End < 0 || row.End > m.cur
	dropped := !inFlight && m.tl.Steps[row.End].Event == timeline.Drop
	body := w // cells the arrow spans
	if inFlight || dropped {
		body = max(w/2, min(w, ansi.StringWidth(mark+label)+4))
		if dropped {
			body = max(body, w*2/3)
		}
		// Short of the far lifeline: it has not arrived (and never will).
		body = min(body, w-4)
	}
	text := ansi.Truncate(mark+label, max(0, body-3), "…")
	fill := body - 2 - ansi.StringWidth(text)
	c2s := s.Dir == fsm.C2S
	head := "▶"
	dash := "─"
	st := m.p.arrow
	switch {
	case dropped:
		head, st = "✗", m.p.dropped
	case inFlight:
		head, dash, st = "▷", "╌", m.p.inFlight
	case current:
		st = m.p.arrowCur
	}
	if !c2s {
		head = map[string]string{"▶": "◀", "▷": "◁", "✗": "✗"}[head]
	}
	lead := fill / 2
	if inFlight || dropped {
		lead = 1
	}
	parts := []string{strings.Repeat(dash, lead), text, strings.Repeat(dash, fill-lead+1)}
	var out string
	if c2s {
		out = st.Render(parts[0]+parts[1]+parts[2]) + m.headPaint(dropped, st).Render(head) + strings.Repeat(" ", w-body)
	} else {
		out = strings.Repeat(" ", w-body) + m.headPaint(dropped, st).Render(head) + st.Render(parts[2]+parts[1]+parts[0])
	}
	return out
}

func (m Model) headPaint(dropped bool, def styles.Paint) styles.Paint {
	if dropped {
		return m.p.dropped
	}
	return def
}

// Label is the text on a segment's arrow: narrate's label and a payload
// preview, relative unless absolute numbers were asked for.
func (m Model) Label(s *timeline.Step) string {
	l := narrate.SegmentLabel(m.tl, s, m.abs)
	if s.Seg.Len > 0 && len(s.Seg.Payload) > 0 {
		l += " " + Preview(s.Seg.Payload, 12)
	}
	return l
}

// Preview quotes up to n bytes of payload, printable ASCII only.
func Preview(p []byte, n int) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, c := range p {
		if i == n {
			b.WriteString("…")
			break
		}
		switch {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			b.WriteByte('.')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// pad fits s in w cells, right-aligned when right is set.
func pad(s string, w int, right bool) string {
	s = ansi.Truncate(s, w, "…")
	n := w - ansi.StringWidth(s)
	if n <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", n) + s
	}
	return s + strings.Repeat(" ", n)
}
